"""Store security configuration and audit-log coverage, as scan findings (config ids and table names, never values).

Configuration (`core_config_data`, Magento's defaults where a path is absent): anonymous web API access, admin
two-factor authentication, admin session lifetime, password lifetime and lockout, the default admin path, and
whether new customer passwords are hashed with Argon2. Audit-log coverage: for each touchpoint where staff or
clients reach personal data, whether the store keeps a log that says who saw whose data when, and for how long
(PCI DSS 10.5.1: 12 months, the last 3 available).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from include.magento.access_log import parse_lines, read_log_lines
from include.magento.source import fetch_all, normalise
from include.scan.findings import Finding

RETENTION = timedelta(days=365)
CONFIG_REFERENCE = "Adobe Commerce Security Best Practices"


@dataclass(frozen=True)
class ConfigCheck:
    """One configuration rule: the path, Magento's default, and when the value is a finding."""

    check: str
    path: str
    default: str | None
    bad: Callable[[str | None], bool]
    severity: str
    description: str
    references: tuple[str, ...]


def _number(value: str | None) -> float | None:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


CONFIG_CHECKS = (
    ConfigCheck(
        "anonymous_web_api",
        "webapi/webapisecurity/allow_insecure",
        "0",
        lambda v: v == "1",
        "high",
        "Anonymous access to web API resources is allowed (the unauthenticated-endpoints pattern)",
        ("PCI DSS 7.2.1", CONFIG_REFERENCE),
    ),
    ConfigCheck(
        "admin_2fa_disabled",
        "twofactorauth/general/force_providers",
        None,
        lambda v: not v,
        "high",
        "No two-factor provider is forced for admin users (Magento_TwoFactorAuth disabled or unconfigured)",
        ("PCI DSS 8.4.2",),
    ),
    ConfigCheck(
        "admin_session_lifetime",
        "admin/security/session_lifetime",
        "900",
        lambda v: (_number(v) or 0) > 900,
        "medium",
        "Admin sessions stay open longer than 15 minutes of idle time",
        ("PCI DSS 8.2.8",),
    ),
    ConfigCheck(
        "admin_password_lifetime",
        "admin/security/password_lifetime",
        "90",
        lambda v: not 0 < (_number(v) or 0) <= 90,
        "medium",
        "Admin passwords do not expire within 90 days",
        ("PCI DSS 8.3.9",),
    ),
    ConfigCheck(
        "admin_password_not_forced",
        "admin/security/password_is_forced",
        "1",
        lambda v: v == "0",
        "medium",
        "An expired admin password does not force a change",
        ("PCI DSS 8.3.9",),
    ),
    ConfigCheck(
        "admin_lockout_failures",
        "admin/security/lockout_failures",
        "6",
        lambda v: not 0 < (_number(v) or 0) <= 10,
        "medium",
        "Admin accounts are not locked after at most 10 failed logins",
        ("PCI DSS 8.3.4",),
    ),
    ConfigCheck(
        "admin_lockout_duration",
        "admin/security/lockout_threshold",
        "30",
        lambda v: (_number(v) or 0) < 30,
        "medium",
        "Admin lockouts last less than 30 minutes",
        ("PCI DSS 8.3.4",),
    ),
)


def _finding(
    table: str, column: str, check: str, kind: str, severity: str, keys: list[Any], description: str, references: tuple[str, ...]
) -> Finding:
    return Finding(
        table=table,
        column=column,
        check=check,
        kind=kind,
        category="system.operations",
        severity=severity,
        element_count=1,
        unexpected_count=1,
        sample_keys=keys[:20],
        references=list(references),
        description=description,
    )


