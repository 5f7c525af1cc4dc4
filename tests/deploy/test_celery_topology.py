"""The production topology on real processes: PostgreSQL metadata DB, CeleryExecutor with Redis, api-server,
scheduler, dag-processor, triggerer and two Celery workers, each its own process (docker-compose.yaml's services,
run natively because CI has no Docker engine).

The scan's mapped tasks spread over both workers; one worker is killed with SIGKILL (the whole process tree, as when
its container dies) in the middle of a scan and again in the middle of a delivery round. Both runs finish through
Airflow's retries on the surviving worker, the scan with the same findings as an undisturbed run, the delivery with
no person notified twice (ledger and mail-house outbox both checked).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from include.demo.local_airflow import airflow_env, local_secrets, prepare_metadata_db
from include.demo.stack import AirflowStack, CeleryWorker, celery_env, wait_until
from include.notices.delivery.hpke import open_for_recipient
from tests.notices.relay import Behaviour, start_relay

pytestmark = [pytest.mark.celery, pytest.mark.airflow, pytest.mark.mariadb]

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
WORKERS = (CeleryWorker("worker-a", concurrency=2), CeleryWorker("worker-b", concurrency=2))
HEARTBEAT_TIMEOUT = 30
SEND_RATE = 10  # emails per second through the relay: the round lasts about 35 s, so the kill lands inside it
LEASE_TTL = 40  # the retry waits out the dead round's lease: at most this long after the kill, not production's 120 s
APPROVAL_SETTLE_SECONDS = 15
NOTIFIED = ("sent", "handed_over")  # an email the relay took; a letter the mail house took
INCIDENT = {
    "incident_id": "INC-CELERY-1",
    "discovered_at": "2026-11-20T09:00:00-08:00",
    "determined_at": "2026-11-21T09:00:00-08:00",
    "compromised_tables": ["customer_entity", "customer_address_entity", "sales_order", "sales_order_address"],
    "scope_kind": "all_rows",
    "entity_types": ["glba_financial_institution"],
}


def require(service: str, address: tuple[str, int]) -> None:
    """A missing service fails the test loudly (scripts/ensure-services.sh starts both), never skips it."""
    try:
        socket.create_connection(address, timeout=3).close()
    except OSError:
        pytest.fail(f"{service} is not reachable on {address[0]}:{address[1]}; run scripts/ensure-services.sh", pytrace=False)


@pytest.fixture(scope="module")
def metadata_db() -> Iterator[str]:
    """A fresh PostgreSQL database for Airflow's metadata (trust auth), dropped afterwards."""
    require("PostgreSQL", POSTGRES)
    name = f"airflow_celery_{uuid.uuid4().hex[:10]}"
    base = f"postgresql+psycopg2://postgres@{POSTGRES[0]}:{POSTGRES[1]}"
    server = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.dispose()


@pytest.fixture(scope="module")
def broker() -> Iterator[dict]:
    """Redis as the Celery broker, on a queue of this run's own (other runs may share the server); cleaned afterwards."""
    require("Redis", REDIS)
    import redis

    queue, database = f"breach-{uuid.uuid4().hex[:10]}", 1 + uuid.uuid4().int % 15
    yield {"url": f"redis://{REDIS[0]}:{REDIS[1]}/{database}", "queue": queue}
    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=database)
    client.delete(queue, f"_kombu.binding.{queue}")
    for tag, message in client.hgetall("unacked").items():
        if queue.encode() in message:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
    client.close()


@pytest.fixture(scope="module")
def relay() -> Iterator:
    """The store's SMTP relay on loopback: the workers send email through it as they would in production."""
    started, controller = start_relay(Behaviour())
    yield started
    controller.stop()


