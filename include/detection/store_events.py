"""Store-state events for the `store_state` rules, derived from the Magento tables with short read-only queries.

Each event names its table and primary key (`object_table`, `object_key`) and carries only what the rules test:
no names, emails, customer data or configuration values outside the security-relevant paths. Script origins in
CMS content and script-bearing configuration are compared with the allowlist here, so a rule only has to ask
`script_origin_allowlisted: 'false'`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from include.magento.source import fetch_all, normalise

STORE_COLUMNS = (
    "timestamp",
    "event_type",
    "object_table",
    "object_key",
    "config_path",
    "config_value",
    "config_number",
    "script_origin",
    "script_origin_allowlisted",
    "full_access",
    "ip_new",
    "login_hour",
    "admin_user_id",
    "user_type",
    "token_type",
    "failures",
)
SCRIPT_CONFIG_PATHS = (
    "design/head/includes",
    "design/footer/absolute_footer",
    "design/head/default_description",
    "design/header/welcome",
    "design/head/miscellaneous_scripts",
)
# Paths whose value an event may carry (the rules compare it); never contact details or credentials.
VALUE_PATHS = (
    "webapi/webapisecurity/allow_insecure",
    "admin/security/use_form_key",
    "admin/captcha/enable",
    "admin/security/session_lifetime",
    "csp/mode/storefront/report_only",
    "dev/template/allow_symlink",
)
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)(?:</script\s*>|$)", re.IGNORECASE | re.DOTALL)
SRC = re.compile(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+(?::\d+)?""")
OBFUSCATED = re.compile(r"\batob\s*\(|\beval\s*\(|fromCharCode|\bunescape\s*\(|\\x[0-9a-f]{2}|new\s+WebSocket", re.IGNORECASE)
LOCKOUT_FAILURES = 3


def origin_of(url: str) -> str:
    """scheme://host[:port] of a script URL; '' for a relative URL, 'data:' for data URIs."""
    url = url.strip()
    if url.lower().startswith("data:"):
        return "data:"
    parts = urlsplit(url if not url.startswith("//") else "https:" + url)
    if not parts.netloc:
        return ""
    return f"{(parts.scheme or 'https').lower()}://{parts.netloc.lower()}"


def script_origins(html: str) -> list[str]:
    """Origins of every script in an HTML fragment: src origins, URLs inside inline scripts, 'inline:obfuscated'."""
    origins: list[str] = []
    for attributes, body in SCRIPT.findall(html or ""):
        if src := SRC.search(attributes):
            origins.append(origin_of(src.group(1)))
            continue
        found = [origin_of(url) for url in URL.findall(body)]
        origins.extend(found)
        if not found and OBFUSCATED.search(body):
            origins.append("inline:obfuscated")
    return list(dict.fromkeys(origins))


