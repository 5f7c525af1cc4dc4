"""Delivery through real provider protocols: Amazon SES and SQS on a moto server, SMTP on a local aiosmtpd server."""

from __future__ import annotations

import email
import json
import socket
import time
import uuid

import boto3
import pytest

from include.notices.delivery.adapters import PermanentDeliveryError, SesAdapter, SmtpAdapter
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


@pytest.fixture
def relay():
    from tests.notices.relay import start_relay

    started, controller = start_relay(smtputf8=True)
    yield started
    controller.stop()


@pytest.fixture
def ascii_relay():
    from tests.notices.relay import start_relay

    started, controller = start_relay(smtputf8=False)
    yield started
    controller.stop()


INTERNATIONAL = "jürgen.müller@exämple.de"


def test_the_envelope_is_the_one_validated_address_and_headers_are_built_from_it(file_lake, relay):
    batches(file_lake, 1, [person(1)])
    from include.notices.batches import read_batch

    record = read_batch(file_lake, "incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc")[0]
    adapter = SmtpAdapter("127.0.0.1", relay.port)
    sent = adapter.send({**record, "incident_id": "INC-D", "message_id": "<k@notices.local>"})
    adapter.close()
    assert relay.recipients() == ["person1@example.com"] and sent.provider_id == "<k@notices.local>"
    assert sent.detail == "queue id Q00000"
    for hostile in ("victim@example.com,attacker@evil.example", "victim@example.com\r\nBcc: attacker@evil.example",
                    '"victim@example.com" <attacker@evil.example>'):  # fmt: skip
        with pytest.raises(PermanentDeliveryError):
            SmtpAdapter("127.0.0.1", relay.port).send({**record, "to": hostile})
    assert len(relay.accepted) == 1


def test_an_international_address_goes_with_smtputf8_where_the_relay_offers_it(file_lake, relay):
    batches(file_lake, 1, [{**person(1), "email": INTERNATIONAL}])
    deliver_round(file_lake, "INC-D", {"email": SmtpAdapter("127.0.0.1", relay.port)}, "r1", per_second=0)
    (message,) = relay.accepted
    assert message.smtputf8 and message.rcpt_tos == [INTERNATIONAL]
    assert f"To: {INTERNATIONAL}".encode() in message.content and b"=?utf-8?" not in message.content.split(b"\r\n\r\n")[0]


def test_an_international_address_goes_by_post_when_the_relay_lacks_smtputf8(file_lake, ascii_relay):
    from tests.notices.test_delivery import FakeAdapter

    batches(file_lake, 1, [{**person(1), "email": INTERNATIONAL}, person(2)])
    postal = FakeAdapter("postal")
    adapters = {"email": SmtpAdapter("127.0.0.1", ascii_relay.port), "postal": postal}
    summary = deliver_round(file_lake, "INC-D", adapters, "r1", per_second=0)["summary"]
    assert ascii_relay.recipients() == ["person2@example.com"] and len(postal.sent) == 1
    assert summary["status"]["handed_over"] == 1 and summary["status"]["sent"] == 1


def test_a_bounce_queued_during_another_incidents_ses_round_is_filed_under_its_incident(file_lake, moto_endpoint):
    from include.lake import keys as lake_keys
    from include.notices.status import delivery_status
    from tests.notices.test_delivery import FakeAdapter

    ses = boto3.client("ses", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="privacy@example.com")
    queue = sqs.create_queue(QueueName=f"ses-shared-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    for incident in ("INC-D", "INC-F"):
        file_lake.put(lake_keys.incident_versions(incident), b'{"versions": [{"version": 1}]}')
    batches(file_lake, 1, [person(1)])

    def adapter() -> SesAdapter:
        return SesAdapter(ses, sender="privacy@example.com", events_queue_url=queue, sqs_client=sqs)

    postal = FakeAdapter("postal")
    deliver_round(file_lake, "INC-D", {"email": adapter(), "postal": postal}, "d1", per_second=0)
    ((key, status),) = [(k, p) for k, p in fold(read_events(file_lake, "INC-D")).items()]
    headers = [{"name": "X-Notice-Incident", "value": "INC-D"}, {"name": "X-Notice-Key", "value": key}]
    bounce = {"eventType": "Bounce", "bounce": {"bounceType": "Permanent"},
              "mail": {"messageId": status.provider_id, "timestamp": "2026-11-30T10:00:00Z", "headers": headers}}  # fmt: skip
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"Type": "Notification", "Message": json.dumps(bounce)}))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"eventType": "Bounce", "mail": {"messageId": "unknown-1"}}))
    sqs.send_message(QueueUrl=queue, MessageBody="not json at all")
    other = deliver_round(file_lake, "INC-F", {"email": adapter()}, "f1", per_second=0)["summary"]
    assert other["unrouted_events"] == 2  # the unknown and the unreadable one are kept, not deleted unseen
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages") is None
    deliver_round(file_lake, "INC-D", {"email": adapter(), "postal": postal}, "d2", per_second=0)
    assert postal.sent == [key] and delivery_status(file_lake, "INC-D")["status"]["handed_over"] == 1
