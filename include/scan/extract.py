"""Incremental, bounded-memory extraction of one mapped table into the lake, with a validated snapshot.

For each table the lake holds:
- `state/watermarks/<table>.json`: the last high-water mark of the table's change column (no personal data);
- `state/snapshots/<table>/`: the current minimised copy of the table, in encrypted Parquet buckets of
  `bucket_rows` primary keys each, plus `index.json` with row counts and each bucket's cached check results;
- `extracts/<table>/<run>/`: the rows this run found changed, encrypted, with a `_manifest.json` of counts.

Only buckets a run touches are rewritten and re-validated, so a daily run costs what changed, not the table.
A run that finds nothing changed writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from include.lake import crypto, keys
from include.lake.store import Lake, StoredOutput
from include.lake.tables import encode_parquet, read_encrypted_table, write_encrypted_table
from include.magento.schema import magento_tables
from include.magento.source import fetch_all, keyset_chunks, normalise, quoted
from include.pii.map import TableSpec
from include.scan.validation import CheckStats, FrameValidator, has_suite

HASH_COLUMN = "_row_hash"
FAR_FUTURE = "9999-12-31 23:59:59"
INDEX_VERSION = 1
_INT_TYPES = {"tinyint", "smallint", "int", "bigint"}
_DRIVER_NATIVE_TYPES = _INT_TYPES | {"varchar", "text", "mediumtext", "longtext"}
_FLOAT_TYPES = {"decimal", "float", "double"}


def arrow_schema(spec: TableSpec) -> pa.Schema:
    """Column types of an extract, from the real Magento DDL: integers, floats, everything else text."""
    tables = magento_tables()
    fields = []
    for column in spec.extract_columns:
        declared = tables[spec.name].columns[column].type
        fields.append(
            pa.field(column, pa.int64() if declared in _INT_TYPES else pa.float64() if declared in _FLOAT_TYPES else pa.string())
        )
    for alias, parent_column in spec.parent_context.items():
        declared = tables[spec.parent_table].columns[parent_column].type
        fields.append(pa.field(alias, pa.int64() if declared in _INT_TYPES else pa.string()))
    fields.append(pa.field(HASH_COLUMN, pa.string()))
    return pa.schema(fields)


@dataclass(frozen=True)
class ExtractQuery:
    """The SQL that reads one table's changed rows page by page."""

    select_sql: str
    key_sql: str
    high_sql: str | None


def build_query(engine: sa.Engine, spec: TableSpec, *, incremental: bool) -> ExtractQuery:
    """SELECT of the extract columns (plus borrowed parent context), filtered by the change column when incremental."""
    q = lambda name: quoted(engine, name)  # noqa: E731
    columns = [f"t.{q(c)}" for c in spec.extract_columns]
    joins = ""
    if spec.parent and (spec.parent_context or spec.incremental_from_parent):
        kind = "JOIN" if spec.incremental_from_parent else "LEFT JOIN"
        joins = f" {kind} {q(spec.parent.table)} p ON p.{q(spec.parent.parent_key)} = t.{q(spec.parent.key)}"
        columns += [f"p.{q(parent_column)} AS {q(alias)}" for alias, parent_column in spec.parent_context.items()]
    key_sql = f"t.{q(spec.primary_key)}"
    where = [f"{key_sql} > :after"]
    high_sql = None
    if spec.incremental_column:
        owner = "p" if spec.incremental_from_parent else "t"
        change = f"{owner}.{q(spec.incremental_column)}"
        source_table = q(spec.parent_table if spec.incremental_from_parent else spec.name)
        high_sql = f"SELECT MAX({q(spec.incremental_column)}) FROM {source_table}"
        where.append(f"({change} <= :high OR {change} IS NULL)" if not incremental else f"{change} >= :low AND {change} <= :high")
    select = f"SELECT {', '.join(columns)} FROM {q(spec.name)} t{joins} WHERE {' AND '.join(where)}"
    return ExtractQuery(select_sql=select, key_sql=key_sql, high_sql=high_sql)


def converted_columns(spec: TableSpec) -> list[int]:
    """Positions of extract columns whose driver values need normalising (times, decimals, binary)."""
    tables = magento_tables()
    declared = [tables[spec.name].columns[c].type for c in spec.extract_columns]
    declared += [tables[spec.parent_table].columns[c].type for c in spec.parent_context.values()]
    return [i for i, kind in enumerate(declared) if kind not in _DRIVER_NATIVE_TYPES]


