"""Deadline alerts that reach a person: Airflow notifiers on the monitor's tasks, configured by connection.

- `AlertEmail` (the smtp provider's SmtpNotifier) mails the failure to the addresses in the `alert_smtp`
  connection's extra `to` (comma-separated; `from_email`, `disable_tls`, `disable_ssl` as the provider documents).
- `AlertWebhook` (the http provider's HttpNotifier) posts JSON to the `alert_webhook` connection (host = base URL,
  extra `endpoint` = path, extra `format` = `slack` (default: `{"text": ...}`, also Teams and Mattermost
  incoming webhooks) or `pagerduty` (Events API v2, the routing key as the connection's password)).

Connection ids come from Config (ALERT_SMTP_CONN_ID, ALERT_WEBHOOK_CONN_ID). A notifier whose connection is not
defined logs a warning and sends nothing. Alerts carry obligation ids, dates and counts only (the task's failure
message), never personal data.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.http.notifications.http import HttpNotifier
from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from include.config import get_connection, has_connection, load_config

SUBJECT = "[breach pipeline] {{ ti.dag_id }}.{{ ti.task_id }} failed ({{ ti.run_id }})"
BODY = (
    "<p>{{ ti.dag_id }}.{{ ti.task_id }} failed in run {{ ti.run_id }}.</p>"
    "<pre>{{ exception | string | e if exception is defined else 'no message' }}</pre>"
    "<p>The run's alerts/&lt;run&gt;/deadlines.json in the lake has every obligation's status.</p>"
)


def alert_text(context: Any) -> str:
    """The alert's plain text: which task failed, in which run, and its message."""
    ti = context.get("ti")
    where = f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')} failed in run {getattr(ti, 'run_id', '?')}"
    exception = context.get("exception")
    return f"{where}: {exception}" if exception else where


class AlertEmail(SmtpNotifier):
    """The failure by email, to the alert connection's `to` addresses."""

    def __init__(self, smtp_conn_id: str | None = None, **kwargs: Any):
        super().__init__(to=[], subject=SUBJECT, html_content=BODY, smtp_conn_id=smtp_conn_id or "alert_smtp", **kwargs)
        self.configured_conn_id = smtp_conn_id

    def notify(self, context: Any) -> None:
        """Send, unless the connection or its recipients are not configured."""
        self.smtp_conn_id = self.configured_conn_id or load_config().alert_smtp_conn_id
        if not has_connection(self.smtp_conn_id):
            self.log.warning("alert email not sent: connection %r is not defined", self.smtp_conn_id)
            return
        if not self.to:
            self.to = [a.strip() for a in str(get_connection(self.smtp_conn_id).extra.get("to", "")).split(",") if a.strip()]
        if not self.to:
            self.log.warning("alert email not sent: connection %r has no extra 'to'", self.smtp_conn_id)
            return
        super().notify(context)


class AlertWebhook(HttpNotifier):
    """The failure as JSON to a Slack, Teams, Mattermost or PagerDuty style endpoint."""

    def __init__(self, http_conn_id: str | None = None, **kwargs: Any):
        super().__init__(http_conn_id=http_conn_id or "alert_webhook", method="POST", **kwargs)
        self.configured_conn_id = http_conn_id

    def payload(self, context: Any, extra: dict[str, Any], password: str | None) -> dict[str, Any]:
        """The JSON body for the endpoint's format."""
        text = alert_text(context)
        if extra.get("format") == "pagerduty":
            return {
                "routing_key": password or "",
                "event_action": "trigger",
                "payload": {"summary": text.splitlines()[0][:1000], "source": "breach-pipeline", "severity": "critical",
                            "custom_details": {"message": text}},
            }  # fmt: skip
        return {"text": text}

    def notify(self, context: Any) -> None:
        """Post, unless the connection is not configured."""
        self.http_conn_id = self.configured_conn_id or load_config().alert_webhook_conn_id
        if not has_connection(self.http_conn_id):
            self.log.warning("alert webhook not sent: connection %r is not defined", self.http_conn_id)
            return
        connection = get_connection(self.http_conn_id)
        self.endpoint = self.endpoint or connection.extra.get("endpoint")
        self.json = self.payload(context, connection.extra, connection.password)
        self.headers = {"Content-Type": "application/json", **(self.headers or {})}
        super().notify(context)


def alert_notifiers() -> list[Any]:
    """Every notifier the monitor's failures go to (each one a no-op while its connection is undefined)."""
    return [AlertEmail(), AlertWebhook()]
