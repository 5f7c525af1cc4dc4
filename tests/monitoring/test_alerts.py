"""Deadline alerts reach a person: the monitor's notifiers deliver to a loopback SMTP server and a loopback webhook."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from include.demo.local_airflow import free_port
from include.monitoring.notifiers import AlertEmail, AlertWebhook, alert_notifiers
from tests.notices.relay import start_relay

MESSAGE = "deadlines at risk:\nINC-1 US-CA/individuals: due 2026-12-01T23:59:59-08:00 (2.5 days), 3 of 5 notified"


def context() -> dict:
    ti = SimpleNamespace(dag_id="incident_deadline_monitor", task_id="raise_alerts", run_id="scheduled__1", state="failed")
    return {"ti": ti, "exception": RuntimeError(MESSAGE), "run_id": "scheduled__1"}


@pytest.fixture
def webhook():
    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], received
    server.shutdown()


def test_the_alert_email_reaches_the_on_call_address(monkeypatch):
    relay, controller = start_relay()
    extra = {
        "disable_tls": True,
        "disable_ssl": True,
        "from_email": "pipeline@example.com",
        "to": "oncall@example.com, dpo@example.com",
    }
    monkeypatch.setenv(
        "AIRFLOW_CONN_ALERT_SMTP", json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": relay.port, "extra": extra})
    )
    try:
        AlertEmail()(context())
        time.sleep(0.3)
    finally:
        controller.stop()
    (message,) = relay.accepted
    assert sorted(message.rcpt_tos) == ["dpo@example.com", "oncall@example.com"]
    assert b"Subject: [breach pipeline] incident_deadline_monitor.raise_alerts failed (scheduled__1)" in message.content


@pytest.mark.parametrize("fmt", ["slack", "pagerduty"])
def test_the_alert_webhook_posts_json_to_the_endpoint(monkeypatch, webhook, fmt):
    port, received = webhook
    connection = {
        "conn_type": "http",
        "host": f"http://127.0.0.1:{port}",
        "password": "rk-1",
        "extra": {"endpoint": "/hooks/T1", "format": fmt},
    }
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps(connection))
    AlertWebhook()(context())
    ((path, body),) = received
    assert path == "/hooks/T1"
    if fmt == "slack":
        assert body == {"text": f"incident_deadline_monitor.raise_alerts failed in run scheduled__1: {MESSAGE}"}
    else:
        assert (
            body["routing_key"] == "rk-1"
            and body["event_action"] == "trigger"
            and "raise_alerts failed" in body["payload"]["summary"]
        )


def test_an_unconfigured_notifier_sends_nothing_and_does_not_fail(monkeypatch, webhook):
    monkeypatch.delenv("AIRFLOW_CONN_ALERT_SMTP", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_ALERT_WEBHOOK", raising=False)
    monkeypatch.setattr("include.monitoring.notifiers.has_connection", lambda conn_id: False)
    for notifier in alert_notifiers():
        notifier(context())
    assert webhook[1] == []


def test_the_monitor_dag_sends_every_failure_to_the_notifiers():
    import dags.incident_deadline_monitor as module

    dag = module.incident_deadline_monitor()
    callbacks = dag.get_task("raise_alerts").on_failure_callback
    assert {type(c) for c in callbacks} == {AlertEmail, AlertWebhook}


@pytest.mark.airflow
def test_a_monitor_run_with_a_deadline_at_risk_alerts_by_email_and_webhook(tmp_path, webhook):
    from include.demo.local_airflow import airflow_env, prepare_metadata_db, run_airflow
    from include.lake.store import open_lake
    from tests.monitoring.test_monitor import incident_lake

    lake = open_lake((tmp_path / "lake").as_uri())
    incident_lake(lake, notified=1)  # discovered in March 2026: everything still open is overdue now
    relay, controller = start_relay()
    port, received = webhook
    smtp_extra = {"disable_tls": True, "disable_ssl": True, "from_email": "pipeline@example.com", "to": "oncall@example.com"}
    env = airflow_env(
        home=tmp_path / "home",
        lake_url=lake.url,
        magento={"conn_type": "sqlite", "host": str(tmp_path / "none.db")},
        extra={
            "AIRFLOW_CONN_ALERT_SMTP": json.dumps(
                {"conn_type": "smtp", "host": "127.0.0.1", "port": relay.port, "extra": smtp_extra}
            ),
            "AIRFLOW_CONN_ALERT_WEBHOOK": json.dumps(
                {"conn_type": "http", "host": f"http://127.0.0.1:{port}", "extra": {"endpoint": "/hook"}}
            ),
            "NOTICE_OUTBOX_DIR": str(tmp_path / "outbox"),
        },
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    prepare_metadata_db(env, tmp_path / "logs")
    try:
        done = run_airflow(["dags", "test", "incident_deadline_monitor"], env, log=tmp_path / "monitor.log", timeout=600)
    finally:
        controller.stop()
    log = (tmp_path / "monitor.log").read_text()
    assert done.returncode != 0 and "deadlines at risk" in log
    (message,) = relay.accepted
    assert message.rcpt_tos == ["oncall@example.com"] and b"raise_alerts failed" in message.content
    ((path, body),) = received
    assert path == "/hook" and "INC-M US-CA/individuals" in body["text"] and "example.com" not in body["text"]
