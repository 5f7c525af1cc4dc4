"""
### Compliance report

Runs after every scan (on the `magento_pii_findings` Asset event) and every Monday at 06:00 UTC.

Writes `<lake>/reports/<run>/metrics.json`, `metrics.csv` and `report.html`: a self-contained, accessible page
(styles and SVG charts inline, with text alternatives and data tables) showing encryption coverage, card-data
findings, legacy hashes and ciphers, minimisation, retention and drift with trends over the last 90 runs; open
incidents with their obligations and days left; discovery-to-notice time against each deadline; delivery
rates; and the CCPA 1798.150 exposure estimate. A summary paragraph says what changed since the last report.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from include.assets import FINDINGS


@dag(
    dag_id="compliance_report",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 * * 1", timezone="UTC"), assets=FINDINGS),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "report"],
    default_args={"owner": "compliance", "retries": 2, "retry_delay": timedelta(minutes=5)},
)
def compliance_report():
    @task
    def build_report(run_id=None) -> dict:
        """metrics.json, metrics.csv and report.html."""
        from include.reporting.tasks import report

        return report(run_id)

    @task
    def seal_evidence(report: dict, run_id=None) -> dict | None:
        """Manifest of the report's outputs, chained into the ledger."""
        from include.evidence.seal import seal

        return seal("compliance_report", run_id, {"build_report": report})

    seal_evidence(build_report())


compliance_report()