@pytest.fixture(scope="module")
def topology(tmp_path_factory, seeded_store, metadata_db, broker, relay) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("celery")
    url = sa.make_url(seeded_store["url"])
    magento = {"conn_type": "mysql", "host": url.host, "port": url.port, "login": url.username, "schema": url.database}
    local = airflow_env(
        home=root / "home",
        lake_url=(root / "lake").as_uri(),
        magento=magento,
        extra={
            "NOTICE_OUTBOX_DIR": str(root / "outbox"),
            "NOTICE_EMAIL_TRANSPORT": "smtp",
            "AIRFLOW_CONN_NOTICE_SMTP": json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": relay.port}),
            "NOTICE_SEND_RATE": str(SEND_RATE),
            "NOTICE_LEASE_TTL": str(LEASE_TTL),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "90",
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT_CHECK_INTERVAL": "15",
        },
    )
    env = celery_env(
        local,
        metadata_url=metadata_db,
        broker_url=broker["url"],
        result_backend="db+" + metadata_db,
        queue=broker["queue"],
    )
    (root / "home" / "config").mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("celery_local_settings.py"), root / "home" / "config" / "airflow_local_settings.py")
    started = time.monotonic()
    prepare_metadata_db(env, root / "logs")
    with AirflowStack(env, root / "logs", workers=WORKERS) as stack:
        admin = stack.api.client("admin")
        both = ("magento_pii_scan", "breach_incident")
        wait_until(lambda: all(parsed(admin, dag_id) for dag_id in both), timeout=240, what="DAGs parsed")
        engine = sa.create_engine(metadata_db)
        yield {
            "stack": stack,
            "admin": admin,
            "legal": stack.api.client("legal"),
            "db": engine,
            "root": root,
            "started": started,
            "relay": relay,
        }
        engine.dispose()


def parsed(client, dag_id: str) -> bool:
    try:
        client._request("GET", f"/api/v2/dags/{dag_id}")
    except RuntimeError:
        return False
    return True


def task_instances(engine, dag_id: str, run_id: str, task_id: str) -> list[dict]:
    """Every try of every map index of one task: the current rows and their history."""
    sql = """
        SELECT map_index, try_number, state, hostname FROM task_instance WHERE dag_id = :d AND run_id = :r AND task_id = :t
        UNION ALL
        SELECT map_index, try_number, state, hostname FROM task_instance_history
        WHERE dag_id = :d AND run_id = :r AND task_id = :t
    """
    with engine.connect() as connection:
        rows = connection.execute(sa.text(sql), {"d": dag_id, "r": run_id, "t": task_id}).mappings().all()
    return [dict(row) for row in rows]


def run_state(client, dag_id: str, run_id: str) -> str:
    state = client.dag_run(dag_id, run_id)["state"]
    if state == "failed":
        pytest.fail(f"{dag_id} run {run_id} failed")
    return state


def running_on(engine, dag_id: str, run_id: str, task_id: str, hostname: str) -> bool:
    return any(t["state"] == "running" and t["hostname"] == hostname for t in task_instances(engine, dag_id, run_id, task_id))


def findings(root: Path, run_id: str) -> list[dict]:
    from include.lake.keys import scan_findings

    return sorted(json.loads((root / "lake" / scan_findings(run_id)).read_text()), key=json.dumps)


def test_the_scan_spreads_over_both_workers_and_survives_losing_one(topology):
    admin, engine, stack = topology["admin"], topology["db"], topology["stack"]
    admin.set_paused("magento_pii_scan", False)  # the scheduler starts the latest daily run: the undisturbed one
    scheduled: list[str] = []

    def first_run_done() -> bool:
        stack.check()
        runs = admin._request("GET", "/api/v2/dags/magento_pii_scan/dagRuns")["dag_runs"]
        scheduled[:] = [r["dag_run_id"] for r in runs]
        return bool(runs) and run_state(admin, "magento_pii_scan", scheduled[0]) == "success"

    wait_until(first_run_done, timeout=600, every=3, what="the undisturbed scan")
    undisturbed = scheduled[0]
    hosts = Counter(t["hostname"] for t in task_instances(engine, "magento_pii_scan", undisturbed, "scan_table"))
    assert set(hosts) == {"worker-a", "worker-b"}, hosts
    reference = findings(topology["root"], undisturbed)
    assert any(f["severity"] == "critical" for f in reference)

    run = admin.trigger("magento_pii_scan", {"full_refresh": True})["dag_run_id"]
    wait_until(
        lambda: running_on(engine, "magento_pii_scan", run, "scan_table", "worker-a"),
        timeout=300,
        every=0.5,
        what="a scan_table task running on worker-a",
    )
    assert stack.kill("worker-a") >= 2  # the worker, its pool processes and the task processes under them
    wait_until(lambda: run_state(admin, "magento_pii_scan", run) == "success", timeout=600, every=3, what="the disturbed scan")

    tries = task_instances(engine, "magento_pii_scan", run, "scan_table")
    retried = {t["map_index"] for t in tries if t["try_number"] > 1}
    lost = [t for t in tries if t["hostname"] == "worker-a" and t["state"] != "success"]
    assert lost and retried, tries
    for map_index in retried:
        final = max((t for t in tries if t["map_index"] == map_index), key=lambda t: t["try_number"])
        assert final["state"] == "success" and final["hostname"] == "worker-b"
    assert findings(topology["root"], run) == reference
    stack.start_worker(WORKERS[0])  # what `restart: always` does for the container


