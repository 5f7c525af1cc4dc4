"""Drill benchmark: time to ready of one drill over the benchmark store, per stage, against a bare read of its tables.

    .venv/bin/python benchmarks/seed.py --customers 1000000    # once
    .venv/bin/python benchmarks/drill.py --scenario credential_stuffing

The baseline, in the same run, is the MariaDB command-line client in batch mode (`mariadb -B --quick`) reading
every row of the scenario's compromised tables to /dev/null: the least any tool needs to see who was affected.
The ratio says how much longer the whole chain (scope, laws, review, approval, batches, delivery to the sink) takes.
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
os.environ.setdefault(
    "AIRFLOW_CONN_EVIDENCE_SIGNING", json.dumps({"conn_type": "generic", "password": base64.b64encode(os.urandom(32)).decode()})
)

from include.config import Config
from include.drill.scenarios import CATALOGUE
from include.drill.tasks import drill
from include.lake.store import open_lake


def bare_read_seconds(url: sa.URL, tables: tuple[str, ...]) -> float:
    """Time for the mariadb client to read every row of the tables to /dev/null."""
    started = time.perf_counter()
    for table in tables:
        with open(os.devnull, "wb") as sink:
            command = ["mariadb", "-B", "--quick", "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306)]
            command += ["-u", url.username or "root", url.database or "", "-e", f"SELECT * FROM `{table}`"]
            subprocess.run(command, stdout=sink, check=True)
    return time.perf_counter() - started


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--scenario", default="credential_stuffing", choices=sorted(CATALOGUE))
    args = arguments.parse_args()
    url = database_url(args)
    baseline = bare_read_seconds(sa.make_url(url), CATALOGUE[args.scenario].compromised_tables)
    lake_dir = tempfile.mkdtemp(prefix="bench-drill-")
    try:
        config = Config.from_env({"LAKE_URL": f"file://{lake_dir}", "NOTICE_SEND_RATE": "0"})
        lake = open_lake(config.lake_url, config=config)
        started = time.perf_counter()
        result = drill(args.scenario, "bench", lake=lake, url=url, config=config)
        wall = time.perf_counter() - started
        report = json.loads(lake.get("drills/bench/report.json"))
    finally:
        shutil.rmtree(lake_dir, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "drill",
                "machine": machine(),
                "scenario": args.scenario,
                "individuals": report["counts"]["individuals"],
                "notices": report["counts"]["notices"],
                "stages": {s["name"]: s["seconds"] for s in report["stages"]},
                "time_to_ready_seconds": report["time_to_ready_seconds"],
                "bottleneck": result["bottleneck"],
                "wall_seconds_with_report": round(wall, 1),
                "baseline_mariadb_client_seconds": round(baseline, 1),
                "ratio_to_baseline": round(report["time_to_ready_seconds"] / baseline, 1) if baseline else None,
                "readiness_failed": result["readiness_failed"],
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
