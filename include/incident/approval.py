"""Legal approval of a version's notices: the Airflow human-in-the-loop answer, normalised and put in the audit trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, TypedDict

from include.incident.trigger import IncidentTrigger
from include.lake.ledger import record_audit, verified_entries
from include.lake.store import Lake, open_lake

DAG_ID = "breach_incident"
APPROVE, REJECT = "Approve", "Reject"
APPROVED_DATA = re.compile(r"incident (?P<incident>[A-Za-z0-9._-]+) v(?P<version>[0-9]+) notices")


class ApprovalRecord(TypedDict):
    """Who decided, when, what, and why (the reason field of the form)."""

    approved: bool
    option: str
    by: str | None
    by_id: str | None
    at: str | None
    reason: str


def approval_record(decision: dict[str, Any] | None) -> ApprovalRecord:
    """Normalise the HITL answer: who, when, what, and why (the reason field of the form)."""
    if not decision:
        return {"approved": False, "option": "", "by": None, "by_id": None, "at": None, "reason": "no response recorded"}
    responder = decision.get("responded_by_user") or {}
    chosen = (decision.get("chosen_options") or [""])[0]
    responded_at = decision.get("responded_at")
    return {
        "approved": chosen == APPROVE,
        "option": chosen,
        "by": responder.get("name") or responder.get("id"),
        "by_id": responder.get("id"),
        "at": responded_at.isoformat() if isinstance(responded_at, datetime) else responded_at,
        "reason": str((decision.get("params_input") or {}).get("reason") or "")[:500],
    }


def record_decision(
    trigger: IncidentTrigger, version: int, decision: dict[str, Any] | None, run_id: str, *, lake: Lake | None = None
) -> ApprovalRecord:
    """The approval or rejection of a version's notices, in the audit trail."""
    record = approval_record(decision)
    record_audit(
        lake or open_lake(),
        {
            "user_id": record["by"] or "unknown",
            "event_type": "notices_approved" if record["approved"] else "notices_rejected",
            "timestamp": record["at"] or datetime.now(UTC).isoformat(timespec="seconds"),
            "outcome": "success" if record["approved"] else "failure",
            "origin": f"Airflow human-in-the-loop response, run {run_id}",
            "affected_data": f"incident {trigger.incident_id} v{version} notices",
            "component": f"{DAG_ID}.legal_approval",
            "reason": record["reason"],
        },
    )
    return record


def _decision_of(entry: dict[str, Any], incident_id: str, version: int) -> bool | None:
    """True/False when a ledger entry is the legal decision on this version's notices, None when it is something else."""
    event = entry.get("event") or {}
    if entry.get("type") != "audit" or event.get("component") != f"{DAG_ID}.legal_approval":
        return None
    if event.get("affected_data") != f"incident {incident_id} v{version} notices":
        return None
    if event.get("event_type") not in ("notices_approved", "notices_rejected"):
        return None
    return event["event_type"] == "notices_approved" and event.get("outcome") == "success"


def approved_versions(lake: Lake, incident_id: str) -> list[int]:
    """Versions of an incident whose latest signed legal decision in the ledger is an approval (read, not asked)."""
    latest: dict[int, bool] = {}
    for entry in verified_entries(lake):
        data = str((entry.get("event") or {}).get("affected_data") or "")
        match = APPROVED_DATA.fullmatch(data)
        if match and match["incident"] == incident_id:
            version = int(match["version"])
            decision = _decision_of(entry, incident_id, version)
            if decision is not None:
                latest[version] = decision
    return sorted(v for v, approved in latest.items() if approved)


def is_approved(lake: Lake, incident_id: str, version: int) -> bool:
    """True when legal's latest recorded decision on version N of the incident is an approval."""
    return version in approved_versions(lake, incident_id)
