"""
### Incident deadline monitor (hourly)

Tracks every open incident until each person is notified or covered by a substitute notice:

1. runs a delivery round per incident, the same function as `breachctl notices deliver` (provider events such
   as bounces, complaints and the mail house's acknowledgements come in, bounced email falls back to a postal
   letter, anything never sent is sent; one round per incident at a time, so nothing is ever sent twice);
2. compares every required obligation's due date with the delivery ledger and the fulfilments recorded with
   `breachctl incident fulfil`, recomputing dependent deadlines (California's sample to the Attorney General)
   from the actual notice date once it is known;
3. writes `<lake>/alerts/<run>/deadlines.json` and **fails `raise_alerts`** when an obligation that is not met
   falls due within `warn_days`; every task failure goes to the on-call team by email (connection `alert_smtp`)
   and webhook (connection `alert_webhook`: Slack, Teams, PagerDuty).

Hourly, because GDPR Art. 33 and NYDFS 500.17 run on 72-hour clocks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from include.monitoring.notifiers import alert_notifiers


@dag(
    dag_id="incident_deadline_monitor",
    schedule=timedelta(hours=1),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "incident", "monitoring"],
    default_args={
        "owner": "incident-response",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "on_failure_callback": alert_notifiers(),
    },
    params={"warn_days": Param(3, type="number", minimum=0, title="Alert this many days before a deadline")},
)
def incident_deadline_monitor():
    @task
    def open_incidents() -> list[str]:
        """Incidents with a resolved version."""
        from include.monitoring.tasks import open_incidents

        return open_incidents()

    @task(show_return_value_in_logs=False, max_active_tis_per_dagrun=2)
    def delivery_round(incident_id: str, run_id=None) -> dict:
        """Provider events in, bounces to post, unsent notices out (idempotent)."""
        from include.notices.tasks import deliver

        return deliver(incident_id, run_id)

    @task
    def check_deadlines(rounds: list[dict], params=None, run_id=None) -> dict:
        """Every required obligation against the ledger and fulfilments."""
        from include.monitoring.tasks import check_deadlines

        return check_deadlines(run_id, float(params["warn_days"]))

    @task
    def raise_alerts(status: dict) -> None:
        """Fail (and so notify) when an unmet obligation is due within warn_days."""
        from airflow.sdk.exceptions import AirflowFailException

        from include.monitoring.tasks import alert_message

        if message := alert_message(status):
            raise AirflowFailException(message)

    @task
    def seal_evidence(rounds: list[dict] | None, status: dict | None, run_id=None) -> dict | None:
        """Manifest of this run's outputs."""
        from include.evidence.seal import seal

        return seal("incident_deadline_monitor", run_id, {"delivery_round": list(rounds or []), "check_deadlines": status})

    incidents = open_incidents()
    rounds = delivery_round.expand(incident_id=incidents)
    status = check_deadlines(rounds)
    raise_alerts(status)
    seal_evidence(rounds, status).as_teardown(setups=incidents)


incident_deadline_monitor()
