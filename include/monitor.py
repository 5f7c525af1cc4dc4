"""Deadline monitoring: every open obligation against the delivery ledger and recorded fulfilments."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq

from include.lake import Lake
from include.notices.delivery import NOTIFIED, fold, read_events
from include.obligations import apply_deadline


def incident_ids(lake: Lake) -> list[str]:
    """Incidents that have at least one resolved version."""
    ids = {key.split("/")[2] for key, _ in lake.list("state/incidents/") if key.endswith("/versions.json")}
    return sorted(ids)


def latest_version(lake: Lake, incident_id: str) -> int | None:
    """Newest version number of an incident."""
    key = f"state/incidents/{incident_id}/versions.json"
    if not lake.exists(key):
        return None
    versions = json.loads(lake.get(key))["versions"]
    return versions[-1]["version"] if versions else None


def fulfilments(lake: Lake, incident_id: str) -> dict[str, dict[str, Any]]:
    """Obligation id -> the fulfilment recorded for it (by `breachctl incident fulfil`)."""
    recorded = {}
    for key, _ in lake.list(f"incidents/{incident_id}/fulfilments/"):
        record = json.loads(lake.get(key))
        recorded[record["obligation"]] = record
    return recorded


def notified_by_jurisdiction(lake: Lake, incident_id: str) -> dict[str, dict[str, Any]]:
    """Per jurisdiction: people to notify, people notified, and when the last of them was notified."""
    statuses = fold(read_events(lake, incident_id))
    times: dict[str, str] = {}
    for event in read_events(lake, incident_id):
        if event["status"] in NOTIFIED:
            times[event["key"]] = max(times.get(event["key"], ""), event["at"])
    result: dict[str, dict[str, Any]] = {}
    for key, _ in lake.list(f"incidents/{incident_id}/"):
        if not key.endswith("/batches/keys.parquet"):
            continue
        table = pq.read_table(io.BytesIO(lake.get(key)), columns=["key", "jurisdiction", "already_batched"]).to_pylist()
        for row in table:
            if row["already_batched"]:
                continue
            entry = result.setdefault(
                row["jurisdiction"], {"to_notify": 0, "notified": 0, "last_notified_at": None, "first_notified_at": None}
            )
            entry["to_notify"] += 1
            status = statuses.get(row["key"])
            if status and status.status in NOTIFIED:
                entry["notified"] += 1
                at = times.get(row["key"])
                entry["last_notified_at"] = max(filter(None, [entry["last_notified_at"], at]), default=None)
                entry["first_notified_at"] = min(filter(None, [entry["first_notified_at"], at]), default=None)
    return result


def check_incident(lake: Lake, incident_id: str, now: datetime, warn_days: float) -> list[dict[str, Any]]:
    """Status of every required obligation of an incident's latest version."""
    version = latest_version(lake, incident_id)
    if version is None:
        return []
    document = json.loads(lake.get(f"incidents/{incident_id}/v{version}/obligations.json"))
    delivered = notified_by_jurisdiction(lake, incident_id)
    done = fulfilments(lake, incident_id)
    statuses: dict[str, dict[str, Any]] = {}
    for obligation in document["obligations"]:
        if not obligation["required"]:
            continue
        due = datetime.fromisoformat(obligation["due"]) if obligation["due"] else None
        met_at = None
        if obligation["recipient"] == "individuals":
            counts = delivered.get(obligation["jurisdiction"], {})
            complete = counts.get("to_notify", 0) > 0 and counts["notified"] >= counts["to_notify"]
            met_at = counts.get("last_notified_at") if complete else None
            progress = f"{counts.get('notified', 0)} of {counts.get('to_notify', 0)} notified"
        else:
            met_at = done.get(obligation["id"], {}).get("at")
            progress = "fulfilment recorded" if met_at else "no fulfilment recorded"
        dependency = statuses.get(obligation.get("depends_on") or "")
        if dependency and dependency["met_at"] and obligation.get("after_dependency"):
            actual = datetime.fromisoformat(dependency["met_at"])
            due = apply_deadline(actual, obligation["after_dependency"], obligation["jurisdiction"])
            progress += f"; due recomputed from the actual notice date {actual.date().isoformat()}"
        days_left = (due - now).total_seconds() / 86400 if due else None
        alert = met_at is None and days_left is not None and days_left <= warn_days
        statuses[obligation["id"]] = {
            "incident_id": incident_id,
            "version": version,
            "obligation": obligation["id"],
            "recipient": obligation["recipient"],
            "jurisdiction": obligation["jurisdiction"],
            "due": due.isoformat() if due else None,
            "met_at": met_at,
            "days_left": None if days_left is None else round(days_left, 2),
            "progress": progress,
            "alert": alert,
            "overdue": bool(met_at is None and days_left is not None and days_left < 0),
            "needs_legal_review": obligation["needs_legal_review"],
        }
    return list(statuses.values())


def check_all(lake: Lake, now: datetime | None = None, warn_days: float = 3) -> dict[str, Any]:
    """Every open obligation of every incident, and the alerts among them."""
    now = now or datetime.now(UTC)
    rows = [row for incident in incident_ids(lake) for row in check_incident(lake, incident, now, warn_days)]
    return {
        "checked_at": now.isoformat(timespec="seconds"),
        "warn_days": warn_days,
        "obligations": rows,
        "alerts": [r for r in rows if r["alert"]],
    }


def record_fulfilment(
    lake: Lake, incident_id: str, obligation: str, at: datetime, by: str, reference: str | None
) -> dict[str, Any]:
    """Record that a regulator or agency notice was made (and the audit entry for it)."""
    from include.evidence import record_audit, seal_run

    record = {
        "incident_id": incident_id,
        "obligation": obligation,
        "at": at.isoformat(timespec="seconds"),
        "by": by,
        "reference": reference,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    key = f"incidents/{incident_id}/fulfilments/{obligation.replace('/', '__')}-{at.strftime('%Y%m%dT%H%M%S')}.json"
    stored = lake.put(key, json.dumps(record, indent=2).encode()).as_dict()
    seal_run(
        lake,
        dag_id="breachctl",
        run_id=f"fulfil-{incident_id}-{obligation}-{at.strftime('%Y%m%dT%H%M%S')}",
        outputs=[dict(stored, task_id="incident fulfil")],
        versions={},
        run_key=key.rsplit("/", 1)[1].removesuffix(".json"),
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
