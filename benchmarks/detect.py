"""Detection benchmark: rules evaluated per second over an access log and a store, and the detection latency.

    .venv/bin/python benchmarks/detect.py --lines 1000000 --customers 200000

Seeds `bench_detect` (MariaDB) with N customers and the demo's detection plants (or reuses it with
--skip-seed), writes the demo access log with about --lines lines of storefront traffic around the planted
attack, then times one evaluation of every rule the way a breach_detection run does: parse and load the log,
derive the store-state events (read-only sessions), run every converted rule in the local engine. The
baseline, in the same run, is awk splitting every line of the same log into fields (printed as a ratio). It checks
that the planted detections are found, and derives the detection latency (event to suspected incident) of
the 15-minute schedule from the measured run time.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _common import database_url, machine, parser, peak_rss_mb, timed

from include.demo.access_log import write_access_log
from include.demo.store import SeedConfig, seed_store
from include.demo.store.detections import ALLOWLIST, incident_day
from include.detection.detect import detect
from include.detection.engine import compiled_rules
from include.magento.schema import mariadb_ddl_statements

SCHEDULE = timedelta(minutes=15)


def seed(args, as_of: date, results: dict[str, float]) -> None:
    """A fresh benchmark database with the detection plants."""
    admin = sa.create_engine(args.server + "/")
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{args.database}`")
        connection.exec_driver_sql(f"CREATE DATABASE `{args.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    admin.dispose()
    engine = sa.create_engine(database_url(args))
    with engine.begin() as connection:
        for statement in mariadb_ddl_statements():
            connection.exec_driver_sql(statement)
    engine.dispose()
    with timed("seed", results):
        seed_store(
            database_url(args), SeedConfig(customers=args.customers, violations=0.01, seed=2026, as_of=as_of, detections=True)
        )


def bare_split_seconds(path: Path) -> float:
    """The baseline: awk splitting every line of the log into fields, the least a parser of it must do."""
    started = time.perf_counter()
    subprocess.run(["awk", "{n += NF} END {print n}", str(path)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    arguments = parser(__doc__)
    arguments.set_defaults(database="bench_detect")
    arguments.add_argument("--customers", type=int, default=200_000)
    arguments.add_argument("--lines", type=int, default=1_000_000)
    arguments.add_argument("--skip-seed", action="store_true", help="reuse bench_detect as seeded by an earlier run")
    arguments.add_argument("--store-url", help="another store (for example sqlite:///store.db seeded with detections)")
    args = arguments.parse_args()
    as_of = date.today() - timedelta(days=2)
    results: dict[str, float] = {}
    url = args.store_url or database_url(args)
    if not args.skip_seed and not args.store_url:
        seed(args, as_of, results)
    orders = sa.create_engine(url).connect().exec_driver_sql("SELECT COUNT(*) FROM sales_order").scalar() or 0
    with tempfile.TemporaryDirectory() as folder:
        with timed("write_log", results):
            log = write_access_log(
                Path(folder) / "access.log", as_of=as_of, customers=args.customers, orders=orders, lines=args.lines
            )
        rules = len(compiled_rules())
        baseline = bare_split_seconds(log.path)
        since = incident_day(datetime.combine(as_of, datetime.min.time())).replace(tzinfo=UTC)
        started = time.perf_counter()
        run = detect(store_url=url, access_logs=[log.path], since=since, allowlist=frozenset(ALLOWLIST))
        total = time.perf_counter() - started
    found = {d.name for d in run.detections}
    events = run.events["webserver"] + run.events["store"]
    rule_seconds = run.timings["rules"]
    print(
        json.dumps(
            {
                "benchmark": "detect",
                "machine": machine(),
                "customers": args.customers,
                "log_lines": log.lines,
                "events": run.events,
                "rules": rules,
                "seconds": {
                    "seed": round(results.get("seed", 0), 1),
                    "access_log_parse_and_load": run.timings["access_logs"],
                    "store_events": run.timings.get("store"),
                    "rule_evaluation": rule_seconds,
                    "detect_total": round(total, 2),
                },
                "log_lines_per_second": round(log.lines / max(run.timings["access_logs"], 1e-9)),
                "baseline_awk_split_seconds": round(baseline, 2),
                "parse_and_load_vs_awk": round(run.timings["access_logs"] / max(baseline, 1e-9), 1),
                "rules_per_second": round(rules / max(rule_seconds, 1e-9), 2),
                "rule_event_evaluations_per_second": round(rules * events / max(rule_seconds, 1e-9)),
                "detections": len(run.detections),
                "planted_rules_found": sorted(found),
                "latency_event_to_suspect_seconds": {
                    "schedule": SCHEDULE.total_seconds(),
                    "worst": round(SCHEDULE.total_seconds() + total),
                    "mean": round(SCHEDULE.total_seconds() / 2 + total),
                },
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
