"""Triage of a suspected incident: what the person deciding sees, their recorded decision, and a confirmed incident.

The decision (Confirm breach, False positive, Needs investigation, with a reason) is written once to
`detections/triage/<suspect>.json` and to the audit ledger. A confirmation becomes the conf of a breach_incident
run: `discovered_at` is the earliest evidence, the compromised tables come from the category, and the scope is
the one the detection implies (orders placed while a skimmer was present; the customers an enumerating client
read, from the access log; otherwise every row of the compromised tables).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypedDict

from include.detection.suspects import first_evidence_time, load_suspect, suspect_ids
from include.lake import keys
from include.lake.ledger import record_audit
from include.lake.store import Lake, open_lake
from include.legal.inputs import canonical_incident_id

OPTIONS = ("Confirm breach", "False positive", "Needs investigation")
DAG_ID = "breach_triage"


class TriageCase(TypedDict):
    """What the HITL request shows (no personal data)."""

    suspect_id: str
    subject: str
    body: str


class TriageRecord(TypedDict):
    """A recorded triage decision, and the breach_incident conf when it confirms a breach."""

    suspect_id: str
    decision: str
    by: str
    reason: str
    decided_at: str
    incident_conf: dict[str, Any] | None


def known_suspect(lake: Lake, suspect_id: str) -> dict[str, Any]:
    """The suspected incident, or ValueError naming the field when the id is not one."""
    if suspect_id not in suspect_ids(lake):
        raise ValueError(f"invalid triage: suspect_id: no suspected incident {suspect_id[:40]!r}")
    return load_suspect(lake, suspect_id)


def _evidence_lines(suspect: dict[str, Any]) -> list[str]:
    lines = []
    for item in suspect.get("evidence", []):
        if item.get("log_file"):
            lines.append(f"- log `{item['log_file']}`: {len(item.get('line_numbers', []))} line(s)")
        elif item.get("table"):
            keys_ = ", ".join(str(k) for k in item.get("primary_keys", [])[:20])
            lines.append(f"- table `{item['table']}`: primary key(s) {keys_}")
        if item.get("reference"):
            lines.append(f"  ({item['reference']})")
    return lines


def triage_case(suspect_id: str, *, lake: Lake | None = None) -> TriageCase:
    """Subject and Markdown body of the triage request."""
    suspect = known_suspect(lake or open_lake(), suspect_id)
    conf = incident_conf(suspect, datetime.now(UTC))
    body = "\n".join(
        [
            f"**{suspect['title']}** ({suspect['category']}, level {suspect['level']})",
            "",
            f"Seen {suspect['count']} time(s) from {suspect['first_seen']} to {suspect['last_seen']}.",
            "",
            "Evidence:",
            *_evidence_lines(suspect),
            "",
            f"*Confirm breach* starts `breach_incident` {conf['incident_id']} with discovered_at {conf['discovered_at']},"
            f" tables {', '.join(conf['compromised_tables'])} and scope `{conf['scope_kind']}`.",
        ]
    )
    return {"suspect_id": suspect_id, "subject": f"Triage {suspect_id}: {suspect['title']}", "body": body}


def incident_conf(suspect: dict[str, Any], decided_at: datetime) -> dict[str, Any]:
    """The breach_incident conf a confirmation starts (validated again by breach_incident's first task)."""
    discovered = first_evidence_time(suspect)
    conf: dict[str, Any] = {
        "incident_id": canonical_incident_id(f"INC-{suspect['id']}"),
        "discovered_at": discovered.isoformat(),
        "breach_start": discovered.isoformat(),
        "breach_end": str(suspect["last_seen"]),
        "compromised_tables": list(suspect.get("compromised_tables") or []),
        "scope_kind": "all_rows",
        "notes": f"Confirmed in triage of suspected incident {suspect['id']} ({suspect.get('rule_id') or suspect['category']}).",
    }
    logs = [item["log_file"] for item in suspect.get("evidence", []) if item.get("log_file")]
    if suspect["category"] == "skimmer_injection" and not logs:
        end = max(decided_at, datetime.fromisoformat(str(suspect["last_seen"])))
        conf.update(
            scope_kind="orders_window",
            window_start=discovered.isoformat(),
            window_end=end.isoformat(),
            breach_end=end.isoformat(),
        )
    elif suspect["category"] == "customer_enumeration" and logs and suspect.get("client"):
        conf.update(scope_kind="access_log", access_log=logs[0], access_log_client=suspect["client"])
    return conf


def record_triage(suspect_id: str, response: dict[str, Any] | None, run_id: str, *, lake: Lake | None = None) -> TriageRecord:
    """Record the decision once (a rerun returns the first one) and put it in the audit ledger."""
    lake = lake or open_lake()
    key = keys.triage_decision(suspect_id)
    if lake.exists(key):
        return TriageRecord(**json.loads(lake.get(key)))  # type: ignore[typeddict-item]
    suspect = known_suspect(lake, suspect_id)
    response = response or {}
    chosen = (response.get("chosen_options") or ["Needs investigation"])[0]
    if chosen not in OPTIONS:
        raise ValueError(f"invalid triage: chosen_options: {str(chosen)[:40]!r} is not one of {', '.join(OPTIONS)}")
    responder = response.get("responded_by_user") or {}
    by = str(responder.get("name") or responder.get("id") or "unknown")
    reason = str((response.get("params_input") or {}).get("reason") or "")[:1000]
    now = datetime.now(UTC)
    record: TriageRecord = {
        "suspect_id": suspect_id,
        "decision": chosen,
        "by": by,
        "reason": reason,
        "decided_at": now.isoformat(timespec="seconds"),
        "incident_conf": incident_conf(suspect, now) if chosen == "Confirm breach" else None,
    }
    lake.put_if_absent(key, json.dumps(record, indent=1).encode())
    record_audit(
        lake,
        {
            "user_id": by,
            "event_type": "suspected_incident_triaged",
            "timestamp": record["decided_at"],
            "outcome": chosen,
            "origin": f"airflow {DAG_ID} run {run_id}",
            "affected_data": f"suspected incident {suspect_id} ({suspect['category']})",
            "component": f"{DAG_ID} DAG",
            "parameters": {"reason_present": bool(reason), "incident_id": (record["incident_conf"] or {}).get("incident_id")},
        },
    )
    return record
