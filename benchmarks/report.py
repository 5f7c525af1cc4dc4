"""Report benchmark: build the compliance report from 90 runs of scan history (plus one tracked incident).

.venv/bin/python benchmarks/report.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta

from _common import machine, parser, peak_rss_mb

from include.lake.store import open_lake
from include.reporting.report import build_report
from include.scan.findings import KINDS, SEVERITIES


def history(lake, runs: int) -> None:
    """Scan summaries like the scan DAG writes, with 80 encrypted columns of coverage each."""
    start = datetime(2026, 8, 1, tzinfo=UTC)
    for i in range(runs):
        lake.put(
            f"scans/scheduled__{i:04d}/summary.json",
            json.dumps(
                {
                    "run_id": f"scheduled__{i:04d}",
                    "scanned_at": (start + timedelta(days=i)).isoformat(),
                    "findings": 20,
                    "by_kind": dict.fromkeys(KINDS, 2),
                    "by_severity": dict.fromkeys(SEVERITIES, 5),
                    "affected_rows_by_kind": {k: 100 + i for k in KINDS},
                    "checks_run": 120,
                    "checks_passed": 100 + i % 20,
                    "coverage": {
                        f"table_{t}.column": {"rows_checked": 10**6, "current_cipher_rows": 10**6 - i, "coverage": 0.99}
                        for t in range(80)
                    },
                }
            ).encode(),
        )


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--runs", type=int, default=90)
    args = arguments.parse_args()
    lake_dir = tempfile.mkdtemp(prefix="bench-report-")
    lake = open_lake(lake_dir)
    history(lake, args.runs)
    started = time.perf_counter()
    result = build_report(lake, "bench-report")
    seconds = time.perf_counter() - started
    sizes = {o["path"].rsplit("/", 1)[1]: o["size"] for o in result["outputs"]}
    shutil.rmtree(lake_dir, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "report",
                "machine": machine(),
                "runs": args.runs,
                "seconds": round(seconds, 2),
                "output_bytes": sizes,
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
