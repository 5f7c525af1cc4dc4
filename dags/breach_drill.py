"""
### Breach drill

Monthly (and on demand) a synthetic incident, `DRILL-<run>`, goes through the real chain in its own lake prefix
(`<lake>/drills/<run>/lake`): the scenario's detection or processor record, triage, the incident trigger, scope,
obligations, review, approval, batches and one delivery round to a sink that can never reach a person (any other
transport is refused). Triage and approval are answered by the drill where a person answers in a real incident.

Writes `<lake>/drills/<run>/report.json` and `report.html`: each stage's time, time to ready against the internal
target (`DRILL_TARGET_HOURS`, 72 by default) and the scenario's shortest legal deadline, the bottleneck, and the
readiness checks (contact coverage, translations, business contact, regulator contacts, lake keys, Object Lock,
approvers, SIEM senders), each with what to fix. Scenarios: see `include/drill/scenarios.py`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from include.drill.scenarios import CATALOGUE


@task(show_return_value_in_logs=False)
def run_drill(params=None, run_id=None) -> dict:
    """The drill, its readiness checks and its report."""
    from include.drill.tasks import drill

    result = drill(str((params or {}).get("scenario") or "checkout_skimmer"), run_id)
    print(result["headline"])
    return result


@task
def seal_evidence(result: dict, run_id=None) -> dict | None:
    """Manifest of the drill report, chained into the ledger."""
    from include.evidence.seal import seal

    return seal("breach_drill", run_id, {"run_drill": result})


@dag(
    dag_id="breach_drill",
    schedule="0 7 1 * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "drill", "readiness"],
    default_args={"owner": "incident-response", "retries": 1, "retry_delay": timedelta(minutes=5)},
    params={
        "scenario": Param(
            "checkout_skimmer",
            type="string",
            enum=sorted(CATALOGUE),
            values_display={name: s.title for name, s in CATALOGUE.items()},
            title="Scenario",
            description="The rehearsed breach.",
        )
    },
)
def breach_drill():
    seal_evidence(run_drill())


breach_drill()
