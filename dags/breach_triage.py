"""
### Triage of a suspected incident

One run per suspected incident (opened by `breach_detection`, or by hand with `{"suspect_id": "SUS-..."}`).
A person answers **Confirm breach**, **False positive** or **Needs investigation** with a reason, in the UI
(*Required actions*) or through `PATCH .../taskInstances/triage_decision/-1/hitlDetails`. The decision is
written to `detections/triage/<suspect>.json` and the audit ledger; a confirmation triggers `breach_incident` with
`discovered_at` at the earliest evidence, the compromised tables and the scope the detection implies.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import Param, dag, task

OPEN_TRIAGES_AT_ONCE = 1000  # every suspect waits for its person at once; a cap would hide the newest behind older ones


@task
def prepare_triage(params=None) -> dict:
    """What the person deciding sees: the rule, times, counts and evidence (no personal data)."""
    from airflow.sdk.exceptions import AirflowFailException

    from include.detection.triage import triage_case

    try:
        return triage_case(str((params or {}).get("suspect_id") or ""))
    except ValueError as error:
        raise AirflowFailException(str(error)) from None


@task
def record_triage(case: dict, response: dict | None, run_id=None) -> dict:
    """Record who decided what, when and why."""
    from include.detection.triage import record_triage

    return record_triage(case["suspect_id"], response, run_id)


@task.short_circuit
def confirmed(record: dict) -> bool:
    """Only a confirmed breach starts an incident."""
    return record["incident_conf"] is not None


@task
def incident_conf(record: dict) -> dict:
    """The breach_incident conf of a confirmed breach."""
    return record["incident_conf"]


@dag(
    dag_id="breach_triage",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=OPEN_TRIAGES_AT_ONCE,
    doc_md=__doc__,
    tags=["compliance", "detection", "triage"],
    default_args={"owner": "security", "retries": 1, "retry_delay": timedelta(minutes=1)},
    params={"suspect_id": Param(None, type=["null", "string"], title="Suspected incident", description="SUS-<16 hex>")},
)
def breach_triage():
    case = prepare_triage()
    decision = HITLOperator(
        task_id="triage_decision",
        subject="{{ ti.xcom_pull(task_ids='prepare_triage')['subject'] }}",
        body="{{ ti.xcom_pull(task_ids='prepare_triage')['body'] }}",
        options=["Confirm breach", "False positive", "Needs investigation"],
        params={"reason": Param("", type="string", title="Reason")},
        response_timeout=timedelta(days=3),
        retries=0,
    )
    case >> decision
    record = record_triage(case, decision.output)
    conf = incident_conf(record)
    confirmed(record) >> conf
    TriggerDagRunOperator(
        task_id="start_incident",
        trigger_dag_id="breach_incident",
        trigger_run_id="{{ 'triage__' ~ params.suspect_id }}",
        conf=conf,
        skip_when_already_exists=True,
    )


breach_triage()
