"""The pipeline's configuration: read once from the environment and Airflow connections, then passed to what needs it.

Nothing secret lives here or in the repository: secrets stay in Airflow connections (any secrets backend, or the
`AIRFLOW_CONN_<ID>` environment form) and are fetched by the module that uses them. This module knows where
everything is and which options are set; it imports nothing heavy, so DAG files may import it at parse time.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import expectations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_POOL = "magento_source"
Transport = Literal["file", "smtp", "ses"]
TRANSPORTS: tuple[Transport, ...] = ("file", "smtp", "ses")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use; the message names the setting."""


class UsageError(ValueError):
    """Bad input on the command line or in an input file; breachctl prints it as one line and exits with status 2."""


@dataclass(frozen=True)
class ConnectionInfo:
    """The fields of an Airflow connection the pipeline uses."""

    conn_type: str
    host: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _from_env(conn_id: str, env: Mapping[str, str]) -> ConnectionInfo | None:
    raw = env.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not raw:
        return None
    if raw.lstrip().startswith("{"):
        data = json.loads(raw)
        extra = data.get("extra") or {}
        return ConnectionInfo(
            conn_type=data.get("conn_type", ""),
            host=data.get("host"),
            login=data.get("login"),
            password=data.get("password"),
            schema=data.get("schema"),
            port=int(data["port"]) if data.get("port") else None,
            extra=json.loads(extra) if isinstance(extra, str) else extra,
        )
    parts = urlsplit(raw)
    return ConnectionInfo(
        conn_type=parts.scheme.replace("-", "_"),
        host=unquote(parts.hostname or "") or None,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        schema=parts.path.lstrip("/") or None,
        port=parts.port,
        extra=dict(parse_qsl(parts.query)),
    )


def notice_approvers(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """NOTICE_APPROVERS: the Airflow user ids (user names with the simple auth manager) who may answer legal approval."""
    value = (os.environ if env is None else env).get("NOTICE_APPROVERS", "")
    return tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))


def get_connection(conn_id: str, env: Mapping[str, str] | None = None) -> ConnectionInfo:
    """An Airflow connection: from AIRFLOW_CONN_<ID> (JSON or URI), else from Airflow's secrets backends."""
    if info := _from_env(conn_id, os.environ if env is None else env):
        return info
    from airflow.sdk import BaseHook  # noqa: PLC0415 (Airflow only where a connection is not in the environment)

    conn = BaseHook.get_connection(conn_id)
    return ConnectionInfo(
        conn_type=conn.conn_type or "",
        host=conn.host,
        login=conn.login,
        password=conn.password,
        schema=conn.schema,
        port=conn.port,
        extra=conn.extra_dejson,
    )


def has_connection(conn_id: str, env: Mapping[str, str] | None = None) -> bool:
    """True when the connection is defined anywhere Airflow would look."""
    try:
        get_connection(conn_id, env)
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class Business:
    """Who is giving notice and how people reach them."""

    name: str
    phone: str
    email: str
    address: str
    website: str
    dpo_contact: str = ""


DEMO_BUSINESS = Business(
    name="Harbor Lane Financial",
    phone="+1-800-555-0199",
    email="privacy@harborlane.example",
    address="100 Harbor Lane, San Francisco, CA 94105, USA",
    website="https://shop.harborlane.example/",
    dpo_contact="dpo@harborlane.example",
)


def _git_commit(root: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],  # noqa: S607 (git from PATH, fixed arguments)
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def _default_expectations_dir() -> Path:
    return Path(expectations.__file__).resolve().parent


def _timezone(env: Mapping[str, str]) -> str | None:
    """BUSINESS_TIMEZONE: the IANA zone the business counts legal deadlines in (e.g. America/Los_Angeles)."""
    value = env.get("BUSINESS_TIMEZONE") or None
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"BUSINESS_TIMEZONE must be an IANA time zone name, got {value!r}") from None
    return value


def _number(env: Mapping[str, str], name: str, default: str) -> float:
    try:
        return float(env.get(name) or default)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {env.get(name)!r}") from None


