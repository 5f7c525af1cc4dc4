"""The demo's detection part: the planted access log, one breach_detection run, and a triage confirmed through the
REST API (like legal's approval) whose breach_incident conf the runner then runs."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from include.demo.access_log import PlantedLog, write_access_log
from include.demo.local_airflow import ApiServer, airflow_bin, stop_process
from include.demo.store.detections import ALLOWLIST, incident_day
from include.detection.rules import load_rules
from include.detection.suspects import load_suspect, suspect_ids
from include.lake import keys
from include.lake.store import Lake

ENUMERATION_RULE = "magento_customer_enumeration_rest"


def detection_settings(log: Path) -> dict[str, str]:
    """The environment that points detection at the demo's access log and allowlist."""
    return {"DETECTION_ACCESS_LOGS": str(log), "DETECTION_SCRIPT_ALLOWLIST": ",".join(ALLOWLIST)}


def write_demo_log(path: Path, as_of: date, customers: int, orders: int) -> PlantedLog:
    """The demo's access log around the planted attack."""
    return write_access_log(path, as_of=as_of, customers=customers, orders=orders, lines=5000)


def detection_since(as_of: date) -> str:
    """Where the demo's detection window starts (the planted day)."""
    return incident_day(datetime.combine(as_of, datetime.min.time())).replace(tzinfo=UTC).isoformat()


def enumeration_suspect(lake: Lake) -> str | None:
    """The suspected incident of the planted enumeration burst."""
    rule_ids = {rule.rule_id for rule in load_rules() if rule.name == ENUMERATION_RULE}
    return next((s for s in suspect_ids(lake) if load_suspect(lake, s).get("rule_id") in rule_ids), None)


def run_with_answer(env: dict, log: Path, dag_id: str, conf: dict, answer: tuple[str, str, str], api_log: Path) -> None:
    """`dags test DAG_ID` in the background; answer its HITL request (user, option, reason) through the REST API."""
    username, option, reason = answer
    with ApiServer(env, api_log) as api:
        client = api.client(username)
        with log.open("w") as handle:
            process = subprocess.Popen(
                [airflow_bin(), "dags", "test", dag_id, "-c", json.dumps(conf)],
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline, answered = time.monotonic() + 900, False
            while process.poll() is None and time.monotonic() < deadline:
                waiting = [] if answered else client.pending_approvals(dag_id)
                if waiting:
                    client.respond(waiting[0], option, {"reason": reason})
                    answered = True
                time.sleep(2)
            if process.poll() is None:
                raise RuntimeError(f"{dag_id} did not finish; see {log}")
        finally:
            stop_process(process)
    if process.returncode != 0:
        raise RuntimeError(f"airflow dags test {dag_id} failed; see {log}")


def triage_enumeration(env: dict, lake: Lake, log_dir: Path, say: Callable[[str], None]) -> dict | None:
    """Confirm the planted enumeration in breach_triage; return the breach_incident conf it produced."""
    suspect = enumeration_suspect(lake)
    if suspect is None:
        say("breach_detection found no enumeration to triage")
        return None
    if not lake.exists(keys.triage_decision(suspect)):
        answer = ("admin", "Confirm breach", "Demo: REST dump of customer records with an admin token.")
        run_with_answer(
            env, log_dir / "breach_triage.log", "breach_triage", {"suspect_id": suspect}, answer, log_dir / "api-server.log"
        )
        say(f"triage: {suspect} confirmed through the REST API (HITL)")
    decision = json.loads(lake.get(keys.triage_decision(suspect)))
    return decision["incident_conf"]
