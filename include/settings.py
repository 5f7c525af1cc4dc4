"""Where the pipeline finds its source, lake and keys: Airflow connections and environment settings, nothing in the repo."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAGENTO_CONN_ID = os.environ.get("MAGENTO_CONN_ID", "magento_db")
LAKE_AWS_CONN_ID = os.environ.get("LAKE_AWS_CONN_ID", "aws_lake")
LAKE_KEY_CONN_ID = os.environ.get("LAKE_KEY_CONN_ID", "lake_encryption")
SOURCE_POOL = "magento_source"


def lake_url() -> str:
    """The lake root: LAKE_URL, or a folder named lake in the project."""
    return os.environ.get("LAKE_URL") or (PROJECT_ROOT / "lake").as_uri()


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


def _from_env(conn_id: str) -> ConnectionInfo | None:
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
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


def get_connection(conn_id: str) -> ConnectionInfo:
    """An Airflow connection: from AIRFLOW_CONN_<ID> (JSON or URI), else from Airflow's secrets backends."""
    if info := _from_env(conn_id):
        return info
    from airflow.sdk import BaseHook

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


def has_connection(conn_id: str) -> bool:
    """True when the connection is defined anywhere Airflow would look."""
    try:
        get_connection(conn_id)
    except Exception:
        return False
    return True
