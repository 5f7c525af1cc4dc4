"""Fulfilments: regulator, agency and Attorney General notices recorded as made (`breachctl incident fulfil`)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from include.lake import keys
from include.lake.jsondoc import load_object
from include.lake.ledger import find_manifest_entry, record_audit, seal_run, sealed_outputs, sha256, signer_keys
from include.lake.signing import Signer
from include.lake.store import Lake, StoredOutput

MAX_FULFILMENTS = 100
OBLIGATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}){0,3}")
ONE_LINE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def fulfilments(
    lake: Lake, incident_id: str, public_keys: Mapping[str, Ed25519PublicKey] | None = None
) -> dict[str, dict[str, Any]]:
    """Obligation id -> the earliest fulfilment recorded for it (by `breachctl incident fulfil`, sealed and signed by
    one of public_keys, the pipeline's trusted keys by default)."""
    recorded: dict[str, dict[str, Any]] = {}
    sealed = sealed_outputs(lake, "breachctl", public_keys)
    for key, _ in lake.list(keys.fulfilments_prefix(incident_id)):
        data = lake.get(key)
        record = load_object(data) if sealed.get(key) == sha256(data) else None
        if record is None or not isinstance(record.get("obligation"), str):
            continue
        earlier = recorded.get(record["obligation"])
        if earlier is None or str(record.get("at")) < str(earlier.get("at")):
            recorded[record["obligation"]] = record
    return recorded


def check_fulfilment(obligation: str, by: str, reference: str | None) -> None:
    """ValueError naming the field unless the obligation id, who and the reference are short single-line values."""
    if not OBLIGATION_ID.fullmatch(obligation):
        raise ValueError("obligation: use the id from obligations.json, e.g. US-CA/attorney_general_sample")
    if not ONE_LINE.fullmatch(by):
        raise ValueError("by: give who made the notice, 1-200 characters on one line")
    if reference is not None and not ONE_LINE.fullmatch(reference):
        raise ValueError("reference: 1-200 characters on one line")


def _store(lake: Lake, incident_id: str, obligation: str, at: datetime, record: dict[str, Any]) -> tuple[StoredOutput, int, bool]:
    """The record under the first free key for this moment, or the identical one already there; its attempt, and new."""
    same = {k: v for k, v in record.items() if k != "recorded_at"}
    for attempt in range(1, MAX_FULFILMENTS + 1):
        key = keys.fulfilment(incident_id, obligation, at, attempt)
        stored = lake.put_if_absent(key, json.dumps(record, indent=2).encode())
        if stored is not None:
            return stored.as_dict(), attempt, True
        data = lake.get(key)
        existing = load_object(data) or {}
        if {k: v for k, v in existing.items() if k != "recorded_at"} == same:
            return {"path": key, "sha256": sha256(data), "size": len(data)}, attempt, False
    raise ValueError(f"at: {MAX_FULFILMENTS} different fulfilments of {obligation} were recorded for this moment")


def record_fulfilment(
    lake: Lake,
    incident_id: str,
    obligation: str,
    at: datetime,
    by: str,
    reference: str | None,
    *,
    signer: Signer | None = None,
) -> StoredOutput:
    """Record that a regulator or agency notice was made (and the audit entry for it); a repeat is recorded once, and
    a repeat of a recording that crashed before it was sealed completes it."""
    check_fulfilment(obligation, by, reference)
    record = {
        "incident_id": incident_id,
        "obligation": obligation,
        "at": at.isoformat(timespec="seconds"),
        "by": by,
        "reference": reference,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    stored, attempt, new = _store(lake, incident_id, obligation, at, record)
    run_key = keys.fulfilment_name(obligation, at, attempt)
    if not new and find_manifest_entry(lake, keys.manifest("breachctl", run_key), signer_keys(signer)) is not None:
        return stored  # the same fulfilment, recorded before: recorded once
    seal_run(
        lake,
        dag_id="breachctl",
        run_id=f"fulfil-{incident_id}-{obligation}-{keys.stamp(at)}" + (f"-{attempt}" if attempt > 1 else ""),
        outputs=[dict(stored, task_id="incident fulfil")],
        versions={},
        run_key=run_key,
        signer=signer,
    )
    record_audit(
        lake,
        {
            "user_id": by,
            "event_type": "obligation_fulfilled",
            "timestamp": record["recorded_at"],
            "outcome": "success",
            "origin": "breachctl incident fulfil",
            "affected_data": f"incident {incident_id} obligation {obligation}",
            "component": "breachctl",
        },
        signer=signer,
    )
    return stored
