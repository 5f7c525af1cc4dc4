"""Read-only access to the Magento database: READ COMMITTED, READ ONLY sessions, short keyset-paginated queries.

Each chunk is its own short statement (`WHERE pk > last ORDER BY pk LIMIT n`), so no long transaction holds an
old read view open on the replica, memory stays bounded, and InnoDB's consistent reads take no row locks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from include.config import get_connection, load_config

STATEMENT_TIMEOUT_SECONDS = 300


class SourceError(RuntimeError):
    """The source database failed or refused a read; the message names the table, never row data."""


def url_from_connection(conn_id: str | None = None) -> str:
    """SQLAlchemy URL for the Airflow connection `magento_db` (conn_type mysql or sqlite)."""
    info = get_connection(conn_id or load_config().magento_conn_id)
    if info.conn_type == "sqlite":
        return f"sqlite:///{info.host}"
    if info.conn_type in ("mysql", "mariadb"):
        auth = quote(info.login or "root", safe="")
        if info.password:
            auth += ":" + quote(info.password, safe="")
        return f"mysql+pymysql://{auth}@{info.host or '127.0.0.1'}:{info.port or 3306}/{info.schema or 'magento'}?charset=utf8mb4"
    raise SourceError(f"connection type {info.conn_type!r} is not supported for the Magento source (use mysql or sqlite)")


def engine_kwargs(url: str) -> dict[str, Any]:
    """create_engine arguments that make every session read-only and READ COMMITTED."""
    if url.startswith("sqlite"):
        return {}
    return {
        "connect_args": {
            "init_command": "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY",
            "read_timeout": STATEMENT_TIMEOUT_SECONDS + 30,
            "connect_timeout": 10,
        },
        "pool_pre_ping": True,
    }


def read_only_url(url: str) -> str:
    """For SQLite, open the file read-only; other URLs are unchanged."""
    if url.startswith("sqlite:///") and "mode=ro" not in url:
        return f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    return url


def create_source_engine(url: str) -> sa.Engine:
    """Engine for reading the store (never for writing to it)."""
    engine = sa.create_engine(read_only_url(url), **engine_kwargs(url))
    if engine.dialect.name != "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _limit_statement_time(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT VERSION()")
            if "MariaDB" in cursor.fetchone()[0]:
                cursor.execute(f"SET SESSION max_statement_time = {STATEMENT_TIMEOUT_SECONDS}")
            else:
                cursor.execute(f"SET SESSION max_execution_time = {STATEMENT_TIMEOUT_SECONDS * 1000}")
            cursor.close()

    return engine


def normalise(value: Any) -> Any:
    """One value as the lake stores it: ints and floats stay, times become 'YYYY-MM-DD HH:MM:SS', bytes become text."""
    if value is None or isinstance(value, int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def quoted(engine: sa.Engine, name: str) -> str:
    """An identifier quoted for the engine's dialect."""
    return engine.dialect.identifier_preparer.quote(name)


def fetch_all(engine: sa.Engine, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of one short query, wrapped so errors carry no row data."""
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params or {})]
    except sa.exc.SQLAlchemyError as error:
        raise SourceError(f"source query failed: {type(getattr(error, 'orig', None) or error).__name__}") from None


def keyset_chunks(
    engine: sa.Engine, select_sql: str, key_sql: str, params: dict[str, Any], chunk_rows: int, key_index: int = 0
) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of `select_sql` (which must filter `key_sql > :after`) ordered by key, each page one statement."""
    after: Any = -1
    while True:
        sql = f"{select_sql} ORDER BY {key_sql} LIMIT {int(chunk_rows)}"
        rows = fetch_all(engine, sql, {**params, "after": after})
        if not rows:
            return
        yield rows
        if len(rows) < chunk_rows:
            return
        after = rows[-1][key_index]
