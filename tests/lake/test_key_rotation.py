"""A key ring: objects under an older key still read, pseudonyms do not change with the data key, `lake rotate`
re-wraps every data key under the current key and the evidence still verifies; corrupt headers are decryption errors."""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import struct

import pytest

from include.config import ConnectionInfo
from include.evidence.verify import verify
from include.lake import crypto, ledger
from include.lake.rotation import rotate
from include.lake.store import open_lake

K1, K2 = crypto.LocalKey("prod-1", secrets.token_bytes(32)), crypto.LocalKey("prod-2", secrets.token_bytes(32))
AAD = "incidents/INC-1/v1/affected.parquet.enc"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_an_object_under_an_older_key_reads_after_the_key_changes():
    blob = crypto.encrypt(b"jane@example.com", crypto.KeyRing(K1), AAD)
    with pytest.raises(crypto.DecryptionError, match="prod-1"):
        crypto.decrypt(blob, K2, AAD)  # the reported failure: the recorded kid never selected a key
    assert crypto.decrypt(blob, crypto.KeyRing(K2, {"prod-1": K1}), AAD) == b"jane@example.com"
    with pytest.raises(crypto.DecryptionError, match="does not hold"):
        crypto.decrypt(blob, crypto.KeyRing(K2), AAD)


def test_rewrap_changes_only_the_wrapped_key_and_the_old_key_is_then_not_needed():
    blob = crypto.encrypt(b"x" * 1000, crypto.KeyRing(K1), AAD)
    ring = crypto.KeyRing(K2, {"prod-1": K1})
    rewrapped = crypto.rewrap(blob, ring, AAD)
    assert rewrapped is not None and rewrapped.endswith(crypto.parse_envelope(blob, AAD).body)
    assert crypto.decrypt(rewrapped, crypto.KeyRing(K2), AAD) == b"x" * 1000
    assert crypto.rewrap(rewrapped, ring, AAD) is None


