"""
### Incident deadline monitor (hourly)

Tracks every open incident until each person is notified or covered by a substitute notice:

1. runs a delivery round per incident (provider events such as bounces and complaints come in, bounced email
   falls back to a postal letter, anything never sent is sent; nothing is ever sent twice);
2. compares every required obligation's due date with the delivery ledger and the fulfilments recorded with
   `breachctl incident fulfil`, recomputing dependent deadlines (California's sample to the Attorney General)
   from the actual notice date once it is known;
3. writes `<lake>/alerts/<run>/deadlines.json` and **fails `raise_alerts`** when an obligation that is not met
   falls due within `warn_days`, so Airflow's failure notifications reach the on-call team.

Hourly, because GDPR Art. 33 and NYDFS 500.17 run on 72-hour clocks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="incident_deadline_monitor",
    schedule=timedelta(hours=1),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "incident", "monitoring"],
    default_args={"owner": "incident-response", "retries": 2, "retry_delay": timedelta(minutes=5)},
    params={"warn_days": Param(3, type="number", minimum=0, title="Alert this many days before a deadline")},
)
def incident_deadline_monitor():
    @task
    def open_incidents() -> list[str]:
        """Incidents with a resolved version."""
        from include.lake import open_lake
        from include.monitor import incident_ids

        return incident_ids(open_lake())

    @task(show_return_value_in_logs=False, max_active_tis_per_dagrun=2)
    def delivery_round(incident_id: str, run_id=None) -> dict:
        """Provider events in, bounces to post, unsent notices out (idempotent)."""
        from include import notice_run

        return notice_run.deliver(incident_id, run_id)

    @task
    def check_deadlines(rounds: list[dict], params=None, run_id=None) -> dict:
        """Every required obligation against the ledger and fulfilments."""
        import json

        from include.extract import run_key
        from include.lake import open_lake
        from include.monitor import check_all

        lake = open_lake()
        status = check_all(lake, warn_days=float(params["warn_days"]))
        stored = lake.put(f"alerts/{run_key(run_id)}/deadlines.json", json.dumps(status, indent=2).encode()).as_dict()
        return {"alerts": status["alerts"], "checked": len(status["obligations"]), "outputs": [stored]}

    @task
    def raise_alerts(status: dict) -> None:
        """Fail (and so notify) when an unmet obligation is due within warn_days."""
        from airflow.sdk.exceptions import AirflowFailException

        if status["alerts"]:
            lines = [
                f"{a['incident_id']} {a['obligation']}: due {a['due']} ({a['days_left']} days), {a['progress']}"
                for a in status["alerts"]
            ]
            raise AirflowFailException("deadlines at risk:\n" + "\n".join(lines))

    @task
    def seal_evidence(rounds: list[dict] | None, status: dict | None, run_id=None) -> dict | None:
        """Manifest of this run's outputs."""
        from include import evidence
        from include.extract import run_key
        from include.lake import open_lake

        outputs = [dict(o, task_id="delivery_round") for r in (rounds or []) if r for o in r["outputs"]]
        outputs += [dict(o, task_id="check_deadlines") for o in (status or {}).get("outputs", [])]
        if not outputs:
            return None
        entry = evidence.seal_run(
            open_lake(), dag_id="incident_deadline_monitor", run_id=run_id, outputs=outputs, versions={}, run_key=run_key(run_id)
        )
        return {"seq": entry["seq"]}

    incidents = open_incidents()
    rounds = delivery_round.expand(incident_id=incidents)
    status = check_deadlines(rounds)
    raise_alerts(status)
    seal_evidence(rounds, status).as_teardown(setups=incidents)


incident_deadline_monitor()