def _listed(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated setting as a tuple (empty items dropped)."""
    return tuple(item.strip() for item in (env.get(name) or "").split(",") if item.strip())


@dataclass(frozen=True)
class Config:
    """Every setting the pipeline reads, with its default; build with Config.from_env or load_config."""

    lake_url: str
    magento_conn_id: str = "magento_db"
    aws_conn_id: str = "aws_lake"
    key_conn_id: str = "lake_encryption"
    signing_conn_id: str = "evidence_signing"
    mail_house_conn_id: str = "mail_house"
    smtp_conn_id: str = "notice_smtp"
    business: Business | None = None
    business_timezone: str | None = None
    dpo_contact: str = ""
    notice_transport: Transport = "file"
    notice_sender: str | None = None
    notice_send_rate: float = 50.0
    notice_outbox_dir: Path = PROJECT_ROOT / ".demo" / "outbox"
    ses_events_queue: str | None = None
    ses_configuration_set: str | None = None
    notice_lease_ttl: float = 120.0
    notice_lease_wait: float = 0.0
    notice_retry_backoff: float = 300.0
    notice_approvers: tuple[str, ...] = ()
    drill_target_hours: float = 72.0
    alert_smtp_conn_id: str = "alert_smtp"
    alert_webhook_conn_id: str = "alert_webhook"
    exchange_signing_conn_id: str = "exchange_signing"
    cost_per_notice: Mapping[str, float] = field(default_factory=lambda: {"email": 0.05, "postal": 1.20})
    kms_key_id: str | None = None
    lock_days: int = 2555
    code_version: str = "unknown"
    expectations_dir: Path = field(default_factory=_default_expectations_dir)
    access_logs: tuple[str, ...] = ()
    script_allowlist: frozenset[str] = frozenset()
    admin_path: str = "admin"

    @property
    def suites_dir(self) -> Path:
        """Where the Great Expectations suites (JSON) live."""
        return self.expectations_dir / "suites"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        """Settings from environment variables and the AWS connection's extra (SSE-KMS key, Object Lock days)."""
        aws_conn_id = env.get("LAKE_AWS_CONN_ID", "aws_lake")
        lake_url = env.get("LAKE_URL") or (PROJECT_ROOT / "lake").as_uri()
        on_s3 = lake_url.startswith("s3://") and has_connection(aws_conn_id, env)  # the extra matters only for S3 lakes
        aws_extra = get_connection(aws_conn_id, env).extra if on_s3 else {}
        lock_days = aws_extra.get("object_lock_days") or env.get("LAKE_LOCK_DAYS") or "2555"
        transport = env.get("NOTICE_EMAIL_TRANSPORT", "file")
        if transport not in TRANSPORTS:
            raise ConfigError(f"NOTICE_EMAIL_TRANSPORT must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
        business = None
        if env.get("BUSINESS_NAME"):
            business = Business(
                name=env["BUSINESS_NAME"],
                phone=env.get("BUSINESS_PHONE", ""),
                email=env.get("BUSINESS_EMAIL", ""),
                address=env.get("BUSINESS_ADDRESS", ""),
                website=env.get("BUSINESS_WEBSITE", ""),
                dpo_contact=env.get("BUSINESS_DPO_CONTACT", ""),
            )
        return cls(
            lake_url=lake_url,
            magento_conn_id=env.get("MAGENTO_CONN_ID", "magento_db"),
            aws_conn_id=aws_conn_id,
            key_conn_id=env.get("LAKE_KEY_CONN_ID", "lake_encryption"),
            signing_conn_id=env.get("EVIDENCE_SIGNING_CONN_ID", "evidence_signing"),
            business=business,
            business_timezone=_timezone(env),
            dpo_contact=env.get("BUSINESS_DPO_CONTACT", ""),
            notice_transport=transport,
            notice_sender=env.get("NOTICE_SENDER") or None,
            notice_send_rate=_number(env, "NOTICE_SEND_RATE", "50"),
            notice_outbox_dir=Path(env.get("NOTICE_OUTBOX_DIR") or PROJECT_ROOT / ".demo" / "outbox"),
            ses_events_queue=env.get("NOTICE_SES_EVENTS_QUEUE") or None,
            ses_configuration_set=env.get("NOTICE_SES_CONFIGURATION_SET") or None,
            notice_lease_ttl=_number(env, "NOTICE_LEASE_TTL", "120"),
            notice_lease_wait=_number(env, "NOTICE_LEASE_WAIT", "0"),
            notice_retry_backoff=_number(env, "NOTICE_RETRY_BACKOFF", "300"),
            notice_approvers=notice_approvers(env),
            drill_target_hours=_number(env, "DRILL_TARGET_HOURS", "72"),
            alert_smtp_conn_id=env.get("ALERT_SMTP_CONN_ID", "alert_smtp"),
            alert_webhook_conn_id=env.get("ALERT_WEBHOOK_CONN_ID", "alert_webhook"),
            exchange_signing_conn_id=env.get("EXCHANGE_SIGNING_CONN_ID") or "exchange_signing",
            cost_per_notice={
                "email": _number(env, "NOTICE_COST_EMAIL", "0.05"),
                "postal": _number(env, "NOTICE_COST_POSTAL", "1.20"),
            },
            kms_key_id=aws_extra.get("kms_key_id") or env.get("LAKE_KMS_KEY_ID") or None,
            lock_days=int(_number({"object_lock_days": str(lock_days)}, "object_lock_days", "2555")),
            code_version=env.get("PIPELINE_CODE_VERSION") or _git_commit(PROJECT_ROOT),
            expectations_dir=Path(env["EXPECTATIONS_DIR"]) if env.get("EXPECTATIONS_DIR") else _default_expectations_dir(),
            access_logs=_listed(env, "DETECTION_ACCESS_LOGS"),
            script_allowlist=frozenset(origin.rstrip("/").lower() for origin in _listed(env, "DETECTION_SCRIPT_ALLOWLIST")),
            admin_path=(env.get("MAGENTO_ADMIN_PATH") or "admin").strip("/") or "admin",
        )


def business_timezone_setting(env: Mapping[str, str] | None = None) -> str | None:
    """BUSINESS_TIMEZONE alone, without building the whole configuration (for breachctl obligations)."""
    return _timezone(os.environ if env is None else env)


@cache
def load_config() -> Config:
    """The process's configuration, read once from os.environ (tests build their own with Config.from_env)."""
    return Config.from_env(os.environ)


def worker_hostname() -> str:
    """The hostname Airflow records for a task: AIRFLOW_WORKER_HOSTNAME when set (several workers on one host), else the FQDN.

    Set `[core] hostname_callable = include.config.worker_hostname`; a worker in its own container keeps its FQDN.
    """
    import socket  # noqa: PLC0415 (only workers call this)

    return os.environ.get("AIRFLOW_WORKER_HOSTNAME") or socket.getfqdn()
