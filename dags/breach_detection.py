"""
### Breach detection

Every 15 minutes: evaluates every Sigma rule of `include/detection/rules/` once over the store's state (read-only,
READ COMMITTED sessions, pool `magento_source`) and the configured web access logs (`DETECTION_ACCESS_LOGS`),
from the last run's watermark (the `since` param overrides it), and records each detection as a suspected
incident under `<lake>/detections/suspects/` (deduplicated across runs; later sightings are appended). Each new
suspected incident opens a `breach_triage` run for a person to decide on.

Outputs: `detections/runs/<run>/detections.json` (rule ids, counts, suspected-incident ids; no event content).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, task

from include.config import SOURCE_POOL


@task(pool=SOURCE_POOL, show_return_value_in_logs=False)
def detect(params=None, run_id=None) -> dict:
    """Evaluate every rule from the watermark on; record suspected incidents."""
    from include.detection.tasks import run_detection

    return run_detection(run_id, (params or {}).get("since"))


@task
def triage_requests(result: dict) -> list[dict]:
    """One breach_triage run per new suspected incident."""
    from include.detection.tasks import triage_requests

    return triage_requests(result)


@task
def seal_evidence(result: dict | None, run_id=None, dag_run=None) -> dict | None:
    """Manifest of what the run wrote, chained into the ledger (a teardown)."""
    from include.evidence.seal import seal

    started_at = dag_run.start_date.isoformat() if dag_run and dag_run.start_date else None
    return seal("breach_detection", run_id, {"detect": result}, started_at=started_at)


@dag(
    dag_id="breach_detection",
    schedule=timedelta(minutes=15),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "detection"],
    default_args={"owner": "security", "retries": 1, "retry_delay": timedelta(minutes=1)},
    params={
        "since": Param(
            None,
            type=["null", "string"],
            format="date-time",
            title="Evaluate from",
            description="Overrides the watermark (a backfill, or the first run); default: the last run's end, else 24 hours ago.",
        )
    },
)
def breach_detection():
    result = detect()
    TriggerDagRunOperator.partial(
        task_id="open_triage", trigger_dag_id="breach_triage", skip_when_already_exists=True, wait_for_completion=False
    ).expand_kwargs(triage_requests(result))
    seal_evidence(result).as_teardown(setups=result)


breach_detection()
