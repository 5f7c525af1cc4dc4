"""The attacks of issue 12 against the evidence store, each reproduced against a file lake, and what now catches it.

An attacker here can write anything in the lake but does not hold the signing key (an Airflow connection).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from include.evidence.seal import seal
from include.evidence.verify import verify
from include.incident.approval import approved_versions
from include.lake import keys, ledger, signing
from include.lake.store import FileLake, open_lake
from include.monitoring.fulfilments import fulfilments, record_fulfilment

INCIDENT = "INC-2026-0042"


def audit(lake, event_type: str, data: str) -> dict:
    return ledger.record_audit(
        lake,
        {
            "user_id": "soc",
            "event_type": event_type,
            "timestamp": "2026-11-30T10:00:00+00:00",
            "outcome": "success",
            "origin": "test",
            "affected_data": data,
            "component": "test",
        },
    )


@pytest.fixture
def lake(tmp_path: Path) -> FileLake:
    """A scan run, then an incident run (trigger audit entry, outputs, manifest), then a report run."""
    lake = open_lake((tmp_path / "lake").as_uri())
    scan = [lake.put("scans/run-1/findings.json", b"[]").as_dict()]
    ledger.seal_run(lake, dag_id="magento_pii_scan", run_id="run-1", outputs=scan, versions={})
    audit(lake, "incident_triggered", f"incident {INCIDENT}")
    outputs = [
        lake.put(f"incidents/{INCIDENT}/v1/affected.json", b'{"groups": []}').as_dict(),
        lake.put(f"incidents/{INCIDENT}/v1/batches/email/batch-00001.jsonl.gz.enc", b"MBPE\x02sealed").as_dict(),
        lake.put(f"incidents/{INCIDENT}/v1/affected.parquet.enc", b"MBPE\x02people").as_dict(),
    ]
    ledger.seal_run(lake, dag_id="breach_incident", run_id="inc-run", outputs=outputs, versions={}, run_key=f"{INCIDENT}-r")
    report = [lake.put("reports/r1/report.html", b"<html></html>").as_dict()]
    ledger.seal_run(lake, dag_id="compliance_report", run_id="r1", outputs=report, versions={})
    return lake


def entries(lake) -> list[dict[str, Any]]:
    return [json.loads(lake.get(key)) for key in ledger.ledger_keys(lake)]


def rewrite_chain(lake, kept: list[dict[str, Any]], signer: signing.Signer | None = None) -> str:
    """What an attacker does: renumber and re-hash the kept entries from genesis, re-sign if they can, rewrite HEAD."""
    for key in ledger.ledger_keys(lake):
        lake.delete(key)
    previous = ledger.GENESIS
    for seq, original in enumerate(kept):
        entry = {k: v for k, v in original.items() if k not in ledger.UNHASHED}
        entry.update(seq=seq, prev_hash=previous)
        entry["entry_hash"] = ledger.entry_hash(entry)
        if signer is not None:
            entry["signature"] = signer.sign(ledger.signed_bytes(entry))
        lake.put(keys.ledger_entry(seq), ledger.canonical(entry))
        previous = entry["entry_hash"]
    lake.put(keys.HEAD, ledger.canonical({"seq": len(kept) - 1, "entry_hash": previous}))
    return previous


def append_forged(lake, body: dict[str, Any], signer: signing.Signer | None = None) -> None:
    """Append one entry with a correct chain link and hash (and the attacker's own signature, if any)."""
    last = entries(lake)[-1]
    entry = {"seq": last["seq"] + 1, "prev_hash": last["entry_hash"], "recorded_at": ledger.now_iso(), **body}
    entry["entry_hash"] = ledger.entry_hash(entry)
    if signer is not None:
        entry["signature"] = signer.sign(ledger.signed_bytes(entry))
    lake.put(keys.ledger_entry(entry["seq"]), ledger.canonical(entry))
    lake.put(keys.HEAD, ledger.canonical({"seq": entry["seq"], "entry_hash": entry["entry_hash"]}))


def kinds(report) -> set[str]:
    return {p.kind for p in report.problems}


def test_untampered_lake_verifies(lake, ledger_public_key):
    assert verify(lake, public_keys=ledger_public_key).ok


@pytest.mark.parametrize("attacker_key", [None, Ed25519PrivateKey.generate()], ids=["unsigned", "own-key"])
def test_a_rewritten_chain_no_longer_verifies(lake, ledger_public_key, attacker_key):
    head_before = ledger.read_head(lake)["entry_hash"]
    for key, _ in list(lake.list(f"incidents/{INCIDENT}/")):
        lake.delete(key)
    lake.delete(keys.manifest("breach_incident", f"{INCIDENT}-r"))
    kept = [e for e in entries(lake) if INCIDENT not in json.dumps(e) and e.get("run_id") != "inc-run"]
    assert len(kept) == 2
    rewrite_chain(lake, kept, signing.Signer(attacker_key) if attacker_key else None)
    assert verify(lake).ok, "the attack as reported: without signatures the rewritten chain verifies"
    report = verify(lake, public_keys=ledger_public_key)
    assert kinds(report) == {"unsigned" if attacker_key is None else "forged"}
    assert "anchor" in kinds(verify(lake, public_keys=ledger_public_key, expect_head=head_before))


def test_forged_deletion_appended_after_removing_batches_is_caught(lake, ledger_public_key):
    removed = [f"incidents/{INCIDENT}/v1/batches/email/batch-00001.jsonl.gz.enc", f"incidents/{INCIDENT}/v1/affected.parquet.enc"]
    for path in removed:
        lake.delete(path)
    append_forged(lake, {"type": "deletion", "paths": removed, "reason": "extract retention"})
    assert verify(lake).ok, "the attack as reported"
    report = verify(lake, public_keys=ledger_public_key)
    assert [(p.kind, p.path) for p in report.problems] == [("unsigned", keys.ledger_entry(4))]


def test_forged_fulfilment_with_its_manifest_is_caught(lake, ledger_public_key):
    record = lake.put(keys.fulfilment(INCIDENT, "US-CA/attorney_general_sample", datetime(2026, 12, 1)), b"{}")
    manifest = {"dag_id": "breachctl", "run_id": "fulfil", "sealed_at": ledger.now_iso(), "outputs": [record.as_dict()]}
    key = keys.manifest("breachctl", "forged-fulfilment")
    lake.put(key, ledger.canonical(manifest))
    body = {"type": "manifest", "dag_id": "breachctl", "run_id": "fulfil", "manifest": key, "outputs": 1}
    append_forged(
        lake, {**body, "manifest_sha256": ledger.sha256(ledger.canonical(manifest))}, signing.Signer(Ed25519PrivateKey.generate())
    )
    assert verify(lake).ok, "the attack as reported"
    assert kinds(verify(lake, public_keys=ledger_public_key)) == {"forged"}


def test_cutting_the_newest_entries_and_pointing_head_back_fails_against_the_recorded_head(lake, ledger_public_key):
    recorded = ledger.read_head(lake)["entry_hash"]
    last = entries(lake)[-1]
    lake.delete(keys.ledger_entry(last["seq"]))
    lake.delete(last["manifest"])
    lake.delete("reports/r1/report.html")
    previous = entries(lake)[-1]
    lake.put(keys.HEAD, ledger.canonical({"seq": previous["seq"], "entry_hash": previous["entry_hash"]}))
    assert verify(lake, public_keys=ledger_public_key).ok, "signatures alone cannot see a clean cut"
    report = verify(lake, public_keys=ledger_public_key, expect_head=recorded)
    assert [p.kind for p in report.problems] == ["anchor"]


def test_a_retried_teardown_reseals_without_breaking_verification(lake, ledger_public_key):
    results = {"build_report": {"outputs": [lake.put("reports/r2/report.html", b"<html>2</html>").as_dict()]}}
    first = seal("compliance_report", "r2", results, lake=lake)
    again = seal("compliance_report", "r2", results, lake=lake)
    assert first == again and len(entries(lake)) == 5
    results["build_report"]["outputs"].append(lake.put("reports/r2/metrics.json", b"{}").as_dict())
    third = seal("compliance_report", "r2", results, lake=lake)
    assert third["manifest"] == keys.manifest("compliance_report", "r2", 2) and third["seq"] == 5
    assert verify(lake, public_keys=ledger_public_key).ok


def test_state_is_sealed_except_leases(lake, ledger_public_key):
    index = lake.put(keys.snapshot_index("customer_entity"), b'{"buckets": {}}').as_dict()
    assert [(p.kind, p.path) for p in verify(lake, public_keys=ledger_public_key).problems] == [("added", index["path"])]
    seal("magento_pii_scan", "run-2", {"scan_table": [{"outputs": [], "state": [index]}]}, lake=lake)
    assert verify(lake, public_keys=ledger_public_key).ok
    lake.put(keys.snapshot_index("customer_entity"), b'{"buckets": {"0": {}}}')
    assert [p.kind for p in verify(lake, public_keys=ledger_public_key).problems] == ["altered"]
    newer = lake.put(keys.snapshot_index("customer_entity"), b'{"buckets": {"1": {}}}').as_dict()
    bucket = lake.put(keys.snapshot_bucket("customer_entity", 0, "ab" * 32), b"MBPE\x02b").as_dict()
    seal("magento_pii_scan", "run-3", {"scan_table": [{"outputs": [], "state": [newer, bucket]}]}, lake=lake)
    lake.delete(bucket["path"])
    seal("magento_pii_scan", "run-4", {"scan_table": [{"outputs": [], "removed": [bucket["path"]]}]}, lake=lake)
    assert list(lake.list(keys.LEASES)) and verify(lake, public_keys=ledger_public_key).ok


class PausingLake(FileLake):
    """A file lake whose writer stops just before writing HEAD.json until told to go on (a stalled worker)."""

    def __init__(self, root: Path, paused: threading.Event, resume: threading.Event):
        super().__init__(root)
        self.paused, self.resume = paused, resume

    def put(self, key: str, data: bytes, *, locked: bool = False):
        if key == keys.HEAD and not self.paused.is_set():
            self.paused.set()
            assert self.resume.wait(30)
        return super().put(key, data, locked=locked)


@pytest.mark.parametrize("lease_expires", [False, True], ids=["lease-held", "lease-expired"])
def test_a_writer_paused_before_head_never_leaves_head_behind(tmp_path, monkeypatch, ledger_public_key, lease_expires):
    root = tmp_path / "lake"
    paused, resume = threading.Event(), threading.Event()
    if lease_expires:
        monkeypatch.setattr(ledger, "LEASE_TTL", timedelta(milliseconds=200))
    slow = PausingLake(root, paused, resume)
    writer = threading.Thread(target=audit, args=(slow, "slow", "x"))
    writer.start()
    assert paused.wait(30)
    other = threading.Thread(target=audit, args=(FileLake(root), "fast", "y"))
    other.start()
    other.join(1.0 if not lease_expires else 10)
    assert other.is_alive() is (not lease_expires), "the lease makes the second writer wait while the first holds it"
    resume.set()
    writer.join(30)
    other.join(30)
    lake = FileLake(root)
    assert ledger.read_head(lake)["seq"] == 1 and verify(lake, public_keys=ledger_public_key).ok


def test_head_versions_are_checked_against_the_chain(lake, ledger_public_key, monkeypatch):
    versions = [ledger.canonical({"seq": 1, "entry_hash": "f" * 64})]
    monkeypatch.setattr(type(lake), "history", lambda self, key: [*versions, self.get(key)])
    report = verify(lake, public_keys=ledger_public_key)
    assert [p.kind for p in report.problems] == ["anchor"] and report.head_versions_checked == 1


def test_a_deeply_nested_or_huge_ledger_entry_is_reported_not_crashed(lake, ledger_public_key, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(Path(lake.root), copy)
    (copy / keys.ledger_entry(1)).write_text("[" * 100_000 + "]" * 100_000)
    report = verify(open_lake(copy.as_uri()), public_keys=ledger_public_key)
    assert ("altered", keys.ledger_entry(1)) in [(p.kind, p.path) for p in report.problems]


def approval_body(incident: str, version: int) -> dict[str, Any]:
    """The ledger body of a legal approval of version N's notices, as an attacker would copy it."""
    return {
        "type": "audit",
        "event": {
            "user_id": "legal",
            "event_type": "notices_approved",
            "timestamp": "2026-11-30T10:00:00+00:00",
            "outcome": "success",
            "origin": "breach_incident",
            "affected_data": f"incident {incident} v{version} notices",
            "component": "breach_incident.legal_approval",
            "reason": "forged",
        },
    }


@pytest.mark.parametrize("attacker_key", [None, Ed25519PrivateKey.generate()], ids=["unsigned", "own-key"])
def test_a_forged_approval_releases_nothing(lake, attacker_key):
    append_forged(lake, approval_body(INCIDENT, 1), signing.Signer(attacker_key) if attacker_key else None)
    assert ledger.entry_hash(entries(lake)[-1]) == entries(lake)[-1]["entry_hash"], "the forgery carries a correct hash"
    assert approved_versions(lake, INCIDENT) == []
    ledger.append_entry(lake, approval_body(INCIDENT, 2))
    assert approved_versions(lake, INCIDENT) == [2], "a decision the pipeline signed still counts"


@pytest.mark.parametrize("attacker_key", [None, Ed25519PrivateKey.generate()], ids=["unsigned", "own-key"])
def test_a_forged_fulfilment_is_not_read_as_a_filing(lake, attacker_key):
    obligation = "US-CA/attorney_general_sample"
    data = json.dumps({"incident_id": INCIDENT, "obligation": obligation, "at": "2026-12-01T00:00:00+00:00"}).encode()
    record = lake.put(keys.fulfilment(INCIDENT, obligation, datetime(2026, 12, 1)), data)
    manifest = {"dag_id": "breachctl", "run_id": "fulfil", "sealed_at": ledger.now_iso(), "outputs": [record.as_dict()]}
    key = keys.manifest("breachctl", "forged-fulfilment")
    lake.put(key, ledger.canonical(manifest))
    body = {"type": "manifest", "dag_id": "breachctl", "run_id": "fulfil", "manifest": key, "outputs": 1}
    append_forged(
        lake,
        {**body, "manifest_sha256": ledger.sha256(ledger.canonical(manifest))},
        signing.Signer(attacker_key) if attacker_key else None,
    )
    assert fulfilments(lake, INCIDENT) == {}
    record_fulfilment(lake, INCIDENT, "US-NY/attorney_general", datetime(2026, 12, 2, tzinfo=UTC), "legal", "AG-1")
    assert list(fulfilments(lake, INCIDENT)) == ["US-NY/attorney_general"], "one recorded by breachctl still counts"


def test_decisions_signed_before_a_key_rotation_count_when_the_old_key_is_listed(lake, monkeypatch):
    old = signing.Signer(Ed25519PrivateKey.generate())
    ledger.append_entry(lake, approval_body(INCIDENT, 1), signer=old)
    assert approved_versions(lake, INCIDENT) == []
    connection = json.loads(os.environ["AIRFLOW_CONN_EVIDENCE_SIGNING"])
    extra = {"retired_public_keys": [signing.public_key_text(old.private.public_key())]}
    monkeypatch.setenv("AIRFLOW_CONN_EVIDENCE_SIGNING", json.dumps({**connection, "extra": extra}))
    assert approved_versions(lake, INCIDENT) == [1]
    monkeypatch.setenv("AIRFLOW_CONN_EVIDENCE_SIGNING", json.dumps({**connection, "extra": {"retired_public_keys": "x"}}))
    with pytest.raises(signing.SigningKeyError, match="retired_public_keys"):
        approved_versions(lake, INCIDENT)