def delivery_events(root: Path) -> list[dict]:
    folder = root / "lake" / "incidents" / INCIDENT["incident_id"] / "delivery" / "events"
    return [json.loads(line) for path in sorted(folder.glob("*.jsonl")) for line in path.read_text().splitlines() if line]


def outbox_records(root: Path) -> list[dict]:
    """What the mail house received: every outbox file decrypted with its private key."""
    secret = base64.b64decode(local_secrets(root / "home")["mail_house_private_key"])
    records = []
    for path in sorted((root / "outbox").rglob("*.hpke")):
        plain = open_for_recipient(path.read_bytes(), secret, info=path.name.removesuffix(".hpke").encode())
        records += [json.loads(line) for line in plain.decode().splitlines() if line]
    return records


def test_a_delivery_round_survives_losing_its_worker_without_a_second_notice(topology):
    admin, legal, engine, stack, root = (topology[k] for k in ("admin", "legal", "db", "stack", "root"))
    admin.set_paused("breach_incident", False)
    run = admin.trigger("breach_incident", INCIDENT)["dag_run_id"]
    first_seen: list[float] = []
    victim: list[str] = []
    answered: list[bool] = []

    def mid_delivery() -> bool:
        stack.check()
        run_state(admin, "breach_incident", run)
        waiting = [] if answered else legal.pending_approvals("breach_incident", run)
        if waiting:  # answered as a person would, 15 s after the request appears (README, "Triggering an incident")
            first_seen[:1] = first_seen[:1] or [time.monotonic()]
            if time.monotonic() - first_seen[0] >= APPROVAL_SETTLE_SECONDS:
                legal.respond(waiting[0], "Approve", {"reason": "Celery drill"})
                answered.append(True)
        delivering = [t for t in task_instances(engine, "breach_incident", run, "deliver") if t["state"] == "running"]
        if delivering and any(e["status"] in NOTIFIED for e in delivery_events(root)):
            victim[:] = [delivering[0]["hostname"]]
            return True
        return False

    wait_until(mid_delivery, timeout=600, every=0.5, what="a delivery round under way")
    sent_before = sum(e["status"] in NOTIFIED for e in delivery_events(root))
    stack.kill(victim[0])
    survivor = next(w.name for w in WORKERS if w.name != victim[0])
    wait_until(lambda: run_state(admin, "breach_incident", run) == "success", timeout=600, every=3, what="the incident run")

    tries = task_instances(engine, "breach_incident", run, "deliver")
    assert {(t["try_number"], t["hostname"]) for t in tries} >= {(1, victim[0])}
    final = max(tries, key=lambda t: t["try_number"])
    assert final["try_number"] >= 2 and final["state"] == "success" and final["hostname"] == survivor
    events = delivery_events(root)
    notified = Counter(e["key"] for e in events if e["status"] in NOTIFIED)
    assert notified and max(notified.values()) == 1, "someone was notified twice according to the ledger"
    assert sum(notified.values()) > sent_before, "the worker was killed after its round had finished"
    emailed = Counter(topology["relay"].notice_keys())
    assert emailed and max(emailed.values()) == 1, "the relay received someone's email twice"
    handed_over = Counter(r["key"] for r in outbox_records(root))
    assert handed_over and max(handed_over.values()) == 1, "the mail house received someone twice"
    interrupted = {e["key"] for e in events if e["status"] == "sending"} - set(notified)
    assert set(handed_over) | set(emailed) <= set(notified) | interrupted
    assert len(interrupted) <= 100, "only the chunk in flight may be left unconfirmed"
    covered = {e["key"] for e in events if e["status"] == "substitute"}  # no address: the substitute notice covers them
    everyone = {e["key"] for e in events}
    assert set(notified) | interrupted | covered == everyone, "the retry left people neither notified, covered nor uncertain"
    print(f"celery topology: {time.monotonic() - topology['started']:.0f}s from db migrate to the end")
