"""`make demo`: seed the embedded store, run every DAG with `airflow dags test`, approve through the REST API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from include.config import PROJECT_ROOT
from include.demo.local_airflow import ApiServer, airflow_bin, airflow_env, prepare_metadata_db, run_airflow, stop_process
from include.demo.store import SeedConfig, seed_store
from include.evidence.verify import verify
from include.incident.versions import latest_version
from include.lake import keys
from include.lake.store import open_lake
from include.monitoring.fulfilments import fulfilments, record_fulfilment

DEMO_DIR = PROJECT_ROOT / ".demo"
LOG_DIR = DEMO_DIR / "logs"
STORE = DEMO_DIR / "magento.db"
LAKE = PROJECT_ROOT / "lake"
INCIDENT_ID = "DEMO-2026-001"


def say(message: str) -> None:
    """One progress line."""
    print(f"[demo {datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def demo_incident(now: datetime) -> dict:
    """The drill incident the demo reports: the order database read through a stolen admin session."""
    discovered = (now - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    return {
        "incident_id": INCIDENT_ID,
        "discovered_at": discovered.isoformat(),
        "business_timezone": "America/Los_Angeles",
        "determined_at": (discovered + timedelta(hours=20)).isoformat(),
        "breach_start": (discovered - timedelta(days=9)).isoformat(),
        "breach_end": (discovered - timedelta(days=3)).isoformat(),
        "compromised_tables": [
            "customer_entity",
            "customer_address_entity",
            "sales_order",
            "sales_order_address",
            "sales_order_payment",
        ],
        "scope_kind": "all_rows",
        "entity_types": ["glba_financial_institution"],
        "notice_description": None,
        "notes": "Demo drill.",
    }


def dags_test(dag_id: str, env: dict, conf: dict | None = None) -> None:
    """`airflow dags test` one DAG; raise with the log path when it fails."""
    args = ["dags", "test", dag_id] + (["-c", json.dumps(conf)] if conf else [])
    log = LOG_DIR / f"{dag_id}.log"
    started = time.monotonic()
    done = run_airflow(args, env, log=log, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"airflow dags test {dag_id} failed (exit {done.returncode}); see {log}")
    say(f"{dag_id}: done in {time.monotonic() - started:.0f}s (log: {log.relative_to(PROJECT_ROOT)})")


def run_incident_with_approval(env: dict, conf: dict) -> None:
    """`dags test breach_incident` in the background; legal approves through the api-server's HITL endpoint."""
    log = LOG_DIR / "breach_incident.log"
    with ApiServer(env, LOG_DIR / "api-server.log") as api:
        legal = api.client("legal")
        handle = log.open("w")
        process = subprocess.Popen(
            [airflow_bin(), "dags", "test", "breach_incident", "-c", json.dumps(conf)],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 900
            approved = False
            while process.poll() is None and time.monotonic() < deadline:
                waiting = legal.pending_approvals("breach_incident")
                if waiting and not approved:
                    legal.respond(waiting[0], "Approve", {"reason": "Drill: content and counts reviewed."})
                    say("legal approved the notices through the REST API (HITL)")
                    approved = True
                time.sleep(2)
            if process.poll() is None:
                raise RuntimeError(f"breach_incident did not finish; see {log}")
        finally:
            stop_process(process)
    if process.returncode != 0:
        raise RuntimeError(f"airflow dags test breach_incident failed; see {log}")
    if not approved:
        say("breach_incident: scope unchanged since the last run, no new version to approve")
    say(f"breach_incident: done (log: {log.relative_to(PROJECT_ROOT)})")


def record_regulator_filings() -> None:
    """What legal does after filing each regulator notice: `breachctl incident fulfil` (done here for every one)."""
    lake = open_lake(LAKE.as_uri())
    version = latest_version(lake, INCIDENT_ID)
    if version is None:
        return
    document = json.loads(lake.get(keys.obligations(INCIDENT_ID, version)))
    done = fulfilments(lake, INCIDENT_ID)
    filed = 0
    for obligation in document["obligations"]:
        if obligation["required"] and obligation["recipient"] != "individuals" and obligation["id"] not in done:
            record_fulfilment(lake, INCIDENT_ID, obligation["id"], datetime.now(UTC), "legal (demo drill)", "DRILL")
            filed += 1
    if filed:
        say(f"recorded {filed} regulator and agency filings (breachctl incident fulfil)")


def run_demo(customers: int = 2000) -> int:
    """The whole demo; returns the process exit status."""
    started = time.monotonic()
    DEMO_DIR.mkdir(exist_ok=True)
    env = airflow_env(
        lake_url=LAKE.as_uri(),
        magento={"conn_type": "sqlite", "host": str(STORE)},
        extra={"NOTICE_OUTBOX_DIR": str(DEMO_DIR / "outbox"), "NOTICE_EMAIL_TRANSPORT": "file"},
    )
    try:
        say("preparing the Airflow metadata DB (SQLite in .airflow/)")
        prepare_metadata_db(env, LOG_DIR)
        say(
            f"seeding the embedded demo store ({customers} customers, 2% planted problems) into {STORE.relative_to(PROJECT_ROOT)}"
        )
        manifest = seed_store(f"sqlite:///{STORE}", SeedConfig(customers=customers, violations=0.02, seed=42)).to_dict()
        (DEMO_DIR / "seed-manifest.json").write_text(json.dumps(manifest, indent=1))
        dags_test("magento_pii_scan", env)
        run_incident_with_approval(env, demo_incident(datetime.now(UTC)))
        record_regulator_filings()
        dags_test("incident_deadline_monitor", env)
        dags_test("compliance_report", env)
    except RuntimeError as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    return print_outputs(started)


def print_outputs(started: float) -> int:
    """Where everything is, and the auditor's verify command with its result; the exit status."""
    lake = open_lake(LAKE.as_uri())
    report = verify(lake)
    scans = sorted(key for key, _ in lake.list(keys.SCANS) if key.endswith("summary.json"))
    print()
    print(f"Demo finished in {time.monotonic() - started:.0f}s. Outputs:")
    print(f"  demo store (SQLite)        {STORE}")
    print(f"  lake                       {LAKE}")
    if scans:
        print(f"  latest scan findings       {LAKE / scans[-1].replace('summary.json', 'findings.json')}")
    version = latest_version(lake, INCIDENT_ID)
    if version:
        base = LAKE / keys.incident_prefix(INCIDENT_ID, version)
        print(f"  incident summary           {base / 'summary.json'}")
        print(f"  obligations (JSON, HTML)   {base / 'obligations.json'}  {base / 'obligations.html'}")
        print(f"  notification batches       {base / 'batches'}")
    print(f"  mail-house outbox          {DEMO_DIR / 'outbox'} (HPKE-encrypted to the mail house's key)")
    reports = sorted(key for key, _ in lake.list(keys.REPORTS) if key.endswith("report.html"))
    if reports:
        print(f"  compliance report          {LAKE / reports[-1]}")
    print(f"  logs                       {LOG_DIR}")
    print()
    print("An auditor verifies the evidence store with:")
    print(f"  .venv/bin/breachctl evidence verify --lake {LAKE.as_uri()}")
    print(
        f"  -> {'OK' if report.ok else 'PROBLEMS'}: {report.entries} ledger entries, {report.manifests} manifests, "
        f"{report.outputs_checked} outputs checked, {len(report.problems)} problem(s)"
    )
    return 0 if report.ok else 1
