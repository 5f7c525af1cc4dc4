"""Demo store generator: a realistic, deterministic Magento 2.4 store with known, planted compliance problems.

Rows are generated customer by customer and written in batches, so memory stays flat whatever `customers` is.
Every planted problem is recorded in a manifest by table, column, kind, check and primary key, never by value.

One seeded random.Random drives every value, so the same SeedConfig always writes the same rows in the same
order; the modules split the work per table family (structure, customers, orders, payments, quotes, back office,
planting) but must keep the order of their draws.
"""

from include.demo.store.config import Manifest, SeedConfig
from include.demo.store.generator import Generator, seed_store
from include.demo.store.schema import SEEDED_TABLES, THIRD_PARTY_TABLE, ensure_schema, reset_tables
from include.demo.store.writer import StoreWriter

__all__ = [
    "SEEDED_TABLES",
    "THIRD_PARTY_TABLE",
    "Generator",
    "Manifest",
    "SeedConfig",
    "StoreWriter",
    "ensure_schema",
    "reset_tables",
    "seed_store",
]
