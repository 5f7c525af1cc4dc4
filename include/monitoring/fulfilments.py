"""Fulfilments: regulator, agency and Attorney General notices recorded as made (`breachctl incident fulfil`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from include.lake import keys
from include.lake.ledger import record_audit, seal_run
from include.lake.store import Lake, StoredOutput


def fulfilments(lake: Lake, incident_id: str) -> dict[str, dict[str, Any]]:
    """Obligation id -> the fulfilment recorded for it (by `breachctl incident fulfil`)."""
    recorded = {}
    for key, _ in lake.list(keys.fulfilments_prefix(incident_id)):
        record = json.loads(lake.get(key))
        recorded[record["obligation"]] = record
    return recorded


def record_fulfilment(
    lake: Lake, incident_id: str, obligation: str, at: datetime, by: str, reference: str | None
) -> StoredOutput:
    """Record that a regulator or agency notice was made (and the audit entry for it)."""
    record = {
        "incident_id": incident_id,
        "obligation": obligation,
        "at": at.isoformat(timespec="seconds"),
        "by": by,
        "reference": reference,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    key = keys.fulfilment(incident_id, obligation, at)
    stored = lake.put(key, json.dumps(record, indent=2).encode()).as_dict()
    seal_run(
        lake,
        dag_id="breachctl",
        run_id=f"fulfil-{incident_id}-{obligation}-{keys.stamp(at)}",
        outputs=[dict(stored, task_id="incident fulfil")],
        versions={},
        run_key=keys.fulfilment_name(obligation, at),
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
    )
    return stored
