"""Detection and triage in Airflow: `dags test breach_detection` records exactly the planted suspected incidents
(twice, deduplicated), and a triage confirmed through the REST API starts breach_incident with discovered_at at the
evidence time and an access_log scope of exactly the customers the planted client read."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from include.demo.local_airflow import (
    ApiServer,
    airflow_bin,
    airflow_env,
    free_port,
    prepare_metadata_db,
    run_airflow,
    stop_process,
)
from include.demo.store.detections import ALLOWLIST
from include.detection.rules import load_rules
from include.incident.versions import read_individuals
from include.lake import keys
from include.lake.store import open_lake
from tests.detection.conftest import SINCE, planted  # noqa: F401 (a fixture)
from tests.detection.test_triage import expected_customers

pytestmark = [pytest.mark.airflow]
SETTLE_SECONDS = 15
EMAIL = re.compile(rb"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
NAMES = {rule.rule_id: rule.name for rule in load_rules()}


@pytest.fixture(scope="module")
def detection_stack(tmp_path_factory, planted) -> dict:  # noqa: F811
    root = tmp_path_factory.mktemp("detection-airflow")
    store = root / "store.db"
    shutil.copy(planted["store"], store)
    env = airflow_env(
        home=root / "home",
        lake_url=(root / "lake").as_uri(),
        magento={"conn_type": "sqlite", "host": str(store)},
        extra={
            "AIRFLOW_CONN_LAKE_ENCRYPTION": os.environ["AIRFLOW_CONN_LAKE_ENCRYPTION"],
            "DETECTION_ACCESS_LOGS": str(planted["log"].path),
            "DETECTION_SCRIPT_ALLOWLIST": ",".join(ALLOWLIST),
            "NOTICE_OUTBOX_DIR": str(root / "outbox"),
            "NOTICE_EMAIL_TRANSPORT": "file",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        },
    )
    prepare_metadata_db(env, root / "logs")
    return {"env": env, "root": root, "lake": open_lake((root / "lake").as_uri()), "store": store, "planted": planted}


def suspects(lake) -> dict[str, dict]:
    prefix = "detections/suspects/"
    return {
        key: json.loads(lake.get(key)) for key, _ in lake.list(prefix) if key.endswith(".json") and "/" not in key[len(prefix) :]
    }


def groups(suspect: dict) -> set[str]:
    found = set()
    for item in suspect["evidence"]:
        if item.get("table"):
            found |= {f"{item['table']}:{k}" for k in item["primary_keys"]}
        else:
            lines = Path(item["log_file"]).read_text().splitlines()
            found |= {lines[n - 1].split(" ", 1)[0] for n in item["line_numbers"]}
    return found


def test_dags_test_breach_detection_records_exactly_the_planted_suspects_once(detection_stack):
    stack = detection_stack
    for attempt in (1, 2):
        log = stack["root"] / f"detect-{attempt}.log"
        done = run_airflow(
            ["dags", "test", "breach_detection", "-c", json.dumps({"since": SINCE})], stack["env"], log=log, timeout=900
        )
        assert done.returncode == 0, log.read_text()[-3000:]
        assert not EMAIL.search(log.read_bytes())
    found: dict[str, set[str]] = {}
    recorded = suspects(stack["lake"])
    for suspect in recorded.values():
        assert suspect["source"] == "detection" and not EMAIL.search(json.dumps(suspect).encode())
        found.setdefault(NAMES[suspect["rule_id"]], set()).update(groups(suspect))
    assert found == stack["planted"]["expected"]
    assert len(recorded) == sum(len(v) for v in found.values())  # the second run added no duplicate
    runs = [json.loads(stack["lake"].get(k)) for k, _ in stack["lake"].list("detections/runs/")]
    assert sorted(len(r["new_suspects"]) for r in runs) == [0, len(recorded)]
    xcoms = sqlite3.connect(stack["root"] / "home" / "airflow.db").execute("SELECT value FROM xcom").fetchall()
    assert xcoms and not [v for (v,) in xcoms if EMAIL.search(v if isinstance(v, bytes) else str(v).encode())]


def wait_and_answer(client, dag_id: str, run_id: str, option: str, reason: str, timeout: float = 900) -> str:
    deadline, first_seen, answered = time.monotonic() + timeout, None, False
    while time.monotonic() < deadline:
        try:
            state = client.dag_run(dag_id, run_id)["state"]
        except RuntimeError:  # not created yet
            time.sleep(2)
            continue
        if state in ("success", "failed"):
            return state
        waiting = [] if answered else client.pending_approvals(dag_id, run_id)
        first_seen = (first_seen or time.monotonic()) if waiting else None
        if waiting and time.monotonic() - first_seen >= SETTLE_SECONDS:
            client.respond(waiting[0], option, {"reason": reason})
            answered = True
        time.sleep(2)
    pytest.fail(f"{dag_id} run {run_id} did not finish")


def test_a_triage_confirmed_through_the_rest_api_runs_the_incident_with_the_access_log_scope(detection_stack):
    stack = detection_stack
    lake = stack["lake"]
    enumeration = next(s for s in suspects(lake).values() if NAMES[s["rule_id"]] == "magento_customer_enumeration_rest")
    port = free_port()
    env = {**stack["env"], "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"}
    logs = stack["root"] / "components"
    logs.mkdir(exist_ok=True)
    processes = []
    with ApiServer(env, logs / "api-server.log", port=port) as api:
        try:
            for component in ("scheduler", "dag-processor"):
                handle = (logs / f"{component}.log").open("w")
                processes.append(
                    subprocess.Popen(
                        [airflow_bin(), component], env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            admin, legal = api.client("admin"), api.client("legal")
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    admin._request("GET", "/api/v2/dags/breach_triage")
                    admin._request("GET", "/api/v2/dags/breach_incident")
                    break
                except RuntimeError:
                    time.sleep(3)
            for dag_id in ("breach_triage", "breach_incident"):
                admin.set_paused(dag_id, False)
            triage_run = f"triage__{enumeration['id']}"  # opened by breach_detection (open_triage)
            assert (
                wait_and_answer(admin, "breach_triage", triage_run, "Confirm breach", "REST dump with a stolen token")
                == "success"
            )
            incident_run = f"triage__{enumeration['id']}"
            assert wait_and_answer(legal, "breach_incident", incident_run, "Approve", "checked") == "success"
        finally:
            for process in processes:
                stop_process(process)
    decision = json.loads(lake.get(keys.triage_decision(enumeration["id"])))
    assert decision["decision"] == "Confirm breach" and decision["by"] == "admin"
    incident_id = decision["incident_conf"]["incident_id"]
    assert decision["incident_conf"]["discovered_at"] == enumeration["first_seen"].replace("Z", "+00:00")
    individuals = read_individuals(lake, keys.affected_people(incident_id, 1))
    assert {i for ids in individuals["customer_ids"] for i in ids} == expected_customers(stack["planted"])
    ledger = [json.loads(lake.get(k)) for k, _ in lake.list("evidence/ledger/")]
    triaged = [
        e["event"] for e in ledger if e.get("type") == "audit" and e["event"]["event_type"] == "suspected_incident_triaged"
    ]
    assert triaged and triaged[0]["outcome"] == "Confirm breach" and triaged[0]["user_id"] == "admin"
