"""`make demo`: seed the embedded store, run every DAG with `airflow dags test`, approve through the REST API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from include.config import PROJECT_ROOT
from include.demo.detection_demo import detection_settings, detection_since, triage_enumeration, write_demo_log
from include.demo.local_airflow import (
    DEFAULT_HOME,
    ApiServer,
    airflow_bin,
    airflow_env,
    local_secrets,
    prepare_metadata_db,
    run_airflow,
    stop_process,
)
from include.demo.store import SeedConfig, seed_store
from include.drill.report import headline
from include.evidence.verify import parse_document, verify
from include.incident.versions import latest_version
from include.lake import keys
from include.lake.signing import Signer, keyring, parse_private_key, parse_public_key
from include.lake.store import Lake, open_lake
from include.monitoring.fulfilments import fulfilments, record_fulfilment

DEMO_DIR = PROJECT_ROOT / ".demo"
LOG_DIR = DEMO_DIR / "logs"
STORE = DEMO_DIR / "magento.db"
LAKE = PROJECT_ROOT / "lake"
INCIDENT_ID = "DEMO-2026-001"
ACCESS_LOG = DEMO_DIR / "access.log"


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


def demo_env(home: Path = DEFAULT_HOME, lake: Path = LAKE, store: Path = STORE) -> dict[str, str]:
    """The demo's Airflow environment: SQLite metadata DB in `home`, the embedded store, the local lake and outbox."""
    return airflow_env(
        home=home,
        lake_url=lake.as_uri(),
        magento={"conn_type": "sqlite", "host": str(store)},
        extra={
            "NOTICE_OUTBOX_DIR": str(store.parent / "outbox"),
            "NOTICE_EMAIL_TRANSPORT": "file",
            "NOTICE_APPROVERS": "legal",
            **detection_settings(store.parent / ACCESS_LOG.name),
        },
    )


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


def record_regulator_filings(signer: Signer, incident_id: str) -> None:
    """What legal does after filing each regulator notice: `breachctl incident fulfil` (done here for every one)."""
    lake = open_lake(LAKE.as_uri())
    version = latest_version(lake, incident_id)
    if version is None:
        return
    document = json.loads(lake.get(keys.obligations(incident_id, version)))
    done = fulfilments(lake, incident_id, keyring([signer.private.public_key()]))
    filed = 0
    for obligation in document["obligations"]:
        if not obligation["required"] or obligation["recipient"] == "individuals":
            continue
        earlier = done.get(obligation["id"])
        at = datetime.fromisoformat(earlier["at"]) if earlier else datetime.now(UTC)
        record_fulfilment(lake, incident_id, obligation["id"], at, "legal (demo drill)", "DRILL", signer=signer)
        filed += earlier is None
    if filed:
        say(f"{incident_id}: recorded {filed} regulator and agency filings (breachctl incident fulfil)")


def run_demo(customers: int = 2000) -> int:
    """The whole demo; returns the process exit status."""
    started = time.monotonic()
    DEMO_DIR.mkdir(exist_ok=True)
    as_of = date.today() - timedelta(days=2)  # the planted attack is on the day after as_of: yesterday
    env = demo_env()
    if moved := set_aside_unsigned_lake():
        say(f"the existing demo lake has an unsigned ledger (written before signing); moved it to {moved.name}")
    try:
        say("preparing the Airflow metadata DB (SQLite in .airflow/)")
        prepare_metadata_db(env, LOG_DIR)
        say(
            f"seeding the embedded demo store ({customers} customers, 2% planted problems) into {STORE.relative_to(PROJECT_ROOT)}"
        )
        config = SeedConfig(customers=customers, violations=0.02, seed=42, as_of=as_of, detections=True)
        manifest = seed_store(f"sqlite:///{STORE}", config).to_dict()
        (DEMO_DIR / "seed-manifest.json").write_text(json.dumps(manifest, indent=1))
        write_demo_log(ACCESS_LOG, as_of, customers, manifest["rows"].get("sales_order", 0))
        dags_test("magento_pii_scan", env)
        dags_test("breach_detection", env, {"since": detection_since(as_of)})
        confirmed = triage_enumeration(env, open_lake(LAKE.as_uri()), LOG_DIR, say)
        if confirmed:
            run_incident_with_approval(env, confirmed)
        run_incident_with_approval(env, demo_incident(datetime.now(UTC)))
        signer = Signer(parse_private_key(local_secrets(DEFAULT_HOME)["signing_private_key"]))
        for incident_id in [INCIDENT_ID] + ([confirmed["incident_id"]] if confirmed else []):
            record_regulator_filings(signer, incident_id)
        dags_test("incident_deadline_monitor", env)
        dags_test("breach_drill", env, {"scenario": "checkout_skimmer"})
        dags_test("compliance_report", env)
    except RuntimeError as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    return print_outputs(started, local_secrets(DEFAULT_HOME)["signing_public_key"])


