"""Seed benchmark: rows per second and peak memory of writing a store of N customers (with orders) into MariaDB.

    .venv/bin/python benchmarks/seed.py --customers 1000000

Creates (or empties) the `bench_magento` database, loads the real schema, seeds it, and keeps it for
benchmarks/scan.py and benchmarks/incident.py.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from _common import database_url, machine, parser, peak_rss_mb, timed

from include.demo.store import SeedConfig, seed_store
from include.magento.schema import mariadb_ddl_statements


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--customers", type=int, default=1_000_000)
    arguments.add_argument("--violations", type=float, default=0.01)
    args = arguments.parse_args()
    results: dict[str, float] = {}
    admin = sa.create_engine(args.server + "/")
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{args.database}`")
        connection.exec_driver_sql(f"CREATE DATABASE `{args.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    admin.dispose()
    engine = sa.create_engine(database_url(args))
    with timed("schema", results), engine.begin() as connection:
        for statement in mariadb_ddl_statements():
            connection.exec_driver_sql(statement)
    engine.dispose()
    with timed("seed", results):
        manifest = seed_store(database_url(args), SeedConfig(customers=args.customers, violations=args.violations, seed=2026))
    rows = sum(manifest.rows.values())
    print(
        json.dumps(
            {
                "benchmark": "seed",
                "machine": machine(),
                "customers": args.customers,
                "orders": manifest.rows["sales_order"],
                "rows": rows,
                "seconds": round(results["seed"], 1),
                "rows_per_second": round(rows / results["seed"]),
                "schema_load_seconds": round(results["schema"], 1),
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
