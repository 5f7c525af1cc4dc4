"""StoreWriter: buffers generated rows per table and bulk-loads them, plus the TSV encoding LOAD DATA reads."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from include.demo.store.config import Manifest

# MariaDB LOAD DATA escapes: backslash, tab, newline, carriage return and NUL; \N is NULL.
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def _tsv_field(value: Any) -> str:
    """One value as a LOAD DATA field (NULL as \\N, text escaped, bytes decoded, everything else str())."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value if value.isprintable() and "\\" not in value else value.translate(_TSV_ESCAPES)
    if isinstance(value, bytes):
        return value.decode().translate(_TSV_ESCAPES)
    return str(value)


class StoreWriter:
    """Buffers rows per table and bulk-loads them: LOAD DATA LOCAL INFILE on MariaDB/MySQL, executemany elsewhere."""

    def __init__(self, engine: sa.Engine, manifest: Manifest, flush_rows: int = 20000, strict: bool = False) -> None:
        self.engine = engine
        self.manifest = manifest
        self.flush_rows = flush_rows
        self.quote = engine.dialect.identifier_preparer.quote
        self.placeholder = "?" if engine.dialect.name == "sqlite" else "%s"
        self.buffers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.connection = engine.raw_connection()
        self.load_data = engine.dialect.name != "sqlite"
        self.loader = ThreadPoolExecutor(max_workers=1)
        self.pending: Future[None] | None = None
        cursor = self.connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA journal_mode=WAL")
        else:
            mode = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO" if strict else "NO_AUTO_VALUE_ON_ZERO"
            cursor.execute(f"SET SESSION foreign_key_checks=0, sql_mode='{mode}'")
            cursor.execute("SELECT @@GLOBAL.local_infile")
            (local_infile,) = cursor.fetchone() or (0,)
            self.load_data = bool(int(local_infile))

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue one row; flushes the table when its buffer is full."""
        buffer = self.buffers[table]
        buffer.append(row)
        if len(buffer) >= self.flush_rows:
            self._flush_table(table)

    def _flush_table(self, table: str) -> None:
        """Send one table's queued rows to the database and count them in the manifest."""
        rows = self.buffers.pop(table, [])
        if not rows:
            return
        columns = list(rows[0])
        getter = itemgetter(*columns)
        values = [getter(row) if len(columns) > 1 else (getter(row),) for row in rows]
        if self.load_data:
            path = self._write_tsv(values)
            self._wait_for_load()
            self.pending = self.loader.submit(self._load_data, table, columns, path)
        else:
            sql = (
                f"INSERT INTO {self.quote(table)} ({', '.join(self.quote(c) for c in columns)}) "
                f"VALUES ({', '.join([self.placeholder] * len(columns))})"
            )
            self.connection.cursor().executemany(sql, values)
        self.manifest.rows[table] += len(rows)

    @staticmethod
    def _write_tsv(values: list[tuple[Any, ...]]) -> str:
        """Write rows to a temporary TSV file for LOAD DATA and return its path."""
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", delete=False) as handle:
            handle.writelines("\t".join(map(_tsv_field, row)) + "\n" for row in values)
        return handle.name

    def _load_data(self, table: str, columns: list[str], path: str) -> None:
        """Runs on the loader thread, so the server loads one batch while Python generates the next."""
        try:
            self.connection.cursor().execute(
                f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {self.quote(table)} CHARACTER SET utf8mb4 "
                f"({', '.join(self.quote(c) for c in columns)})"
            )
        finally:
            os.unlink(path)

    def _wait_for_load(self) -> None:
        """Block until the loader thread has finished the batch it is loading (re-raising its error)."""
        if self.pending is not None:
            self.pending.result()
            self.pending = None

    def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one statement on the seeding connection (after flushing everything queued)."""
        self.flush()
        self.connection.cursor().execute(sql.replace("?", self.placeholder), tuple(params))

    def flush(self) -> None:
        """Write every queued row and commit."""
        for table in list(self.buffers):
            self._flush_table(table)
        self._wait_for_load()
        self.connection.commit()

    def close(self) -> None:
        """Flush and release the connection."""
        self.flush()
        self.loader.shutdown()
        self.connection.close()