def auditor_command(lake_url: str, public_key: str, head: str | None) -> str:
    """The one-line verify command an auditor runs (the public key they were given, the head they recorded)."""
    expect = f" --expect-head {head}" if head else ""
    return f".venv/bin/breachctl evidence verify --lake {lake_url} --public-key {public_key}{expect}"


def set_aside_unsigned_lake(lake_root: Path = LAKE) -> Path | None:
    """Move a demo lake written before ledger signing out of the way (its ledger cannot verify); where it went."""
    first = lake_root / keys.ledger_entry(0)
    if not first.is_file() or "signature" in (parse_document(first.read_bytes()) or {}):
        return None
    target = lake_root.with_name(f"{lake_root.name}.unsigned-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}")
    lake_root.rename(target)
    return target


def print_drill(lake: Lake, lake_root: Path) -> None:
    """The latest drill's report, its time-to-ready line and what its readiness checks say to fix."""
    drills = sorted(key for key, _ in lake.list(keys.DRILLS) if key.endswith("/report.json") and key.count("/") == 2)
    if not drills:
        return
    report = json.loads(lake.get(drills[-1]))
    print(f"  drill report (JSON, HTML)  {lake_root / drills[-1]}  {lake_root / drills[-1].replace('.json', '.html')}")
    print(f"    {headline(report)}")
    for check in report["readiness"]:
        if not check["ok"]:
            print(f"    fix {check['check']}: {check['fix'][:150]}")


def print_outputs(started: float, public_key: str, lake_root: Path = LAKE) -> int:
    """Where everything is, and the auditor's verify command with its result; the exit status."""
    lake = open_lake(lake_root.as_uri())
    report = verify(lake, public_keys=keyring([parse_public_key(public_key)]))
    scans = sorted(key for key, _ in lake.list(keys.SCANS) if key.endswith("summary.json"))
    print()
    print(f"Demo finished in {time.monotonic() - started:.0f}s. Outputs:")
    print(f"  demo store (SQLite)        {STORE}")
    print(f"  lake                       {lake_root}")
    if scans:
        print(f"  latest scan findings       {lake_root / scans[-1].replace('summary.json', 'findings.json')}")
    version = latest_version(lake, INCIDENT_ID)
    if version:
        base = lake_root / keys.incident_prefix(INCIDENT_ID, version)
        print(f"  incident summary           {base / 'summary.json'}")
        print(f"  obligations (JSON, HTML)   {base / 'obligations.json'}  {base / 'obligations.html'}")
        print(f"  notification batches       {base / 'batches'}")
    print(f"  suspected incidents        {LAKE / keys.DETECTIONS / 'suspects'} (triage: {LAKE / keys.DETECTIONS / 'triage'})")
    print(f"  mail-house outbox          {DEMO_DIR / 'outbox'} (HPKE-encrypted to the mail house's key)")
    print_drill(lake, lake_root)
    reports = sorted(key for key, _ in lake.list(keys.REPORTS) if key.endswith("report.html"))
    if reports:
        print(f"  compliance report          {lake_root / reports[-1]}")
    print(f"  logs                       {LOG_DIR}")
    print(
        f"  evidence: {'OK' if report.ok else 'PROBLEMS'}: {report.entries} signed ledger entries, {report.manifests} "
        f"manifests, {report.outputs_checked} outputs checked, {len(report.problems)} problem(s)"
    )
    print()
    print("An auditor records the head and verifies the evidence store (public key from `breachctl evidence public-key`):")
    print(auditor_command(lake.url, public_key, (report.head or {}).get("entry_hash")))
    return 0 if report.ok else 1
