"""Scan benchmark: extraction and validation rows/s, peak memory, and the ratio to a bare read of the same columns.

    .venv/bin/python benchmarks/seed.py --customers 1000000    # once
    .venv/bin/python benchmarks/scan.py

The baseline is the MariaDB command-line client in batch mode (`mariadb -B --quick`) reading exactly the
columns the scan keeps, to /dev/null, in the same run. The pipeline run is a first (full) scan into an empty
file lake: read, minimise, encrypt, merge into snapshot buckets and validate every bucket with the GX suites;
then a second run over the unchanged store.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time

import sqlalchemy as sa
from _common import database_url, machine, parser, peak_rss_mb

os.environ.setdefault(
    "AIRFLOW_CONN_LAKE_ENCRYPTION", json.dumps({"conn_type": "generic", "password": base64.b64encode(os.urandom(32)).decode()})
)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from include.lake.store import open_lake
from include.pii.map import load_pii_map
from include.scan import tasks as scan
from include.scan.extract import build_query


def bare_read_seconds(args, table: str, engine: sa.Engine) -> tuple[float, int]:
    """Time for the mariadb client to read the scan's columns of one table to /dev/null."""
    spec = load_pii_map().tables[table]
    query = build_query(engine, spec, incremental=False)
    sql = query.select_sql.replace("WHERE t.", "WHERE 1 = 1 OR t.").replace(":after", "0").replace(":high", "'9999-12-31'")
    url = sa.make_url(database_url(args))
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(
            [
                "mariadb",
                "-B",
                "--quick",
                "-h",
                url.host,
                "-P",
                str(url.port or 3306),
                "-u",
                url.username,
                url.database,
                "-e",
                sql,
            ],
            stdout=sink,
            check=True,
        )
    elapsed = time.perf_counter() - started
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"SELECT COUNT(*) FROM `{table}`").scalar()
    return elapsed, rows


def main() -> None:
    args = parser(__doc__).parse_args()
    url = database_url(args)
    lake_dir = tempfile.mkdtemp(prefix="bench-lake-")
    lake = open_lake(lake_dir)
    import great_expectations  # noqa: F401  (import once, so setup is not counted per table)

    tables = scan.plan_tables(url)
    engine = sa.create_engine(url)
    baseline_seconds = baseline_rows = 0
    for table in tables:
        seconds, rows = bare_read_seconds(args, table, engine)
        baseline_seconds += seconds
        baseline_rows += rows
    engine.dispose()
    started = time.perf_counter()
    results = [scan.scan_table(t, "bench-1", url=url, lake=lake) for t in tables]
    pipeline_seconds = time.perf_counter() - started
    started = time.perf_counter()
    relational = scan.relational_checks(url=url)
    drift = scan.schema_drift(url=url)
    scan.write_scan_outputs("bench-1", results, relational, drift, lake=lake)
    store_checks_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = [scan.scan_table(t, "bench-2", url=url, lake=lake) for t in tables]
    second_seconds = time.perf_counter() - started
    rows = sum(r["rows_read"] for r in results)
    read_seconds = sum(r["seconds_reading"] for r in results)
    validated = sum(r["rows_validated"] for r in results)
    validate_seconds = sum(r["seconds_validating"] for r in results)
    biggest = sorted(results, key=lambda r: -r["rows_read"])[:5]
    print(
        json.dumps(
            {
                "benchmark": "scan",
                "machine": machine(),
                "tables": len(tables),
                "rows": rows,
                "customers": next(r["total_rows"] for r in results if r["table"] == "customer_entity"),
                "orders": next(r["total_rows"] for r in results if r["table"] == "sales_order"),
                "baseline_mariadb_client_seconds": round(baseline_seconds, 1),
                "baseline_rows_per_second": round(baseline_rows / baseline_seconds),
                "first_scan_seconds": round(pipeline_seconds, 1),
                "first_scan_rows_per_second": round(rows / pipeline_seconds),
                "ratio_to_baseline": round(pipeline_seconds / baseline_seconds, 2),
                "extraction_rows_per_second": round(rows / read_seconds),
                "extraction_seconds": round(read_seconds, 1),
                "validation_rows_per_second": round(validated / validate_seconds) if validate_seconds else None,
                "validation_seconds": round(validate_seconds, 1),
                "relational_and_drift_seconds": round(store_checks_seconds, 1),
                "second_scan_unchanged_seconds": round(second_seconds, 1),
                "second_scan_rows_changed": sum(r["rows_changed"] for r in second),
                "largest_tables": {
                    r["table"]: {
                        "rows": r["rows_read"],
                        "read_s": round(r["seconds_reading"], 1),
                        "validate_s": round(r["seconds_validating"], 1),
                    }
                    for r in biggest
                },
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )
    shutil.rmtree(lake_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
