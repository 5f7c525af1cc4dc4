"""Airflow itself: `dags test` of the scan, a bad trigger stopped in the first task, a real run triggered through
the REST API of an api-server this test starts, legal approval and rejection through the HITL endpoints, an
idempotent rerun, and a grep of every log, XCom and unencrypted lake file for the store's card numbers and emails."""

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
import sqlalchemy as sa

from expectations.checks import find_pans
from include.demo.local_airflow import (
    ApiServer,
    airflow_bin,
    airflow_env,
    free_port,
    prepare_metadata_db,
    run_airflow,
    stop_process,
)
from include.lake.crypto import MAGIC

pytestmark = [pytest.mark.airflow, pytest.mark.mariadb]
APPROVAL_SETTLE_SECONDS = 15
EMAIL = re.compile(rb"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
INCIDENT = {
    "incident_id": "INC-API-1",
    "discovered_at": "2026-11-20T09:00:00-08:00",
    "determined_at": "2026-11-21T09:00:00-08:00",
    "compromised_tables": [
        "customer_entity",
        "customer_address_entity",
        "sales_order",
        "sales_order_address",
        "sales_order_payment",
    ],
    "scope_kind": "all_rows",
    "entity_types": ["glba_financial_institution"],
    "notes": "Reported by jane.doe@example.net",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seeded_store) -> dict:
    root = tmp_path_factory.mktemp("airflow")
    url = sa.make_url(seeded_store["url"])
    magento = {"conn_type": "mysql", "host": url.host, "port": url.port, "login": url.username, "schema": url.database}
    env = airflow_env(
        home=root / "home",
        lake_url=(root / "lake").as_uri(),
        magento=magento,
        extra={
            "NOTICE_OUTBOX_DIR": str(root / "outbox"),
            "NOTICE_EMAIL_TRANSPORT": "file",
            "NOTICE_APPROVERS": "legal",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        },
    )
    prepare_metadata_db(env, root / "logs")
    return {"env": env, "root": root, "lake": root / "lake", "home": root / "home", "store": seeded_store}


def lake_files(lake: Path) -> list[Path]:
    return sorted(p for p in lake.rglob("*") if p.is_file()) if lake.exists() else []


def test_an_invalid_trigger_fails_in_the_first_task_and_writes_nothing(stack):
    bad = {**INCIDENT, "incident_id": "INC-BAD", "compromised_tables": ["customer_entity`; DROP TABLE customer_entity; --"]}
    done = run_airflow(
        ["dags", "test", "breach_incident", "-c", json.dumps(bad)], stack["env"], log=stack["root"] / "bad.log", timeout=600
    )
    log = (stack["root"] / "bad.log").read_text()
    assert done.returncode != 0  # the params' schema refuses an unknown table before any task starts
    assert "ParamValidationError: Invalid input for param compromised_tables" in log and "start task" not in log
    reversed_window = {
        **INCIDENT,
        "incident_id": "INC-BAD2",
        "scope_kind": "orders_window",
        "window_start": "2026-11-10T00:00:00Z",
        "window_end": "2026-11-01T00:00:00Z",
    }
    done = run_airflow(
        ["dags", "test", "breach_incident", "-c", json.dumps(reversed_window)],
        stack["env"],
        log=stack["root"] / "bad2.log",
        timeout=600,
    )
    log = (stack["root"] / "bad2.log").read_text()  # a rule across fields: validate_trigger, the first task, refuses it
    assert done.returncode != 0 and "window_end is before window_start" in log
    assert re.search(r"end task task_id=validate_trigger", log) and "start task task_id=resolve_scope" not in log
    assert lake_files(stack["lake"]) == []


def test_scan_dag_runs_with_dags_test(stack):
    done = run_airflow(["dags", "test", "magento_pii_scan"], stack["env"], log=stack["root"] / "scan.log", timeout=900)
    assert done.returncode == 0, (stack["root"] / "scan.log").read_text()[-3000:]
    summaries = list(stack["lake"].glob("scans/*/summary.json"))
    assert len(summaries) == 1 and json.loads(summaries[0].read_text())["by_severity"]["critical"] > 0


@pytest.fixture(scope="module")
def running_airflow(stack):
    port = free_port()
    env = {**stack["env"], "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"}
    processes = []
    logs = stack["root"] / "components"
    logs.mkdir(exist_ok=True)
    with ApiServer(env, logs / "api-server.log", port=port) as api:
        for component in ("scheduler", "dag-processor"):
            handle = (logs / f"{component}.log").open("w")
            processes.append(
                subprocess.Popen(
                    [airflow_bin(), component],
                    env=env,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        admin = api.client("admin")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                admin._request("GET", "/api/v2/dags/breach_incident")
                break
            except RuntimeError:
                time.sleep(3)
        else:
            pytest.fail("breach_incident was never parsed by the dag-processor")
        admin.set_paused("breach_incident", False)
        yield {"api": api, "admin": admin, "legal": api.client("legal")}
        for process in processes:
            stop_process(process)


def wait_for(run: dict, client, *, approve: str | None = None, reason: str = "", timeout: float = 900) -> str:
    """Wait for the run to finish, answering its approval once the request has been pending for a while.

    An answer that reaches the scheduler before the executor has reported the paused workload finished (0.2 to 5 s
    after the pause on a busy 2-core machine) fails the requeued task as "changed externally" (the race of
    apache/airflow#10790, seen here with HITL on 3.3). A person never answers that fast; an automated approver waits.
    """
    deadline = time.monotonic() + timeout
    answered, first_seen = False, None
    while time.monotonic() < deadline:
        state = client.dag_run("breach_incident", run["dag_run_id"])["state"]
        if state in ("success", "failed"):
            return state
        if approve and not answered:
            waiting = client.pending_approvals("breach_incident", run["dag_run_id"])
            first_seen = (first_seen or time.monotonic()) if waiting else None
            if waiting and time.monotonic() - first_seen >= APPROVAL_SETTLE_SECONDS:
                client.respond(waiting[0], approve, {"reason": reason})
                answered = True
        time.sleep(1)
    pytest.fail(f"run {run['dag_run_id']} did not finish")


def audits(lake: Path) -> list[dict]:
    entries = [json.loads(p.read_text()) for p in sorted((lake / "evidence" / "ledger").glob("*.json"))]
    return [e["event"] for e in entries if e["type"] == "audit"]


@pytest.mark.parametrize(
    "bad",
    [
        {**INCIDENT, "incident_id": "x"},
        {**INCIDENT, "incident_id": "INC-API-1\n"},
        {k: v for k, v in INCIDENT.items() if k != "discovered_at"},
        {**INCIDENT, "entity_types": ["bank"]},
    ],
    ids=["short-id", "id-with-newline", "no-discovery-time", "unknown-entity-type"],
)
def test_the_api_server_refuses_a_bad_trigger_before_a_run_exists(running_airflow, bad):
    admin = running_airflow["admin"]
    before = admin._request("GET", "/api/v2/dags/breach_incident/dagRuns")["total_entries"]
    with pytest.raises(RuntimeError, match="HTTP 400"):
        admin.trigger("breach_incident", bad)
    assert admin._request("GET", "/api/v2/dags/breach_incident/dagRuns")["total_entries"] == before


def review_links(page: bytes) -> list[str]:
    return re.findall(r'href="(samples/[^"]+)"', page.decode())


def check_review_files_are_served_to_legal_only(legal, incident_id: str, forbidden: tuple[str, ...] = ()) -> None:
    base = f"/breach-review/v1/incidents/{incident_id}/versions/1/"
    status, kind, page = legal.get_page(base + "review/index.html")
    assert status == 200 and kind.startswith("text/html") and b"Review before approval" in page
    links = review_links(page)
    assert len(links) >= 10
    for link in dict.fromkeys(links):
        status, _, body = legal.get_page(base + "review/" + link)
        assert status == 200, link
        if "/support-" not in link:  # the support pack tells agents never to ask for card numbers, whatever was exposed
            assert not [word for word in forbidden if word in body.decode().lower()], link
    assert legal.get_page(base + "obligations.html")[0] == 200
    assert legal.get_page(base + "review/index.html", auth=False)[0] in (401, 403)
    assert legal.get_page(base + "affected.parquet.enc")[0] == 404
    assert legal.get_page(base + "review/samples/../../summary.json")[0] == 404


ADDRESS_OR_CARD = ("postal address", "dirección postal", "card", "tarjeta")


def test_the_approval_page_of_a_customer_entity_incident_mentions_no_address_or_card(running_airflow):
    admin, legal = running_airflow["admin"], running_airflow["legal"]
    run = admin.trigger("breach_incident", {**INCIDENT, "incident_id": "INC-API-CE", "compromised_tables": ["customer_entity"]})
    deadline = time.monotonic() + 600
    while not (waiting := legal.pending_approvals("breach_incident", run["dag_run_id"])) and time.monotonic() < deadline:
        time.sleep(2)
    assert waiting, "the run never asked for approval"
    assert not [word for word in ADDRESS_OR_CARD if word in waiting[0]["body"].lower()]
    check_review_files_are_served_to_legal_only(legal, "INC-API-CE", ADDRESS_OR_CARD)
    assert wait_for(run, legal, approve="Reject", reason="checked the samples only") == "failed"


def test_rest_api_trigger_with_legal_approval(stack, running_airflow):
    admin, legal = running_airflow["admin"], running_airflow["legal"]
    run = admin.trigger("breach_incident", INCIDENT)
    deadline = time.monotonic() + 600
    while not (waiting := legal.pending_approvals("breach_incident", run["dag_run_id"])) and time.monotonic() < deadline:
        time.sleep(2)
    assert waiting and waiting[0]["assigned_users"] == [{"id": "legal", "name": "legal"}]
    assert "/breach-review/v1/incidents/INC-API-1/versions/1/review/index.html" in waiting[0]["body"]
    assert len(waiting[0]["body"].splitlines()) < 20
    check_review_files_are_served_to_legal_only(legal, "INC-API-1")
    with pytest.raises(RuntimeError, match="403"):  # NOTICE_APPROVERS names legal only: an admin may not approve
        admin.respond(waiting[0], "Approve", {"reason": "not legal"})
    assert wait_for(run, legal, approve="Approve", reason="Counts and samples checked.") == "success"
    version = stack["lake"] / "incidents" / "INC-API-1" / "v1"
    for name in (
        "summary.json",
        "affected.json",
        "obligations.json",
        "obligations.html",
        "affected.parquet.enc",
        "batches/manifest.json",
    ):
        assert (version / name).exists(), name
    assert (version / "affected.parquet.enc").read_bytes().startswith(MAGIC)
    manifest = json.loads((version / "batches" / "manifest.json").read_text())
    assert manifest["new_notices"] > 100 and manifest["by_channel"]["email"] > 0
    events = audits(stack["lake"])
    triggered = [e for e in events if e["event_type"] == "incident_triggered" and "INC-API-1" in e["affected_data"]]
    approved = [e for e in events if e["event_type"] == "notices_approved"]
    assert triggered and triggered[0]["user_id"] == "admin" and triggered[0]["parameters"]["notes_present"] is True
    assert approved and approved[0]["user_id"] == "legal" and approved[0]["reason"] == "Counts and samples checked."
    assert "jane.doe@example.net" not in json.dumps(events)


def test_a_rejection_records_who_and_why_and_stops_the_run(stack, running_airflow):
    admin, legal = running_airflow["admin"], running_airflow["legal"]
    run = admin.trigger("breach_incident", {**INCIDENT, "incident_id": "INC-API-REJECT"})
    assert wait_for(run, legal, approve="Reject", reason="Spanish sample is missing the helpline.") == "failed"
    events = audits(stack["lake"])
    rejected = [e for e in events if e["event_type"] == "notices_rejected" and "INC-API-REJECT" in e["affected_data"]]
    assert rejected and rejected[0]["user_id"] == "legal" and rejected[0]["reason"] == "Spanish sample is missing the helpline."
    assert rejected[0]["outcome"] == "failure" and rejected[0]["timestamp"]
    assert not (stack["lake"] / "incidents" / "INC-API-REJECT" / "v1" / "batches").exists()


def test_rerunning_an_incident_never_produces_a_second_notice(stack, running_airflow):
    admin, legal = running_airflow["admin"], running_airflow["legal"]
    run = admin.trigger("breach_incident", INCIDENT)
    assert wait_for(run, legal, approve="Approve", reason="rerun") == "success"
    incident = stack["lake"] / "incidents" / "INC-API-1"
    assert not (incident / "v2").exists()
    delivered: dict[str, int] = {}
    for path in (incident / "delivery" / "events").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            event = json.loads(line)
            if event["status"] in ("sent", "postal"):
                delivered[event["key"]] = delivered.get(event["key"], 0) + 1
    assert delivered and max(delivered.values()) == 1


def test_breachctl_incident_start_triggers_through_the_api(stack, running_airflow, tmp_path):
    import sys

    api, legal = running_airflow["api"], running_airflow["legal"]
    password = json.loads(Path(stack["env"]["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())["admin"]
    command = [sys.executable, "-m", "include.cli", "incident", "start", "--api-url", api.url]
    environment = {**os.environ, "AIRFLOW_API_PASSWORD": password}  # generated passwords may start with "-"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**INCIDENT, "discovered_at": "last tuesday"}))
    refused = subprocess.run([*command, str(bad)], capture_output=True, text=True, check=False, env=environment)
    assert refused.returncode == 2 and "discovered_at" in refused.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**INCIDENT, "incident_id": "INC-CLI-1", "compromised_tables": ["customer_entity"]}))
    started = subprocess.run([*command, str(good)], capture_output=True, text=True, check=True, env=environment)
    run = json.loads(started.stdout)
    assert run["dag_id"] == "breach_incident"
    assert wait_for(run, legal, approve="Approve", reason="drill") == "success"
    assert (stack["lake"] / "incidents" / "INC-CLI-1" / "v1" / "obligations.json").exists()


def planted_values(store_url: str) -> tuple[set[str], set[bytes]]:
    engine = sa.create_engine(store_url)
    pans, emails = set(), set()
    with engine.connect() as connection:
        for table, column in (
            ("sales_order_status_history", "comment"),
            ("sales_order_payment", "additional_information"),
            ("sales_order_payment", "cc_number_enc"),
            ("sales_payment_transaction", "additional_information"),
            ("sales_order", "customer_note"),
            ("gift_message", "message"),
        ):
            for (value,) in connection.exec_driver_sql(f"SELECT `{column}` FROM `{table}` WHERE `{column}` IS NOT NULL"):
                text = value.decode() if isinstance(value, bytes) else value
                pans.update(re.sub(r"\D", "", pan) for pan in find_pans(text))
        for sql in ("SELECT email FROM customer_entity", "SELECT customer_email FROM sales_order"):
            emails.update(row[0].strip().lower().encode() for row in connection.exec_driver_sql(sql) if row[0])
    engine.dispose()
    return pans, emails


def leaks(data: bytes, pans: set[str], emails: set[bytes]) -> list[str]:
    found = [f"email {m.decode(errors='replace')}" for m in set(EMAIL.findall(data.lower())) if m in emails]
    digits = re.sub(rb"[ -]", b"", data)
    found += [f"card ending {pan[-4:]}" for pan in pans if pan.encode() in digits]
    return found


def test_no_planted_card_number_or_customer_email_in_logs_xcom_or_unencrypted_lake_files(stack, running_airflow):
    pans, emails = planted_values(stack["store"]["url"])
    assert len(pans) > 20 and len(emails) > 500
    checked, problems = 0, []
    for path in [*stack["home"].rglob("*.log"), *stack["root"].glob("*.log"), *(stack["root"] / "components").glob("*.log")]:
        checked += 1
        problems += [f"{path.name}: {leak}" for leak in leaks(path.read_bytes(), pans, emails)]
    database = sqlite3.connect(stack["home"] / "airflow.db")
    xcoms = database.execute("SELECT dag_id, task_id, value FROM xcom").fetchall()
    hitl = database.execute("SELECT body FROM hitl_detail").fetchall()
    database.close()
    assert xcoms and hitl
    for dag_id, task_id, value in xcoms:
        blob = value if isinstance(value, bytes) else str(value).encode()
        problems += [f"xcom {dag_id}.{task_id}: {leak}" for leak in leaks(blob, pans, emails)]
    for (body,) in hitl:
        problems += [f"approval body: {leak}" for leak in leaks(str(body).encode(), pans, emails)]
    plain = [p for p in lake_files(stack["lake"]) if not p.read_bytes().startswith(MAGIC)]
    assert any(p.name == "findings.json" for p in plain)
    for path in plain:
        checked += 1
        problems += [f"{path.relative_to(stack['lake'])}: {leak}" for leak in leaks(path.read_bytes(), pans, emails)]
    for path in (stack["root"] / "outbox").rglob("*"):
        if path.is_file() and not path.name.endswith(".hpke"):
            problems.append(f"unencrypted outbox file {path.name}")
    assert checked > 20
    assert problems == []


def open_trigger_form(browser, client, width: int = 1280):
    """The Trigger DAG form of breach_incident in Chromium, signed in with the client's session."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": "_token", "value": client.login(), "url": client.base_url}])
    page = context.new_page()
    page.goto(client.base_url + "/dags/breach_incident")
    page.get_by_test_id("trigger-dag-button").first.click()
    return context, page, page.locator("[aria-modal=true]")


def fill_trigger_form(page, dialog, incident_id: str) -> None:
    """Fill the required fields as a responder would: id, discovery time in the picker, one table."""
    dialog.get_by_role("button", name="Incident").click()
    page.locator("#element_incident_id").fill(incident_id)
    dialog.get_by_role("button", name="Timeline").click()
    dialog.get_by_test_id("datetime-input").nth(1).click()
    picker = page.locator("[data-scope=popover][data-part=content][data-state=open]").first
    picker.get_by_placeholder("YYYY/MM/DD").fill("2026/11/30")
    picker.get_by_placeholder("HH:mm").fill("09:00")
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="Compromised data").click()
    page.locator("#element_compromised_tables").click()
    page.keyboard.type("customer_entity: email")
    page.keyboard.press("Enter")
    dialog.get_by_text("Trigger Dag - breach_incident").click()  # closes the menu (Escape would close the form)


@pytest.mark.browser
def test_the_trigger_form_refuses_a_bad_id_and_a_good_one_starts_a_run(running_airflow):
    from playwright.sync_api import sync_playwright

    from tests.pages.test_faces import SCREENSHOTS

    admin = running_airflow["admin"]
    runs = lambda: admin._request("GET", "/api/v2/dags/breach_incident/dagRuns?limit=100")["dag_runs"]  # noqa: E731
    before = len(runs())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        try:
            context, page, dialog = open_trigger_form(browser, admin)
            assert page.get_by_test_id("trigger-dag-submit").is_disabled()  # nothing filled: nothing to submit
            fill_trigger_form(page, dialog, "x")
            page.wait_for_timeout(1000)
            page.get_by_test_id("trigger-dag-submit").click()  # the form lets it through; the api-server must not
            page.get_by_text("Failed to Trigger Dag").first.wait_for(timeout=15000)
            page.screenshot(path=SCREENSHOTS / "trigger-form-bad-id-1280.png", full_page=True)
            assert len(runs()) == before, "a bad id started a run"
            dialog.get_by_role("button", name="Incident").click()
            page.locator("#element_incident_id").fill("INC-FORM-1")
            page.wait_for_timeout(1000)
            page.get_by_test_id("trigger-dag-submit").click()
            deadline = time.monotonic() + 30
            while len(runs()) == before and time.monotonic() < deadline:
                time.sleep(1)
            started = [r for r in runs() if r["conf"].get("incident_id") == "INC-FORM-1"]
            assert started and started[0]["conf"]["compromised_tables"] == ["customer_entity"]
            assert started[0]["conf"]["discovered_at"].startswith("2026-11-30T09:00")
            context.close()
        finally:
            browser.close()
    admin._request("PATCH", f"/api/v2/dags/breach_incident/dagRuns/{started[0]['dag_run_id']}", {"state": "failed"})