def config_findings(engine: sa.Engine, admin_path: str = "admin") -> list[Finding]:
    """Store configuration that weakens the store's protection (default scope)."""
    rows = fetch_all(engine, "SELECT config_id, path, value FROM core_config_data WHERE scope = 'default'")
    values = {str(path): (config_id, None if value is None else str(value)) for config_id, path, value in rows}
    findings = []
    for rule in CONFIG_CHECKS:
        config_id, value = values.get(rule.path, (None, rule.default))
        if rule.bad(value):
            keys = [config_id] if config_id is not None else []
            findings.append(
                _finding(
                    "core_config_data",
                    "value",
                    rule.check,
                    "store_config",
                    rule.severity,
                    keys,
                    f"{rule.description} ({rule.path})",
                    rule.references,
                )
            )
    custom = values.get("admin/url/use_custom_path", (None, "0"))[1] == "1"
    if not custom and admin_path.strip("/") == "admin":
        findings.append(
            _finding(
                "core_config_data",
                "value",
                "default_admin_path",
                "store_config",
                "medium",
                [],
                "The admin is on the default /admin path (set a custom backend frontName)",
                ("PCI DSS 6.4.1", CONFIG_REFERENCE),
            )
        )
    newest = fetch_all(
        engine,
        "SELECT entity_id, password_hash FROM customer_entity WHERE password_hash IS NOT NULL ORDER BY entity_id DESC LIMIT 100",
    )
    not_argon = [key for key, hashed in newest if ":3_" not in str(hashed)]
    if newest and len(not_argon) * 2 > len(newest):
        findings.append(
            _finding(
                "customer_entity",
                "password_hash",
                "customer_hash_not_argon2",
                "store_config",
                "high",
                not_argon,
                "New customer passwords are not hashed with Argon2id (libsodium missing?)",
                ("PCI DSS 8.3.2",),
            )
        )
    return findings


# touchpoint, table, time column, what it records
AUDIT_LOGS = (
    ("account management", "customer_log", "last_login_at", "customer logins (the latest only)"),
    ("admin access to customers and orders", "admin_user_session", "created_at", "admin sessions and their addresses"),
    ("admin access to customers and orders", "magento_login_as_customer_log", "time", "admins logged in as customers"),
    ("API", "oauth_token", "created_at", "API tokens issued"),
)


def _oldest(engine: sa.Engine, table: str, column: str) -> datetime | None:
    try:
        rows = fetch_all(engine, f"SELECT MIN({column}) FROM {table}")
    except Exception:  # the table is missing (another edition or version): no log
        return None
    value = normalise(rows[0][0]) if rows and rows[0][0] is not None else None
    return datetime.fromisoformat(str(value)) if value else None


def _store_started(engine: sa.Engine) -> datetime | None:
    value = fetch_all(engine, "SELECT MIN(created_at) FROM customer_entity")[0][0]
    return datetime.fromisoformat(str(normalise(value))) if value is not None else None


def _retention(
    touchpoint: str, table: str, column: str, what: str, oldest: datetime | None, started: datetime | None, now: datetime
) -> Finding | None:
    refs = ("PCI DSS 10.2.1", "PCI DSS 10.5.1", "GDPR Art. 5(2)")
    if oldest is None:
        return _finding(
            table,
            column,
            "audit_log_missing",
            "audit_log_coverage",
            "high",
            [],
            f"{touchpoint}: no {what} log ({table} is empty or missing)",
            refs,
        )
    if started and now - started > RETENTION and now - oldest < RETENTION:
        days = (now - oldest).days
        return _finding(
            table,
            column,
            "audit_log_retention",
            "audit_log_coverage",
            "medium",
            [],
            f"{touchpoint}: {table} ({what}) goes back {days} days, less than the 12 months PCI DSS 10.5.1 asks for",
            refs,
        )
    return None


def audit_findings(engine: sa.Engine, access_logs: list[Path], now: datetime) -> list[Finding]:
    """Missing or short audit logs per touchpoint; payment and admin views need the web logs and an action log."""
    started = _store_started(engine)
    findings = [
        f
        for t, table, column, what in AUDIT_LOGS
        if (f := _retention(t, table, column, what, _oldest(engine, table, column), started, now))
    ]
    findings.append(
        _finding(
            "admin_user",
            "-",
            "admin_action_log_missing",
            "audit_log_coverage",
            "high",
            [],
            "admin access to customers, orders and payments: Magento Open Source keeps no admin action log "
            "(magento_logging_event is Adobe Commerce only); add an action-log extension",
            ("PCI DSS 10.2.1.1", "PCI DSS 10.2.1.2"),
        )
    )
    oldest_line = None
    for path in access_logs:
        first = next(parse_lines(read_log_lines(path)), None)
        if first and (oldest_line is None or first.time.replace(tzinfo=None) < oldest_line):
            oldest_line = first.time.replace(tzinfo=None)
    if web := _retention(
        "web and API requests (payment pages included)", "access_log", "time", "web access", oldest_line, started, now
    ):
        findings.append(web)
    return findings
