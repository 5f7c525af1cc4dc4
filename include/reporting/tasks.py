"""The compliance_report DAG's step: the report of this run."""

from __future__ import annotations

from typing import TypedDict

from include.lake import keys
from include.lake.store import Lake, StoredOutput, open_lake
from include.reporting.report import build_report


class ReportResult(TypedDict):
    """What the report task returns (its outputs and the summary paragraph, no personal data)."""

    outputs: list[StoredOutput]
    summary: str


def report(run_id: str, *, lake: Lake | None = None) -> ReportResult:
    """metrics.json, metrics.csv and report.html of this run."""
    result = build_report(lake or open_lake(), keys.run_key(run_id))
    return {"outputs": result["outputs"], "summary": result["summary"]}
