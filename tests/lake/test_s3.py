"""The S3 lake against a real S3 API on loopback (moto server over HTTP): SSE-KMS, Object Lock, KMS envelope keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from include.evidence.verify import verify
from include.lake import crypto as lake_crypto
from include.lake.ledger import seal_run
from include.lake.store import S3Lake

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
    seal_run(locked_lake, dag_id="magento_pii_scan", run_id="run-1", outputs=[stored.as_dict()], versions={})
    entry_key = "prod/evidence/ledger/000000000000.json"
    head = s3.head_object(Bucket=locked_lake.bucket, Key=entry_key)
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=29)
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=locked_lake.bucket, Key=entry_key, VersionId=head["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert verify(locked_lake).ok


def test_conditional_put_refuses_to_overwrite(locked_lake):
    assert locked_lake.put_if_absent("evidence/ledger/000000000009.json", b"{}") is not None
    assert locked_lake.put_if_absent("evidence/ledger/000000000009.json", b"{}") is None


def test_verify_on_s3_catches_a_replaced_output(locked_lake, s3):
    stored = locked_lake.put("reports/r1/report.html", b"<html></html>")
    seal_run(locked_lake, dag_id="compliance_report", run_id="r1", outputs=[stored.as_dict()], versions={})
    s3.put_object(Bucket=locked_lake.bucket, Key="prod/reports/r1/report.html", Body=b"<html>forged</html>")
    assert [p.kind for p in verify(locked_lake).problems] == ["altered"]


def test_envelope_encryption_with_a_kms_master_key(moto_endpoint):
    kms = boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")
    wrapper = lake_crypto.KmsKey(kms.create_key()["KeyMetadata"]["KeyId"], kms)
    sealed = lake_crypto.encrypt(b"jane@example.com", wrapper, aad="extracts/t/part.parquet.enc")
    assert b"jane@example.com" not in sealed
    assert lake_crypto.decrypt(sealed, wrapper, aad="extracts/t/part.parquet.enc") == b"jane@example.com"
    with pytest.raises(lake_crypto.DecryptionError):
        lake_crypto.decrypt(sealed, wrapper, aad="extracts/other/part.parquet.enc")


def test_a_lease_on_s3_admits_one_holder(locked_lake):
    from include.lake.lease import Lease

    first = Lease(locked_lake, "delivery/INC-S3", ttl=timedelta(minutes=5))
    second = Lease(locked_lake, "delivery/INC-S3", ttl=timedelta(minutes=5))
    assert first.try_acquire() and not second.try_acquire()
    first.release()
    assert second.try_acquire()
