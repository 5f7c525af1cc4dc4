"""The evidence store catches every kind of tampering, and an untouched lake verifies clean."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from include.evidence import verify as evidence_verify
from include.evidence.index import write_index
from include.lake import ledger, signing
from include.lake.store import open_lake


@pytest.fixture
def sealed_lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    lake = open_lake(root.as_uri())
    for run in ("run-1", "run-2", "run-3"):
        outputs = [
            lake.put(f"scans/{run}/findings.json", json.dumps({"run": run}).encode()).as_dict(),
            lake.put(f"scans/{run}/summary.json", json.dumps({"findings": 0, "run": run}).encode()).as_dict(),
        ]
        ledger.seal_run(lake, dag_id="magento_pii_scan", run_id=run, outputs=outputs, versions={"suites": "x"})
    ledger.record_audit(
        lake,
        {
            "user_id": "alice",
            "event_type": "notices_approved",
            "timestamp": "2026-11-30T10:00:00+00:00",
            "outcome": "success",
            "origin": "test",
            "affected_data": "incident X",
            "component": "test",
        },
    )
    return root


def verify(root: Path) -> evidence_verify.VerifyReport:
    """Verify as an auditor does: with the public key the ledger is signed with."""
    public = signing.keyring([signing.default_signer().private.public_key()])
    return evidence_verify.verify(open_lake(root.as_uri()), public_keys=public)


def kinds(report: evidence_verify.VerifyReport) -> set[str]:
    return {p.kind for p in report.problems}


def test_untouched_lake_verifies_clean(sealed_lake):
    report = verify(sealed_lake)
    assert report.ok and report.entries == 4 and report.manifests == 3 and report.outputs_checked == 6
    assert report.signatures_checked and report.signers == [signing.default_signer().key_id]


def test_a_changed_byte_in_an_output_is_caught(sealed_lake):
    path = sealed_lake / "scans/run-2/summary.json"
    data = bytearray(path.read_bytes())
    data[5] ^= 1
    path.write_bytes(bytes(data))
    report = verify(sealed_lake)
    assert [(p.kind, p.path) for p in report.problems] == [("altered", "scans/run-2/summary.json")]


def test_a_deleted_output_is_caught(sealed_lake):
    (sealed_lake / "scans/run-1/findings.json").unlink()
    assert [(p.kind, p.path) for p in verify(sealed_lake).problems] == [("missing", "scans/run-1/findings.json")]


def test_an_added_output_is_caught(sealed_lake):
    (sealed_lake / "scans/run-1/extra.json").write_text("{}")
    assert [(p.kind, p.path) for p in verify(sealed_lake).problems] == [("added", "scans/run-1/extra.json")]


def test_a_reordered_ledger_is_caught(sealed_lake):
    ledger = sealed_lake / "evidence/ledger"
    first, second = ledger / "000000000001.json", ledger / "000000000002.json"
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    assert "reordered" in kinds(verify(sealed_lake))


def test_a_truncated_ledger_is_caught(sealed_lake):
    (sealed_lake / "evidence/ledger/000000000003.json").unlink()
    assert "truncated" in kinds(verify(sealed_lake))


def test_a_ledger_entry_removed_from_the_middle_is_caught(sealed_lake):
    (sealed_lake / "evidence/ledger/000000000001.json").unlink()
    report = verify(sealed_lake)
    assert "reordered" in kinds(report) and "added" in kinds(report)


def test_an_output_replaced_with_its_manifest_entry_is_caught(sealed_lake):
    output = sealed_lake / "scans/run-2/findings.json"
    output.write_text(json.dumps({"run": "run-2", "forged": True}))
    manifest_path = sealed_lake / "evidence/manifests/magento_pii_scan/run-2.json"
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["outputs"]:
        if entry["path"] == "scans/run-2/findings.json":
            entry["sha256"] = ledger.sha256(output.read_bytes())
            entry["size"] = output.stat().st_size
    manifest_path.write_bytes(ledger.canonical(manifest))
    report = verify(sealed_lake)
    assert [(p.kind, p.path) for p in report.problems] == [("altered", "evidence/manifests/magento_pii_scan/run-2.json")]


def test_an_edited_ledger_entry_is_caught(sealed_lake):
    path = sealed_lake / "evidence/ledger/000000000003.json"
    entry = json.loads(path.read_text())
    entry["event"]["user_id"] = "mallory"
    path.write_bytes(ledger.canonical(entry))
    assert "altered" in kinds(verify(sealed_lake))


def test_an_edited_entry_with_its_hash_recomputed_fails_its_signature(sealed_lake):
    path = sealed_lake / "evidence/ledger/000000000003.json"
    entry = json.loads(path.read_text())
    entry["event"]["user_id"] = "mallory"
    entry["entry_hash"] = ledger.entry_hash(entry)
    path.write_bytes(ledger.canonical(entry))
    (sealed_lake / "evidence/HEAD.json").write_bytes(ledger.canonical({"seq": 3, "entry_hash": entry["entry_hash"]}))
    assert [(p.kind, p.path) for p in verify(sealed_lake).problems] == [("forged", "evidence/ledger/000000000003.json")]


def test_retention_deletions_declared_in_the_ledger_are_not_problems(sealed_lake):
    lake = open_lake(sealed_lake.as_uri())
    ledger.record_deletion(lake, ["scans/run-1/findings.json"], "test retention")
    lake.delete("scans/run-1/findings.json")
    assert verify(sealed_lake).ok


def test_cli_exit_status(sealed_lake, tmp_path, ledger_public_key_text):
    command = [sys.executable, "-m", "include.cli", "evidence", "verify", "--public-key", ledger_public_key_text, "--lake"]
    done = subprocess.run([*command, sealed_lake.as_uri()], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "signed by" in done.stdout and "--expect-head" in done.stdout
    tampered = tmp_path / "copy"
    shutil.copytree(sealed_lake, tampered)
    (tampered / "scans/run-3/summary.json").write_text("{}")
    done = subprocess.run([*command, tampered.as_uri()], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "scans/run-3/summary.json" in done.stdout


def test_cli_refuses_bad_arguments_with_one_line_and_status_2(sealed_lake, ledger_public_key_text):
    base = [sys.executable, "-m", "include.cli", "evidence", "verify", "--lake", sealed_lake.as_uri()]
    for extra, field in (
        (["--public-key", "not-a-key"], "public-key"),
        (["--public-key", ledger_public_key_text, "--expect-head", "abc"], "expect-head"),
        (["--public-key", ledger_public_key_text, "--since", "last tuesday"], "since"),
    ):
        done = subprocess.run([*base, *extra], capture_output=True, text=True, check=False)
        assert done.returncode == 2 and done.stderr.startswith(f"breachctl: {field}:") and done.stderr.count("\n") == 1


def test_index_lists_runs_with_hashes_and_the_head_to_record(sealed_lake, tmp_path, ledger_public_key):
    path = write_index(open_lake(sealed_lake.as_uri()), tmp_path / "index", public_keys=ledger_public_key)
    html = path.read_text()
    manifest = json.loads((sealed_lake / "evidence/manifests/magento_pii_scan/run-1.json").read_text())
    assert manifest["outputs"][0]["sha256"] in html and "alice" in html and "all 4 ledger entries" in html
    head = json.loads((sealed_lake / "evidence/HEAD.json").read_text())
    assert (
        f'entry <strong>3</strong>, hash\n<code class="hash">{head["entry_hash"]}</code>' in html
        and signing.default_signer().key_id in html
    )


def test_public_key_command_prints_what_auditors_pass(capsys, ledger_public_key_text):
    from include import cli

    assert cli.main(["evidence", "public-key"]) == 0
    assert capsys.readouterr().out.strip() == ledger_public_key_text
