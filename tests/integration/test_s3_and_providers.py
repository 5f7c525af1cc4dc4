"""Against real protocols on loopback: S3 and KMS (moto server over HTTP), SES + SQS events (moto), SMTP (aiosmtpd)."""

from __future__ import annotations

import email
import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from include import evidence, lake_crypto
from include.lake import S3Lake
from include.notices.delivery import SesAdapter, SmtpAdapter, deliver_round, fold, read_events
from tests.unit.test_delivery import batches, person

pytestmark = pytest.mark.s3


@pytest.fixture
def s3(moto_endpoint):
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def locked_lake(s3, moto_endpoint):
    bucket = f"lake-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    kms = boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")
    key_id = kms.create_key(Description="lake")["KeyMetadata"]["KeyId"]
    return S3Lake(bucket, "prod", s3, kms_key_id=key_id, lock_days=30)


def test_writes_carry_sse_kms_and_evidence_is_locked(locked_lake, s3):
    stored = locked_lake.put("scans/run-1/findings.json", b"[]")
    head = s3.head_object(Bucket=locked_lake.bucket, Key="prod/scans/run-1/findings.json")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"].endswith(locked_lake.kms_key_id)
    evidence.seal_run(locked_lake, dag_id="magento_pii_scan", run_id="run-1", outputs=[stored.as_dict()], versions={})
    entry_key = "prod/evidence/ledger/000000000000.json"
    head = s3.head_object(Bucket=locked_lake.bucket, Key=entry_key)
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=29)
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=locked_lake.bucket, Key=entry_key, VersionId=head["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert evidence.verify(locked_lake).ok


def test_conditional_put_refuses_to_overwrite(locked_lake):
    assert locked_lake.put_if_absent("evidence/ledger/000000000009.json", b"{}") is not None
    assert locked_lake.put_if_absent("evidence/ledger/000000000009.json", b"{}") is None


def test_verify_on_s3_catches_a_replaced_output(locked_lake, s3):
    stored = locked_lake.put("reports/r1/report.html", b"<html></html>")
    evidence.seal_run(locked_lake, dag_id="compliance_report", run_id="r1", outputs=[stored.as_dict()], versions={})
    s3.put_object(Bucket=locked_lake.bucket, Key="prod/reports/r1/report.html", Body=b"<html>forged</html>")
    assert [p.kind for p in evidence.verify(locked_lake).problems] == ["altered"]


def test_envelope_encryption_with_a_kms_master_key(moto_endpoint):
    kms = boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")
    wrapper = lake_crypto.KmsKey(kms.create_key()["KeyMetadata"]["KeyId"], kms)
    sealed = lake_crypto.encrypt(b"jane@example.com", wrapper, aad="extracts/t/part.parquet.enc")
    assert b"jane@example.com" not in sealed
    assert lake_crypto.decrypt(sealed, wrapper, aad="extracts/t/part.parquet.enc") == b"jane@example.com"
    with pytest.raises(lake_crypto.DecryptionError):
        lake_crypto.decrypt(sealed, wrapper, aad="extracts/other/part.parquet.enc")


def test_ses_delivery_events_and_bounce_fallback(file_lake, moto_endpoint):
    ses = boto3.client("ses", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="privacy@example.com")
    queue = sqs.create_queue(QueueName=f"ses-events-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    batches(file_lake, 1, [person(1), person(2), person(3, postal=False)])
    adapter = SesAdapter(ses, sender="privacy@example.com", events_queue_url=queue, sqs_client=sqs)
    from tests.unit.test_delivery import FakeAdapter

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
    assert statuses["delivered"] == 1 and statuses["postal"] + statuses["substitute"] == 2
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
    with pytest.raises(Exception, match="SMTP connection failed"):
        deliver_round(
            file_lake,
            "INC-D",
            {"email": SmtpAdapter("127.0.0.1", closed_port, timeout=1)},
            "r1",
            per_second=0,
            sleep=slept.append,
        )
    assert slept[:4] == [0.5, 1.0, 2.0, 4.0]