def rows_to_table(rows: list[tuple[Any, ...]], schema: pa.Schema, convert: list[int] | None = None) -> pa.Table:
    """Normalise the columns that need it, add each row's content hash, and build an Arrow table of the extract schema."""
    width = len(schema) - 1
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    for position in range(width) if convert is None else convert:
        columns[position] = [normalise(value) for value in columns[position]]
    hashes = [hashlib.blake2b(repr(row).encode(), digest_size=12).hexdigest() for row in zip(*columns, strict=True)]
    arrays = [pa.array(list(values), type=schema.field(i).type) for i, values in enumerate(columns)]
    arrays.append(pa.array(hashes, type=pa.string()))
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class ExtractResult:
    """What one table's extraction did: counts only, never values."""

    table: str
    mode: str
    low: str | None
    high: str | None
    rows_read: int = 0
    rows_changed: int = 0
    rows_deleted: int = 0
    buckets_written: int = 0
    buckets_validated: int = 0
    outputs: list[StoredOutput] = field(default_factory=list)
    state: list[StoredOutput] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    total_rows: int = 0
    rows_validated: int = 0
    seconds_reading: float = 0.0
    seconds_validating: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """XCom-ready summary."""
        return dict(self.__dict__)


class TableExtractor:
    """Runs one table's extraction: read changed rows, merge into snapshot buckets, re-validate touched buckets."""

    def __init__(
        self,
        engine: sa.Engine,
        lake: Lake,
        wrapper: crypto.KeyWrapper,
        spec: TableSpec,
        run_id: str,
        *,
        chunk_rows: int = 50_000,
        bucket_rows: int = 100_000,
        suites_version: str = "",
        full_refresh: bool = False,
    ):
        self.engine = engine
        self.lake = lake
        self.wrapper = wrapper
        self.spec = spec
        self.run_slug = keys.run_key(run_id)
        self.chunk_rows = chunk_rows
        self.bucket_rows = bucket_rows
        self.suites_version = suites_version
        self.full_refresh = full_refresh
        self.schema = arrow_schema(spec)
        self.convert = converted_columns(spec)
        self.prefix = keys.snapshot_prefix(spec.name)
        self.index = self._load_json(keys.snapshot_index(spec.name)) or {
            "version": INDEX_VERSION,
            "bucket_rows": bucket_rows,
            "buckets": {},
        }
        if self.index.get("bucket_rows") != bucket_rows or self.index.get("version") != INDEX_VERSION:
            self.index = {"version": INDEX_VERSION, "bucket_rows": bucket_rows, "buckets": {}}
            self.full_refresh = True
        self.watermark = None if self.full_refresh else self._load_json(keys.watermark(spec.name))
        self.changed_parts: list[pa.Table] = []
        self.pending_changed = 0
        self.part_number = 0
        self._validator: FrameValidator | None = None

    @property
    def validator(self) -> FrameValidator | None:
        """The table's suite, built on first use (importing Great Expectations only when a bucket needs checking)."""
        if self._validator is None and has_suite(self.spec.name):
            self._validator = FrameValidator(self.spec.name)
        return self._validator

    # -- lake state --------------------------------------------------------------------------------------

    def _load_json(self, key: str) -> dict[str, Any] | None:
        return json.loads(self.lake.get(key)) if self.lake.exists(key) else None

    def _bucket_of(self, pk: int) -> int:
        return int(pk) // self.bucket_rows

    def load_bucket(self, bucket: int) -> pa.Table | None:
        """The stored rows of one bucket, or None."""
        entry = self.index["buckets"].get(str(bucket))
        return read_encrypted_table(self.lake, entry["key"], self.wrapper) if entry else None

    # -- reading -----------------------------------------------------------------------------------------

    def _pages(self, query: ExtractQuery, params: dict[str, Any], extra_where: str = "") -> Iterator[pa.Table]:
        select_sql = query.select_sql + extra_where
        chunks = keyset_chunks(self.engine, select_sql, query.key_sql, params, self.chunk_rows)
        while True:
            started = time.perf_counter()
            rows = next(chunks, None)
            if rows is None:
                return
            table = rows_to_table(rows, self.schema, self.convert)
            self.result.seconds_reading += time.perf_counter() - started
            yield table

    def _grouped_by_bucket(self, pages: Iterator[pa.Table]) -> Iterator[tuple[int, pa.Table]]:
        """Consecutive rows of each bucket (pages arrive in key order), so only one bucket is in memory."""
        pk = self.spec.primary_key
        current, pending = None, []
        for page in pages:
            self.result.rows_read += page.num_rows
            buckets = pc.floor(pc.divide(page[pk].cast(pa.float64()), float(self.bucket_rows))).cast(pa.int64())
            for bucket in sorted(set(buckets.to_pylist())):
                part = page.filter(pc.equal(buckets, bucket))
                if current is not None and bucket != current:
                    yield current, pa.concat_tables(pending)
                    pending = []
                current = bucket
                pending.append(part)
        if current is not None:
            yield current, pa.concat_tables(pending)

    # -- merging -----------------------------------------------------------------------------------------

    def merge_bucket(self, bucket: int, incoming: pa.Table, *, complete: bool) -> None:
        """Merge rows read for one bucket; complete=True means incoming holds every row the bucket now has."""
        pk = self.spec.primary_key
        old = self.load_bucket(bucket)
        if old is None:
            changed, merged, deleted = incoming, incoming, 0
        else:
            old_hashes = dict(zip(old[pk].to_pylist(), old[HASH_COLUMN].to_pylist(), strict=True))
            mask = [
                old_hashes.get(k) != h for k, h in zip(incoming[pk].to_pylist(), incoming[HASH_COLUMN].to_pylist(), strict=True)
            ]
            changed = incoming.filter(pa.array(mask, type=pa.bool_()))
            incoming_keys = pa.array(incoming[pk].to_pylist(), type=pa.int64())
            keep_old = pc.invert(pc.is_in(old[pk], value_set=incoming_keys))
            deleted = 0
            if complete:
                deleted = sum(keep_old.to_pylist())
                merged = incoming
            else:
                merged = pa.concat_tables([old.filter(keep_old), incoming])
            if changed.num_rows == 0 and deleted == 0:
                return
        self.result.rows_changed += changed.num_rows
        self.result.rows_deleted += deleted
        self._write_bucket(bucket, merged.sort_by(pk))
        if changed.num_rows:
            self._queue_changed(changed)

    def drop_keys(self, bucket: int, keep_keys: set[int]) -> None:
        """Remove rows the source no longer has from one bucket."""
        old = self.load_bucket(bucket)
        if old is None:
            return
        keep = pa.array([k in keep_keys for k in old[self.spec.primary_key].to_pylist()], type=pa.bool_())
        removed = old.num_rows - sum(keep.to_pylist())
        if removed:
            self.result.rows_deleted += removed
            self._write_bucket(bucket, old.filter(keep))

    def _write_bucket(self, bucket: int, table: pa.Table) -> None:
        if table.num_rows == 0:
            self.index["buckets"].pop(str(bucket), None)
            return
        data = encode_parquet(table)
        digest = hashlib.sha256(data).hexdigest()
        key = keys.snapshot_bucket(self.spec.name, bucket, digest)
        self.result.state.append(self.lake.put(key, crypto.encrypt(data, self.wrapper, aad=key)).as_dict())
        self.index["buckets"][str(bucket)] = {"key": key, "rows": table.num_rows, "sha256": digest, "checks": None}
        self.result.buckets_written += 1
        self._validate(bucket, table)

    def _validate(self, bucket: int, table: pa.Table) -> None:
        entry = self.index["buckets"][str(bucket)]
        if self.validator is None:
            entry["checks"], entry["suites_version"] = {}, self.suites_version
            return
        started = time.perf_counter()
        frame = table.drop_columns([HASH_COLUMN]).to_pandas()
        entry["checks"] = {key: stats.as_dict() for key, stats in self.validator.validate(frame).items()}
        entry["suites_version"] = self.suites_version
        self.result.buckets_validated += 1
        self.result.rows_validated += table.num_rows
        self.result.seconds_validating += time.perf_counter() - started

    def _queue_changed(self, changed: pa.Table) -> None:
        self.changed_parts.append(changed.drop_columns([HASH_COLUMN]))
        self.pending_changed += changed.num_rows
        if self.pending_changed >= self.chunk_rows:
            self._flush_changed()

    def _flush_changed(self) -> None:
        if not self.changed_parts:
            return
        self.part_number += 1
        key = keys.extract_part(self.spec.name, self.run_slug, self.part_number)
        stored = write_encrypted_table(self.lake, key, pa.concat_tables(self.changed_parts), self.wrapper)
        self.result.outputs.append(stored.as_dict())
        self.changed_parts, self.pending_changed = [], 0

    def _delete_unreferenced_buckets(self) -> None:
        """Remove bucket objects the committed index does not list: superseded ones, and any a failed attempt left."""
        referenced = {entry["key"] for entry in self.index["buckets"].values()}
        buckets = [key for key, _ in self.lake.list(f"{self.prefix}/") if key.rsplit("/", 1)[-1].startswith("bucket-")]
        for key in buckets:
            if key not in referenced:
                self.lake.delete(key)
                self.result.removed.append(key)

    # -- the run -----------------------------------------------------------------------------------------

    def _reconcile_deletions(self, query: ExtractQuery) -> None:
        """Compare per-bucket row counts with the source; re-read buckets that differ (deletes, missed inserts)."""
        q = lambda name: quoted(self.engine, name)  # noqa: E731
        pk = q(self.spec.primary_key)
        rows = fetch_all(
            self.engine,
            f"SELECT FLOOR({pk} / {self.bucket_rows}) AS b, COUNT(*) FROM {q(self.spec.name)} "
            f"GROUP BY FLOOR({pk} / {self.bucket_rows})",
        )
        source_counts = {int(b): int(n) for b, n in rows}
        stored = {int(b): entry["rows"] for b, entry in self.index["buckets"].items()}
        for bucket in sorted(set(source_counts) | set(stored)):
            if source_counts.get(bucket, 0) == stored.get(bucket, 0):
                continue
            low, high = bucket * self.bucket_rows, (bucket + 1) * self.bucket_rows
            if source_counts.get(bucket, 0) < stored.get(bucket, 0):
                keys = fetch_all(
                    self.engine,
                    f"SELECT {pk} FROM {q(self.spec.name)} WHERE {pk} >= :low AND {pk} < :high",
                    {"low": low, "high": high},
                )
                self.result.rows_read += len(keys)
                self.drop_keys(bucket, {int(k[0]) for k in keys})
            if source_counts.get(bucket, 0) > self.index["buckets"].get(str(bucket), {}).get("rows", 0):
                full_query = build_query(self.engine, self.spec, incremental=False)
                range_where = f" AND {full_query.key_sql} >= {low} AND {full_query.key_sql} < {high}"
                pages = self._pages(full_query, {"high": FAR_FUTURE}, range_where)
                for number, part in self._grouped_by_bucket(pages):
                    self.merge_bucket(number, part, complete=True)

    def run(self) -> ExtractResult:
        """Extract, merge, validate; then save the index and move the watermark (only after everything is written)."""
        incremental = bool(self.watermark) and self.spec.mode != "full"
        query = build_query(self.engine, self.spec, incremental=incremental)
        high = None
        if query.high_sql:
            high = normalise(fetch_all(self.engine, query.high_sql)[0][0])
        low = self.watermark["high"] if incremental and self.watermark else None
        self.result = ExtractResult(
            table=self.spec.name,
            mode=self.spec.mode if incremental or self.spec.mode == "full" else "initial",
            low=low,
            high=high,
        )
        params = {"low": low, "high": high or FAR_FUTURE}
        complete = self.spec.mode == "full" or not incremental
        touched = set()
        if query.high_sql is None or high is not None:
            for bucket, part in self._grouped_by_bucket(self._pages(query, params)):
                touched.add(bucket)
                self.merge_bucket(bucket, part, complete=complete)
        if complete:
            for bucket in [int(b) for b in self.index["buckets"] if int(b) not in touched]:
                self.result.rows_deleted += self.index["buckets"][str(bucket)]["rows"]
                self._write_bucket(bucket, self.schema.empty_table())
        else:
            self._reconcile_deletions(query)
        for bucket, entry in sorted(self.index["buckets"].items()):
            if entry.get("checks") is None or entry.get("suites_version") != self.suites_version:
                self._validate(int(bucket), read_encrypted_table(self.lake, entry["key"], self.wrapper))
        self._flush_changed()
        changed = self.result.rows_changed or self.result.rows_deleted or self.result.buckets_validated
        if self.result.outputs or self.result.rows_deleted:
            manifest = {
                "table": self.spec.name,
                "run": self.run_slug,
                "mode": self.result.mode,
                "low": low,
                "high": high,
                "rows_read": self.result.rows_read,
                "rows_changed": self.result.rows_changed,
                "rows_deleted": self.result.rows_deleted,
                "parts": list(self.result.outputs),
                "columns": [f.name for f in self.schema if f.name != HASH_COLUMN],
                "extracted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            stored = self.lake.put(keys.extract_manifest(self.spec.name, self.run_slug), json.dumps(manifest, indent=2).encode())
            self.result.outputs.append(stored.as_dict())
        if changed:
            index = self.lake.put(keys.snapshot_index(self.spec.name), json.dumps(self.index, indent=1).encode())
            self.result.state.append(index.as_dict())
        self._delete_unreferenced_buckets()
        if high is not None and (self.watermark or {}).get("high") != high:
            mark = self.lake.put(keys.watermark(self.spec.name), json.dumps({"high": high, "run": self.run_slug}).encode())
            self.result.state.append(mark.as_dict())
        self.result.checks = aggregate_checks(self.index)
        self.result.total_rows = sum(entry["rows"] for entry in self.index["buckets"].values())
        return self.result


def aggregate_checks(index: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sum every bucket's cached check results into one result per `column:check`."""
    totals: dict[str, CheckStats] = {}
    for _, entry in sorted(index["buckets"].items(), key=lambda item: int(item[0])):
        for key, stats in (entry.get("checks") or {}).items():
            totals.setdefault(key, CheckStats()).add(CheckStats(**stats))
    return {key: stats.as_dict() for key, stats in totals.items()}
