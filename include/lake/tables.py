"""Tables in the lake: Arrow tables as zstd Parquet, encrypted client-side before they are stored."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from include.lake import crypto
from include.lake.store import Lake, StoredObject


def encode_parquet(table: pa.Table) -> bytes:
    """Parquet bytes (zstd)."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def write_encrypted_table(lake: Lake, key: str, table: pa.Table, wrapper: crypto.KeyWrapper) -> StoredObject:
    """Encrypt a table client-side and put it in the lake."""
    return lake.put(key, crypto.encrypt(encode_parquet(table), wrapper, aad=key))


def read_encrypted_table(lake: Lake, key: str, wrapper: crypto.KeyWrapper) -> pa.Table:
    """Read back what write_encrypted_table wrote."""
    return pq.read_table(io.BytesIO(crypto.decrypt(lake.get(key), wrapper, aad=key)))


def write_table(lake: Lake, key: str, table: pa.Table) -> StoredObject:
    """A table without personal data (idempotency keys, counts) as plain Parquet."""
    return lake.put(key, encode_parquet(table))


def read_table(lake: Lake, key: str, columns: list[str] | None = None) -> pa.Table:
    """Read back what write_table wrote."""
    return pq.read_table(io.BytesIO(lake.get(key)), columns=columns)
