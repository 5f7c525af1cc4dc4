"""The evidence ledger: per-run manifests of every output, appended to a signed, hash-chained, append-only log in the lake.

Layout under the lake root:
- `evidence/manifests/<dag>/<run>.json`: each output's path, sha256, size, producing DAG/task/run and versions; a
  re-seal of a run with the same content is recognised and recorded once, with other content it gets
  `<run>.seal-2.json` (a manifest is never overwritten);
- `evidence/ledger/<seq>.json`: one immutable entry per manifest, audit event, retention deletion or key re-wrap;
  each carries the previous entry's hash and an Ed25519 signature by the key in the `evidence_signing`
  connection, so changing, removing, reordering or adding an entry without that key is caught;
- `evidence/HEAD.json`: the latest sequence number and hash, so a ledger cut short is noticed; on S3 every version
  of it is kept under Object Lock, so an earlier head can be checked against the chain.

Appends are serialised by a lease (`state/leases/evidence-ledger/`), and the head only ever moves forward: a
writer that finds newer entries after writing the head moves it to the newest one. Writing lives here, at the
bottom of the stack, because every domain records into it; `include.evidence` verifies it and indexes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from include.config import load_config
from include.lake import keys
from include.lake.jsondoc import load_object
from include.lake.lease import holding
from include.lake.signing import Signer, default_signer, keyring, signature_problem, trusted_keys
from include.lake.store import Lake, LakeError

GENESIS = "0" * 64
PCI_AUDIT_FIELDS = ("user_id", "event_type", "timestamp", "outcome", "origin", "affected_data", "component")
ENTRY_ATTEMPTS = 50
HEAD_CATCH_UP = 20
LEASE_TTL = timedelta(seconds=60)
LEASE_WAIT = 300.0
UNHASHED = ("entry_hash", "signature")
MAX_SEALS = 1000


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a hash is taken over: sorted keys, no whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def now_iso() -> str:
    """UTC now, ISO 8601 seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash an entry must carry: over everything but the hash and the signature."""
    return sha256(canonical({k: v for k, v in entry.items() if k not in UNHASHED}))


def signed_bytes(entry: dict[str, Any]) -> bytes:
    """What the signature covers: the entry with its hash, without the signature."""
    return canonical({k: v for k, v in entry.items() if k != "signature"})


def ledger_keys(lake: Lake) -> list[str]:
    """Every ledger entry's key, in sequence order."""
    return sorted(key for key, _ in lake.list(keys.LEDGER) if key.endswith(".json"))