@dataclass
class StoreContext:
    """What store-state derivation needs besides the database: window, allowlist, history kept between runs."""

    since: datetime | None
    allowlist: frozenset[str] = frozenset()
    known_admin_ips: set[str] = field(default_factory=set)
    previous_roles: dict[str, dict[str, object]] = field(default_factory=dict)
    hasher: Callable[[str], str] = str
    own_origins: frozenset[str] = frozenset()

    def allowed(self, origin: str) -> bool:
        """Relative URLs, the store's own base URLs and allowlisted origins are allowed."""
        return origin == "" or origin in self.allowlist or origin in self.own_origins

    @property
    def since_text(self) -> str:
        """The window start as the database compares it (UTC, 'YYYY-MM-DD HH:MM:SS')."""
        moment = self.since or datetime(1970, 1, 2, tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def event(timestamp: object, event_type: str, table: str, key: object, **fields: object) -> tuple[object, ...]:
    """One row of the `store` table (the order of STORE_COLUMNS)."""
    values = {"timestamp": normalise(timestamp), "event_type": event_type, "object_table": table, "object_key": str(key)}
    values.update(fields)
    return tuple(values.get(column) for column in STORE_COLUMNS)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _script_events(
    timestamp: object, event_type: str, table: str, key: object, html: str, context: StoreContext, **fields: object
) -> Iterator[tuple[object, ...]]:
    for origin in script_origins(html):
        allowed = context.allowed(origin)
        yield event(timestamp, event_type, table, key, script_origin=origin, script_origin_allowlisted=_bool(allowed), **fields)


def content_events(engine: sa.Engine, context: StoreContext) -> Iterator[tuple[object, ...]]:
    """content_script events: every script in active CMS blocks and pages changed in the window."""
    for table, key in (("cms_block", "block_id"), ("cms_page", "page_id")):
        sql = f"SELECT {key}, update_time, content FROM {table} WHERE update_time >= :since AND content LIKE '%<script%'"
        for row_key, updated, content in fetch_all(engine, sql, {"since": context.since_text}):
            yield from _script_events(updated, "content_script", table, row_key, str(content or ""), context)


def config_events(engine: sa.Engine, context: StoreContext) -> Iterator[tuple[object, ...]]:
    """config_changed for every core_config_data row changed in the window; config_script for scripts in script paths."""
    sql = "SELECT config_id, updated_at, path, value FROM core_config_data WHERE updated_at >= :since"
    for config_id, updated, path, value in fetch_all(engine, sql, {"since": context.since_text}):
        text = "" if value is None else str(value)
        kept = text[:32] if path in VALUE_PATHS else None
        number = float(text) if kept is not None and re.fullmatch(r"-?\d+(\.\d+)?", text) else None
        yield event(
            updated, "config_changed", "core_config_data", config_id, config_path=path, config_value=kept, config_number=number
        )
        if path in SCRIPT_CONFIG_PATHS:
            yield from _script_events(updated, "config_script", "core_config_data", config_id, text, context, config_path=path)


def store_origins(engine: sa.Engine) -> frozenset[str]:
    """The store's own origins (web/*/base_url and base_link_url values)."""
    rows = fetch_all(engine, "SELECT value FROM core_config_data WHERE path LIKE 'web/%/base%url'")
    return frozenset(origin for (value,) in rows if value and (origin := origin_of(str(value))))


def store_timezone(engine: sa.Engine) -> ZoneInfo:
    """general/locale/timezone at default scope, else UTC."""
    rows = fetch_all(engine, "SELECT value FROM core_config_data WHERE path = 'general/locale/timezone' AND scope = 'default'")
    try:
        return ZoneInfo(str(rows[0][0])) if rows and rows[0][0] else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def admin_roles(engine: sa.Engine) -> dict[str, dict[str, object]]:
    """Admin user id -> its group role, how many resources that role allows, and whether it has Magento_Backend::all."""
    allowed: dict[int, set[str]] = {}
    for role_id, resource in fetch_all(engine, "SELECT role_id, resource_id FROM authorization_rule WHERE permission = 'allow'"):
        allowed.setdefault(int(role_id), set()).add(str(resource))
    rows = fetch_all(engine, "SELECT user_id, parent_id FROM authorization_role WHERE role_type = 'U' AND user_type = '2'")
    return {
        str(user): {
            "role": int(parent),
            "resources": len(allowed.get(int(parent), set())),
            "full_access": "Magento_Backend::all" in allowed.get(int(parent), set()),
        }
        for user, parent in rows
    }


def rights_raised(before: dict[str, object] | None, now: dict[str, object]) -> bool:
    """True when a user now has full access and had not, or a different role with more resources."""
    if not before or not now:
        return False
    if bool(now.get("full_access")) and not bool(before.get("full_access")):
        return True
    return now.get("role") != before.get("role") and int(str(now.get("resources", 0))) > int(str(before.get("resources", 0)))


def admin_user_events(
    engine: sa.Engine, context: StoreContext, roles: dict[str, dict[str, object]]
) -> Iterator[tuple[object, ...]]:
    """admin_user_created, admin_rights_raised and admin_lockout events."""
    sql = "SELECT user_id, created, modified, failures_num, first_failure, lock_expires FROM admin_user"
    for user_id, created, modified, failures, first_failure, lock_expires in fetch_all(engine, sql):
        role = roles.get(str(user_id), {})
        full = _bool(bool(role.get("full_access")))
        if normalise(created) >= context.since_text:
            yield event(created, "admin_user_created", "admin_user", user_id, full_access=full)
        if rights_raised(context.previous_roles.get(str(user_id)), role):
            yield event(modified, "admin_rights_raised", "admin_user", user_id, full_access=full)
        locked_at = lock_expires if lock_expires is not None else first_failure
        locked = lock_expires is not None or (failures or 0) >= LOCKOUT_FAILURES
        if locked and locked_at is not None and normalise(locked_at) >= context.since_text:
            yield event(first_failure or lock_expires, "admin_lockout", "admin_user", user_id, failures=int(failures or 0))


def admin_session_events(engine: sa.Engine, context: StoreContext, zone: ZoneInfo) -> Iterator[tuple[object, ...]]:
    """admin_login events: local hour, and whether the IP is new for a user with a history of other addresses."""
    rows = fetch_all(engine, "SELECT id, user_id, created_at, ip FROM admin_user_session ORDER BY created_at, id")
    history: dict[str, set[str]] = {}
    for known in context.known_admin_ips:
        user, _, digest = known.partition(":")
        history.setdefault(user, set()).add(digest)
    for session_id, user_id, created, ip in rows:
        user, digest = str(user_id), context.hasher(str(ip))
        seen = history.setdefault(user, set())
        if normalise(created) >= context.since_text:
            moment = datetime.fromisoformat(str(normalise(created))).replace(tzinfo=UTC)
            new = bool(seen) and digest not in seen
            hour = moment.astimezone(zone).hour
            yield event(
                created, "admin_login", "admin_user_session", session_id, ip_new=_bool(new), login_hour=hour, admin_user_id=user
            )
        seen.add(digest)
    context.known_admin_ips.update(f"{user}:{digest}" for user, digests in history.items() for digest in digests)


def access_events(engine: sa.Engine, context: StoreContext) -> Iterator[tuple[object, ...]]:
    """integration_created, oauth_token_created (admin and integration tokens) and login_as_customer events."""
    params = {"since": context.since_text}
    for integration_id, created in fetch_all(
        engine, "SELECT integration_id, created_at FROM integration WHERE created_at >= :since", params
    ):
        yield event(created, "integration_created", "integration", integration_id)
    tokens = fetch_all(
        engine,
        "SELECT entity_id, created_at, type, user_type FROM oauth_token WHERE customer_id IS NULL AND created_at >= :since",
        params,
    )
    for token_id, created, token_type, user_type in tokens:
        yield event(created, "oauth_token_created", "oauth_token", token_id, token_type=token_type, user_type=user_type)
    sessions = fetch_all(engine, "SELECT log_id, time, user_id FROM magento_login_as_customer_log WHERE time >= :since", params)
    for log_id, moment, user_id in sessions:
        yield event(moment, "login_as_customer", "magento_login_as_customer_log", log_id, admin_user_id=str(user_id))


def store_events(engine: sa.Engine, context: StoreContext) -> tuple[list[tuple[object, ...]], dict[str, dict[str, object]]]:
    """Every store-state event of the window, and the admin roles now (kept for the next run's comparison)."""
    context.own_origins = context.own_origins or store_origins(engine)
    roles = admin_roles(engine)
    rows = [
        *content_events(engine, context),
        *config_events(engine, context),
        *admin_user_events(engine, context, roles),
        *admin_session_events(engine, context, store_timezone(engine)),
        *access_events(engine, context),
    ]
    return rows, roles
