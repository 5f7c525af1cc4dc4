"""The evidence ledger: per-run manifests of every output, appended to a hash-chained, append-only log in the lake.

Layout under the lake root:
- `evidence/manifests/<dag>/<run>.json`: each output's path, sha256, size, producing DAG/task/run and versions;
- `evidence/ledger/<seq>.json`: one immutable entry per manifest, audit event or retention deletion; each carries
  the previous entry's hash, so changing, removing or reordering any entry breaks the chain;
- `evidence/HEAD.json`: the latest sequence number and hash, so a ledger cut short is noticed.

On S3 every evidence object is written with Object Lock (COMPLIANCE) and SSE-KMS. Writing lives here, at the
bottom of the stack, because every domain records into it (audit events, deletions, sealed runs);
`include.evidence` verifies it and indexes it for auditors.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from include.config import load_config
from include.lake import keys
from include.lake.store import Lake, LakeError

GENESIS = "0" * 64
PCI_AUDIT_FIELDS = ("user_id", "event_type", "timestamp", "outcome", "origin", "affected_data", "component")
ENTRY_ATTEMPTS = 50


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a hash is taken over: sorted keys, no whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def now_iso() -> str:
    """UTC now, ISO 8601 seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def ledger_keys(lake: Lake) -> list[str]:
    """Every ledger entry's key, in sequence order."""
    return sorted(key for key, _ in lake.list(keys.LEDGER) if key.endswith(".json"))


def _last_entry(lake: Lake) -> dict[str, Any] | None:
    entries = ledger_keys(lake)
    return json.loads(lake.get(entries[-1])) if entries else None


def append_entry(lake: Lake, body: dict[str, Any]) -> dict[str, Any]:
    """Append one entry after the current last one; concurrent writers retry on the next sequence number."""
    for _ in range(ENTRY_ATTEMPTS):
        last = _last_entry(lake)
        entry = {
            "seq": last["seq"] + 1 if last else 0,
            "prev_hash": last["entry_hash"] if last else GENESIS,
            "recorded_at": now_iso(),
            **body,
        }
        entry["entry_hash"] = sha256(canonical(entry))
        if lake.put_if_absent(keys.ledger_entry(entry["seq"]), canonical(entry), locked=True) is not None:
            lake.put(keys.HEAD, canonical({"seq": entry["seq"], "entry_hash": entry["entry_hash"]}))
            return entry
    raise LakeError("could not append to the evidence ledger: too many concurrent writers")


def seal_run(
    lake: Lake,
    *,
    dag_id: str,
    run_id: str,
    outputs: list[dict[str, Any]],
    versions: dict[str, str],
    started_at: str | None = None,
    run_key: str | None = None,
) -> dict[str, Any]:
    """Write a run's manifest (every output with its hash) and chain it into the ledger."""
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
    key = keys.manifest(dag_id, run_key or keys.run_key(run_id))
    stored = lake.put(key, canonical(manifest), locked=True)
    return append_entry(
        lake,
        {
            "type": "manifest",
            "dag_id": dag_id,
            "run_id": run_id,
            "manifest": key,
            "manifest_sha256": stored.sha256,
            "outputs": len(manifest["outputs"]),
        },
    )


def record_audit(lake: Lake, event: dict[str, Any]) -> dict[str, Any]:
    """An audit-trail entry with the PCI DSS 10.2.2 fields (user, event, time, outcome, origin, data, component)."""
    missing = [name for name in PCI_AUDIT_FIELDS if name not in event]
    if missing:
        raise ValueError(f"audit event lacks {', '.join(missing)}")
    return append_entry(lake, {"type": "audit", "event": event})


def record_deletion(lake: Lake, paths: list[str], reason: str) -> dict[str, Any] | None:
    """Declare outputs removed on purpose (retention); verify then expects them to be gone."""
    if not paths:
        return None
    return append_entry(lake, {"type": "deletion", "paths": sorted(paths), "reason": reason})
