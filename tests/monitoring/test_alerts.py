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
