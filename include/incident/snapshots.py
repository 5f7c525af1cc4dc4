"""When the store is unreachable: scope from the scan's encrypted snapshots, loaded into a temporary SQLite copy."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from include.lake import crypto, keys
from include.lake.store import Lake
from include.lake.tables import read_encrypted_table
from include.magento.geography import US_REGIONS
from include.magento.source import SourceError

SNAPSHOT_TABLES = (
    "customer_entity",
    "customer_address_entity",
    "sales_order",
    "sales_order_address",
    "customer_visitor",
    "customer_log",
)


def snapshot_engine(lake: Lake, tables: list[str], path: str) -> sa.Engine:
    """When the store is unreachable: an SQLite copy of the scan's encrypted snapshots of the tables a scope needs."""
    engine = sa.create_engine(f"sqlite:///{path}")
    wrapper = crypto.default_wrapper()
    for table in tables:
        index_key = keys.snapshot_index(table)
        if not lake.exists(index_key):
            raise SourceError(f"store unreachable and no snapshot of {table} in the lake")
        index = json.loads(lake.get(index_key))
        for entry in index["buckets"].values():
            frame = read_encrypted_table(lake, entry["key"], wrapper).drop_columns(["_row_hash"]).to_pandas()
            frame.to_sql(table, engine, if_exists="append", index=False)
    regions = pd.DataFrame([{"region_id": i, "country_id": "US", "code": c, "default_name": n} for i, c, n in US_REGIONS])
    regions.to_sql("directory_country_region", engine, if_exists="replace", index=False)
    return engine
