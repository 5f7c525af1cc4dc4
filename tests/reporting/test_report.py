"""The compliance report from 90 runs of history: trends, summary paragraph, CSV, exposure."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from include.lake.store import open_lake
from include.reporting.report import build_report
from include.scan.findings import KINDS, SEVERITIES


def fake_history(lake, runs: int = 95) -> None:
    start = datetime(2026, 8, 1, tzinfo=UTC)
    for i in range(runs):
        summary = {
            "run_id": f"scheduled__{i:03d}",
            "scanned_at": (start + timedelta(days=i)).isoformat(),
            "findings": 3,
            "by_kind": dict.fromkeys(KINDS, 0),
            "by_severity": {s: (i % 4 if s == "critical" else 1) for s in SEVERITIES},
            "affected_rows_by_kind": {k: (i if k == "plaintext_pan" else 0) for k in KINDS},
            "checks_run": 80,
            "checks_passed": 70,
            "coverage": {"customer_entity.rp_token": {"rows_checked": 100, "current_cipher_rows": 90, "coverage": 0.9}},
        }
        lake.put(f"scans/scheduled__{i:03d}/summary.json", json.dumps(summary).encode())


def test_report_keeps_the_last_90_runs_and_explains_changes(tmp_path):
    lake = open_lake((tmp_path / "lake").as_uri())
    fake_history(lake)
    first = build_report(lake, "report-1", now=datetime(2026, 11, 5, tzinfo=UTC))
    metrics = json.loads(lake.get("reports/report-1/metrics.json"))
    assert metrics["runs_in_trend"] == 90 and metrics["trend"][0]["run_id"] == "scheduled__005"
    assert "first report" in first["summary"]
    lake.put(
        "scans/scheduled__999/summary.json",
        json.dumps(
            {
                **json.loads(lake.get("scans/scheduled__094/summary.json")),
                "run_id": "scheduled__999",
                "scanned_at": "2026-12-31T00:00:00+00:00",
                "affected_rows_by_kind": dict.fromkeys(KINDS, 0),
            }
        ).encode(),
    )
    second = build_report(lake, "report-2", now=datetime(2026, 11, 6, tzinfo=UTC))
    assert "Since the last report" in second["summary"] and "plaintext card numbers -94" in second["summary"]
    rows = list(csv.DictReader(io.StringIO(lake.get("reports/report-2/metrics.csv").decode())))
    assert {"findings_critical", "rows_plaintext_pan", "pass_rate"} <= {r["metric"] for r in rows}
    html = lake.get("reports/report-2/report.html").decode()
    assert html.count('<svg role="img"') == 3 and "<title id=" in html and "<desc id=" in html
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")
