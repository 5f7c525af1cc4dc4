"""Property tests (hypothesis) for what verify and decrypt read from the lake: arbitrary bytes are a reported
problem or a DecryptionError, never a crash."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.evidence.verify import verify
from include.lake import crypto, keys, ledger
from include.lake.store import open_lake

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RING = crypto.KeyRing(crypto.LocalKey("k", secrets.token_bytes(32)))
AAD = "extracts/t/part-00001.parquet.enc"
VALID = crypto.encrypt(b"payload", RING, AAD)


@SETTINGS
@given(
    st.binary(max_size=400)
    | st.tuples(st.integers(0, len(VALID) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda edit: VALID[: edit[0]] + edit[1] + VALID[edit[0] + len(edit[1]) :]
    )
)
def test_decrypt_of_any_bytes_returns_the_payload_or_raises_decryption_error(blob: bytes):
    try:
        assert crypto.decrypt(blob, RING, AAD) == b"payload"
    except crypto.DecryptionError as error:
        assert "\n" not in str(error)


@SETTINGS
@given(st.sampled_from(["entry", "manifest", "head"]), st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_verify_reports_any_garbage_in_the_evidence_without_crashing(target: str, garbage: bytes):
    with tempfile.TemporaryDirectory() as folder:
        lake = open_lake(Path(folder).as_uri())
        stored = lake.put("reports/r1/report.html", b"<html></html>").as_dict()
        ledger.seal_run(lake, dag_id="compliance_report", run_id="r1", outputs=[stored], versions={})
        key = {"entry": keys.ledger_entry(0), "manifest": keys.manifest("compliance_report", "r1"), "head": keys.HEAD}[target]
        lake.put(key, garbage)
        report = verify(lake)
        assert not report.ok