def authentic(entry: dict[str, Any], public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
    """True when an entry carries its own hash and a valid signature by one of the keys."""
    if entry_hash(entry) != entry.get("entry_hash"):
        return False
    return signature_problem(public_keys, signed_bytes(entry), entry.get("signature")) is None


def verified_entries(lake: Lake, public_keys: Mapping[str, Ed25519PublicKey] | None = None) -> Iterator[dict[str, Any]]:
    """Ledger entries in sequence order that the pipeline signed (the trusted keys by default); the rest are skipped."""
    public_keys = trusted_keys() if public_keys is None else public_keys
    for key in ledger_keys(lake):
        entry = load_object(lake.get(key))
        if entry is not None and authentic(entry, public_keys):
            yield entry


def sealed_outputs(lake: Lake, dag_id: str, public_keys: Mapping[str, Ed25519PublicKey] | None = None) -> dict[str, str]:
    """Path -> sha256 of every output listed by a manifest of dag_id that a signed entry chained with its hash."""
    sealed: dict[str, str] = {}
    for entry in verified_entries(lake, public_keys):
        if entry.get("type") != "manifest" or entry.get("dag_id") != dag_id or not lake.exists(str(entry.get("manifest"))):
            continue
        data = lake.get(entry["manifest"])
        manifest = load_object(data) if sha256(data) == entry.get("manifest_sha256") else None
        for output in (manifest or {}).get("outputs", []):
            sealed[str(output.get("path"))] = str(output.get("sha256"))
    return sealed


def read_head(lake: Lake) -> dict[str, Any] | None:
    """HEAD.json, or None when absent or unreadable."""
    return load_object(lake.get(keys.HEAD)) if lake.exists(keys.HEAD) else None


def _last_entry(lake: Lake) -> dict[str, Any] | None:
    """The newest entry: from the head forward when the head is sound, else by listing the whole ledger."""
    head = read_head(lake)
    seq = head.get("seq") if head else None
    if isinstance(seq, int) and seq >= 0 and lake.exists(keys.ledger_entry(seq)):
        while lake.exists(keys.ledger_entry(seq + 1)):
            seq += 1
        return load_object(lake.get(keys.ledger_entry(seq)))
    entries = ledger_keys(lake)
    return load_object(lake.get(entries[-1])) if entries else None


def _head_document(entry: dict[str, Any]) -> bytes:
    return canonical({"seq": entry["seq"], "entry_hash": entry["entry_hash"]})


def _advance_head(lake: Lake, written: dict[str, Any]) -> None:
    """Write the head for our entry, then move it to any newer entry (a writer that stalled never leaves it behind)."""
    lake.put(keys.HEAD, _head_document(written), locked=True)
    for _ in range(HEAD_CATCH_UP):
        newest = _last_entry(lake)
        if newest is None or newest.get("seq", -1) <= written["seq"]:
            return
        lake.put(keys.HEAD, _head_document(newest), locked=True)
        written = newest


def _append(lake: Lake, body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    for _ in range(ENTRY_ATTEMPTS):
        last = _last_entry(lake)
        entry = {
            "seq": last["seq"] + 1 if last else 0,
            "prev_hash": last["entry_hash"] if last else GENESIS,
            "recorded_at": now_iso(),
            **body,
        }
        entry["entry_hash"] = entry_hash(entry)
        entry["signature"] = signer.sign(signed_bytes(entry))
        if lake.put_if_absent(keys.ledger_entry(entry["seq"]), canonical(entry), locked=True) is not None:
            _advance_head(lake, entry)
            return entry
    raise LakeError("could not append to the evidence ledger: too many concurrent writers")


def append_entry(lake: Lake, body: dict[str, Any], *, signer: Signer | None = None) -> dict[str, Any]:
    """Append one signed entry after the current last one, as the only writer (the ledger lease)."""
    signer = signer or default_signer()
    with holding(lake, keys.LEDGER_LEASE, ttl=LEASE_TTL, wait=LEASE_WAIT, poll=0.05):
        return _append(lake, body, signer)


def _identity(manifest: dict[str, Any]) -> bytes:
    """What makes two manifests of a run the same seal (everything but when it was sealed)."""
    outputs = [{k: v for k, v in o.items() if k != "created_at"} for o in manifest.get("outputs", []) if isinstance(o, dict)]
    return canonical({**{k: v for k, v in manifest.items() if k != "sealed_at"}, "outputs": outputs})


def signer_keys(signer: Signer | None) -> Mapping[str, Ed25519PublicKey]:
    """The keys a writer recognises its own entries by: its signer's, or the pipeline's trusted keys."""
    return keyring([signer.private.public_key()]) if signer else trusted_keys()


def find_manifest_entry(
    lake: Lake, manifest_key: str, public_keys: Mapping[str, Ed25519PublicKey] | None = None
) -> dict[str, Any] | None:
    """The signed ledger entry that chained a manifest, searching from the newest entry back."""
    public_keys = trusted_keys() if public_keys is None else public_keys
    last = _last_entry(lake)
    for seq in range(last["seq"] if last else -1, -1, -1):
        key = keys.ledger_entry(seq)
        entry = load_object(lake.get(key)) if lake.exists(key) else None
        if entry and entry.get("type") == "manifest" and entry.get("manifest") == manifest_key and authentic(entry, public_keys):
            return entry
    return None


def _chain_manifest(lake: Lake, key: str, data: bytes, manifest: dict[str, Any], signer: Signer | None) -> dict[str, Any]:
    body = {
        "type": "manifest",
        "dag_id": manifest["dag_id"],
        "run_id": manifest["run_id"],
        "manifest": key,
        "manifest_sha256": sha256(data),
        "outputs": len(manifest["outputs"]),
        "removed": len(manifest.get("removed", [])),
    }
    return append_entry(lake, body, signer=signer)


def _store_manifest(lake: Lake, dag_id: str, run_slug: str, manifest: dict[str, Any], signer: Signer | None) -> dict[str, Any]:
    """Put the manifest under the first free key of the run, or recognise an identical earlier seal (recorded once)."""
    data = canonical(manifest)
    for attempt in range(1, MAX_SEALS + 1):
        key = keys.manifest(dag_id, run_slug, attempt)
        if lake.put_if_absent(key, data, locked=True) is not None:
            return _chain_manifest(lake, key, data, manifest, signer)
        existing_data = lake.get(key)
        existing = load_object(existing_data)
        if existing is not None and _identity(existing) == _identity(manifest):
            entry = find_manifest_entry(lake, key, signer_keys(signer))
            return entry or _chain_manifest(lake, key, existing_data, existing, signer)
    raise LakeError(f"run {run_slug} of {dag_id} was sealed {MAX_SEALS} times with different content")


def seal_run(
    lake: Lake,
    *,
    dag_id: str,
    run_id: str,
    outputs: list[dict[str, Any]],
    versions: dict[str, str],
    started_at: str | None = None,
    run_key: str | None = None,
    removed: list[str] | None = None,
    signer: Signer | None = None,
) -> dict[str, Any]:
    """Write a run's manifest (every output with its hash, every object it removed) and chain it into the ledger."""
    sealed_at = now_iso()
    unique = {o["path"]: o for o in outputs}
    manifest: dict[str, Any] = {
        "dag_id": dag_id,
        "run_id": run_id,
        "code_version": load_config().code_version,
        "versions": versions,
        "started_at": started_at,
        "sealed_at": sealed_at,
        "outputs": [
            {
                "path": o["path"],
                "sha256": o["sha256"],
                "size": o["size"],
                "dag_id": dag_id,
                "task_id": o.get("task_id"),
                "run_id": run_id,
                "created_at": o.get("created_at", sealed_at),
            }
            for o in sorted(unique.values(), key=lambda o: o["path"])
        ],
    }
    if removed:
        manifest["removed"] = sorted(set(removed))
    return _store_manifest(lake, dag_id, run_key or keys.run_key(run_id), manifest, signer)


def record_audit(lake: Lake, event: dict[str, Any], *, signer: Signer | None = None) -> dict[str, Any]:
    """An audit-trail entry with the PCI DSS 10.2.2 fields (user, event, time, outcome, origin, data, component)."""
    missing = [name for name in PCI_AUDIT_FIELDS if name not in event]
    if missing:
        raise ValueError(f"audit event lacks {', '.join(missing)}")
    return append_entry(lake, {"type": "audit", "event": event}, signer=signer)


def record_deletion(lake: Lake, paths: list[str], reason: str) -> dict[str, Any] | None:
    """Declare outputs removed on purpose (retention); verify then expects them to be gone."""
    if not paths:
        return None
    return append_entry(lake, {"type": "deletion", "paths": sorted(paths), "reason": reason})


def record_rewrap(lake: Lake, changes: list[dict[str, Any]], key_id: str) -> dict[str, Any] | None:
    """Declare objects re-wrapped under a new master key: each path's hash changes from `from_sha256` to `sha256`."""
    if not changes:
        return None
    return append_entry(lake, {"type": "rewrap", "key_id": key_id, "objects": sorted(changes, key=lambda c: c["path"])})