def format_1(data: bytes, key: crypto.LocalKey, aad: str) -> bytes:
    """An object as the previous format wrote it (the whole header bound into the body's associated data)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data_key, nonce = AESGCM.generate_key(256), os.urandom(12)
    scheme, wrapped = key.wrap(data_key)
    header = json.dumps({"alg": "AES-256-GCM", "kid": key.key_id, "wrap": scheme, "wrapped": b64(wrapped), "nonce": b64(nonce)})
    sealed = AESGCM(data_key).encrypt(nonce, data, header.encode() + b"\0" + aad.encode())
    return crypto.MAGIC_V1 + struct.pack(">I", len(header)) + header.encode() + sealed


def test_objects_of_the_previous_format_read_and_rewrap():
    blob = format_1(b"old", K1, AAD)
    assert crypto.decrypt(blob, crypto.KeyRing(K1), AAD) == b"old"
    rewrapped = crypto.rewrap(blob, crypto.KeyRing(K2, {"prod-1": K1}), AAD)
    assert rewrapped is not None and crypto.decrypt(rewrapped, crypto.KeyRing(K2), AAD) == b"old"


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda b: b[:10] + b"\xff" + b[11:],
        lambda b: b[:5] + struct.pack(">I", 10**6) + b[9:],
        lambda b: b[:7],
        lambda b: b.replace(b'"nonce":"', b'"nonce":"*', 1),
        lambda b: b.replace(b'"kid":"prod-1"', b'"kid":1234567', 1),
    ],
    ids=["json", "length", "truncated", "base64", "type"],
)
def test_a_corrupted_header_is_a_decryption_error_not_a_json_error(corrupt):
    blob = crypto.encrypt(b"data", crypto.KeyRing(K1), AAD)
    with pytest.raises(crypto.DecryptionError, match=AAD):
        crypto.decrypt(corrupt(blob), crypto.KeyRing(K1), AAD)


def connection(current: crypto.LocalKey, *retired: crypto.LocalKey, **extra: str) -> ConnectionInfo:
    return ConnectionInfo(
        "generic",
        password=b64(current.key),
        extra={"key_id": current.key_id, "retired_secret_keys": {k.key_id: b64(k.key) for k in retired}, **extra},
    )


def test_pseudonyms_come_from_a_dedicated_secret_that_survives_rotation():
    secret = b64(secrets.token_bytes(32))
    before, after = connection(K1, pseudonym_secret=secret), connection(K2, K1, pseudonym_secret=secret)
    assert crypto.pseudonym_secret_from(before, crypto.keyring_from(before, "c"), "c") == crypto.pseudonym_secret_from(
        after, crypto.keyring_from(after, "c"), "c"
    )
    legacy = connection(K1)
    derived = crypto.pseudonym_secret_from(legacy, crypto.keyring_from(legacy, "c"), "c")
    rotated = connection(K2, K1)
    with pytest.raises(RuntimeError, match="notified twice"):
        crypto.pseudonym_secret_from(rotated, crypto.keyring_from(rotated, "c"), "c")
    named = connection(K2, K1, pseudonym_key_id="prod-1")
    assert crypto.pseudonym_secret_from(named, crypto.keyring_from(named, "c"), "c") == derived


def sealed_encrypted_lake(tmp_path, ring: crypto.KeyRing):
    lake = open_lake((tmp_path / "lake").as_uri())
    paths = ["incidents/INC-1/v1/affected.parquet.enc", "state/snapshots/customer_entity/bucket-000000-aaaaaaaaaaaa.parquet.enc"]
    outputs = [lake.put(path, crypto.encrypt(path.encode(), ring, path)).as_dict() for path in paths]
    ledger.seal_run(lake, dag_id="breach_incident", run_id="r1", outputs=outputs, versions={})
    return lake, paths


def test_lake_rotate_rewraps_everything_and_the_evidence_still_verifies(tmp_path, ledger_public_key):
    lake, paths = sealed_encrypted_lake(tmp_path, crypto.KeyRing(K1))
    ring = crypto.KeyRing(K2, {"prod-1": K1})
    result = rotate(lake, ring)
    assert (result["rewrapped"], result["already_current"], result["by_key_before"]) == (2, 0, {"prod-1": 2})
    assert verify(lake, public_keys=ledger_public_key).ok
    assert all(crypto.decrypt(lake.get(p), crypto.KeyRing(K2), p) == p.encode() for p in paths)
    assert rotate(lake, crypto.KeyRing(K2))["rewrapped"] == 0
    lake.put(paths[0], crypto.encrypt(b"forged", crypto.KeyRing(K2), paths[0]))
    assert [p.kind for p in verify(lake, public_keys=ledger_public_key).problems] == ["altered"]


def test_a_rotation_interrupted_between_ledger_and_write_still_verifies_and_resumes(tmp_path, ledger_public_key, monkeypatch):
    lake, paths = sealed_encrypted_lake(tmp_path, crypto.KeyRing(K1))
    ring = crypto.KeyRing(K2, {"prod-1": K1})
    original = type(lake).put

    def crash(self, key, data, *, locked=False):
        if key in paths:
            raise OSError("worker died")
        return original(self, key, data, locked=locked)

    monkeypatch.setattr(type(lake), "put", crash)
    with pytest.raises(OSError):
        rotate(lake, ring)
    monkeypatch.setattr(type(lake), "put", original)
    assert verify(lake, public_keys=ledger_public_key).ok
    assert rotate(lake, ring)["rewrapped"] == 2 and verify(lake, public_keys=ledger_public_key).ok


def test_breachctl_lake_rotate_uses_the_configured_ring(tmp_path, monkeypatch, capsys):
    from include.lake.commands import rotate_command

    lake, _ = sealed_encrypted_lake(tmp_path, crypto.KeyRing(K1))
    lake.put("incidents/_inputs/INC-1/list.csv.enc", b"plain,text")
    secret = b64(secrets.token_bytes(32))
    info = {"conn_type": "generic", "password": b64(K2.key), "extra": {"key_id": "prod-2", "pseudonym_secret": secret}}
    info["extra"]["retired_secret_keys"] = {"prod-1": b64(K1.key)}
    monkeypatch.setenv("AIRFLOW_CONN_LAKE_ENCRYPTION", json.dumps(info))
    crypto.default_wrapper.cache_clear()
    try:
        status = rotate_command(argparse.Namespace(lake=lake.url, prefix=""))
    finally:
        monkeypatch.undo()
        crypto.default_wrapper.cache_clear()
    printed = json.loads(capsys.readouterr().out)
    assert status == 1 and printed["rewrapped"] == 2 and printed["plaintext"] == ["incidents/_inputs/INC-1/list.csv.enc"]
