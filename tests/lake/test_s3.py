"""The S3 lake against a real S3 API on loopback (moto server over HTTP): SSE-KMS, Object Lock, KMS envelope keys."""

from __future__ import annotations

import json
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


def _append_forged(lake: S3Lake, body: dict) -> None:
    """What an attacker with write access does under Object Lock: a correctly chained, unsigned entry at the end."""
    from include.lake import keys, ledger

    last = json.loads(lake.get(ledger.ledger_keys(lake)[-1]))
    entry = {"seq": last["seq"] + 1, "prev_hash": last["entry_hash"], "recorded_at": ledger.now_iso(), **body}
    entry["entry_hash"] = ledger.entry_hash(entry)
    lake.put(keys.ledger_entry(entry["seq"]), ledger.canonical(entry))
    lake.put(keys.HEAD, ledger.canonical({"seq": entry["seq"], "entry_hash": entry["entry_hash"]}))


def _incident_lake(lake: S3Lake) -> list[str]:
    paths = ["incidents/INC-S3/v1/batches/email/batch-00001.jsonl.gz.enc", "incidents/INC-S3/v1/affected.parquet.enc"]
    outputs = [lake.put(path, b"MBPE\x02ciphertext").as_dict() for path in paths]
    seal_run(lake, dag_id="breach_incident", run_id="run-1", outputs=outputs, versions={})
    return paths


def test_under_object_lock_a_forged_deletion_appended_at_the_end_fails(locked_lake, ledger_public_key):
    paths = _incident_lake(locked_lake)
    for path in paths:
        locked_lake.delete(path)
    _append_forged(locked_lake, {"type": "deletion", "paths": paths, "reason": "extract retention"})
    assert verify(locked_lake).ok, "the attack as reported: without signatures it verifies"
    report = verify(locked_lake, public_keys=ledger_public_key)
    assert [(p.kind, p.path) for p in report.problems] == [("unsigned", "evidence/ledger/000000000001.json")]


def test_under_object_lock_a_forged_fulfilment_and_manifest_fail(locked_lake, ledger_public_key):
    from include.lake import keys, ledger

    _incident_lake(locked_lake)
    record = locked_lake.put(keys.fulfilment("INC-S3", "US-CA/attorney_general_sample", datetime(2026, 12, 1)), b"{}")
    manifest = ledger.canonical({"dag_id": "breachctl", "run_id": "f", "sealed_at": "x", "outputs": [record.as_dict()]})
    key = keys.manifest("breachctl", "forged")
    locked_lake.put(key, manifest)
    body = {"type": "manifest", "dag_id": "breachctl", "run_id": "f", "manifest": key, "outputs": 1}
    _append_forged(locked_lake, {**body, "manifest_sha256": ledger.sha256(manifest)})
    assert verify(locked_lake).ok, "the attack as reported"
    assert {p.kind for p in verify(locked_lake, public_keys=ledger_public_key).problems} == {"unsigned"}


def test_every_head_version_is_locked_and_a_rewritten_entry_is_caught(locked_lake, s3, ledger_public_key):
    from include.lake import keys, ledger

    _incident_lake(locked_lake)
    report = locked_lake.put("reports/r1/report.html", b"<html></html>").as_dict()
    seal_run(locked_lake, dag_id="compliance_report", run_id="r1", outputs=[report], versions={})
    versions = s3.list_object_versions(Bucket=locked_lake.bucket, Prefix="prod/evidence/HEAD.json")["Versions"]
    assert len(versions) == 2
    for version in versions:
        head = s3.head_object(Bucket=locked_lake.bucket, Key="prod/evidence/HEAD.json", VersionId=version["VersionId"])
        assert head["ObjectLockMode"] == "COMPLIANCE"
    assert verify(locked_lake, public_keys=ledger_public_key).ok
    entry = json.loads(locked_lake.get(keys.ledger_entry(1)))
    entry["outputs"] = 0
    entry["entry_hash"] = ledger.entry_hash(entry)
    locked_lake.put(keys.ledger_entry(1), ledger.canonical(entry))
    locked_lake.put(keys.HEAD, ledger.canonical({"seq": 1, "entry_hash": entry["entry_hash"]}))
    problems = {(p.kind, p.path) for p in verify(locked_lake, public_keys=ledger_public_key).problems}
    assert ("rewritten", "evidence/ledger/000000000001.json") in problems
    assert ("forged", "evidence/ledger/000000000001.json") in problems and ("anchor", "evidence/HEAD.json") in problems
