"""Legal approval of a version's notices: the Airflow human-in-the-loop answer, normalised and put in the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypedDict

from include.incident.trigger import IncidentTrigger
from include.lake.ledger import record_audit
from include.lake.store import Lake, open_lake

DAG_ID = "breach_incident"
APPROVE, REJECT = "Approve", "Reject"


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
