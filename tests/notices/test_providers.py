"""Delivery through real provider protocols: Amazon SES and SQS on a moto server, SMTP on a local aiosmtpd server."""

from __future__ import annotations

import email
import json
import socket
import time
import uuid

import boto3
import pytest

from include.notices.delivery.adapters import SesAdapter, SmtpAdapter
from include.notices.delivery.ledger import fold, read_events
from include.notices.delivery.rounds import deliver_round
from tests.notices.test_delivery import batches, person


def test_ses_delivery_events_and_bounce_fallback(file_lake, moto_endpoint):
    ses = boto3.client("ses", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="privacy@example.com")
    queue = sqs.create_queue(QueueName=f"ses-events-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    batches(file_lake, 1, [person(1), person(2), person(3, postal=False)])
    adapter = SesAdapter(ses, sender="privacy@example.com", events_queue_url=queue, sqs_client=sqs)
    from tests.notices.test_delivery import FakeAdapter

    postal = FakeAdapter("postal")

    def attempts() -> int:
        return sum(p["DeliveryAttempts"] for p in ses.get_send_statistics()["SendDataPoints"])

    before = attempts()
    deliver_round(file_lake, "INC-D", {"email": adapter, "postal": postal}, "r1", per_second=100)
    after_first = attempts()
    assert after_first > before and len(adapter.message_keys) == 3
    people = fold(read_events(file_lake, "INC-D"))
    ids = {key: p.provider_id for key, p in people.items()}
    keys = sorted(ids)
    for kind, key in (("Delivery", keys[0]), ("Bounce", keys[1]), ("Bounce", keys[2])):
        notification = {"notificationType": kind, "mail": {"messageId": ids[key]}, "bounce": {"bounceType": "Permanent"}}
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"Type": "Notification", "Message": json.dumps(notification)}))
    summary = deliver_round(file_lake, "INC-D", {"email": adapter, "postal": postal}, "r2", per_second=100)["summary"]
    statuses = summary["status"]
    assert statuses["delivered"] == 1 and statuses["handed_over"] + statuses["substitute"] == 2
    assert attempts() == after_first  # nothing sent again


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collector(Message):
        def __init__(self):
            super().__init__()
            self.messages = []

        def handle_message(self, message):
            self.messages.append(message)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_smtp_delivers_multipart_notices_once_even_when_rerun(file_lake, smtp_server):
    handler, port = smtp_server
    batches(file_lake, 1, [person(i) for i in range(3)])
    adapter = SmtpAdapter("127.0.0.1", port)
    for round_key in ("r1", "r2", "r3"):
        deliver_round(file_lake, "INC-D", {"email": adapter}, round_key, per_second=100)
    time.sleep(0.2)
    assert len(handler.messages) == 3
    assert sorted(m["To"] for m in handler.messages) == [f"person{i}@example.com" for i in range(3)]
    message = email.message_from_string(handler.messages[0].as_string())
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.walk() if not p.is_multipart()] == ["text/plain", "text/html"]


def test_smtp_transient_failures_are_retried(file_lake):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    batches(file_lake, 1, [person(1)])
    slept = []
    summary = deliver_round(
        file_lake, "INC-D", {"email": SmtpAdapter("127.0.0.1", closed_port, timeout=1)}, "r1", per_second=0, sleep=slept.append
    )["summary"]
    assert slept[:4] == [0.5, 1.0, 2.0, 4.0]
    # certainly not sent: pending for a later round (after the backoff), never stranded as unconfirmed
    assert summary["status"]["deferred"] == 1 and summary["unconfirmed"] == 0 and summary["deferred_this_round"] == 1
