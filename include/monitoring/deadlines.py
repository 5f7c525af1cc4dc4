"""Deadline monitoring: every open obligation against the delivery ledger and recorded fulfilments.

Nothing counts as done before the record that proves it: an email accepted or delivered, a letter the mail house
acknowledged as mailed (not one only handed to it), a substitute notice whose posting, media notice and any
regulator step are recorded with `breachctl incident fulfil`, a filing recorded the same way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from include.incident.versions import incident_ids, latest_version
from include.lake import keys
from include.lake.store import Lake
from include.lake.tables import read_table
from include.legal.clock import apply_deadline, earliest
from include.legal.rules import load_rules
from include.monitoring.fulfilments import fulfilments
from include.notices.channels import substitute_step_id, substitute_steps
from include.notices.delivery.ledger import NOTIFIED, fold, read_events


def notified_by_jurisdiction(lake: Lake, incident_id: str) -> dict[str, dict[str, Any]]:
    """Per jurisdiction: people to notify, notified, handed to the mail house, covered by substitute notice, and when.

    Notified means accepted by the relay or SES, delivered, or posted as the mail house acknowledged; a letter
    only handed to the mail house and a substitute-notice coverage are counted apart (see individual_progress).
    """
    events = read_events(lake, incident_id)
    statuses = fold(events)
    times: dict[str, str] = {}
    for event in events:
        if event["status"] in NOTIFIED and statuses.get(event["key"]) and statuses[event["key"]].status in NOTIFIED:
            at = event.get("reported_at") or event["at"]
            times[event["key"]] = min(times.get(event["key"], at), at)
    result: dict[str, dict[str, Any]] = {}
    for key, _ in lake.list(keys.incident_prefix(incident_id) + "/"):
        if not keys.is_batch_keys(key):
            continue
        for row in read_table(lake, key, columns=["key", "jurisdiction", "already_batched"]).to_pylist():
            if row["already_batched"]:
                continue
            entry = result.setdefault(
                row["jurisdiction"],
                {"to_notify": 0, "notified": 0, "handed_over": 0, "substitute": 0, "last_notified_at": None,
                 "first_notified_at": None},
            )  # fmt: skip
            entry["to_notify"] += 1
            status = statuses.get(row["key"])
            if status and status.status in ("handed_over", "substitute"):
                entry[status.status] += 1
            if status and status.status in NOTIFIED:
                entry["notified"] += 1
                at = times.get(row["key"])
                entry["last_notified_at"] = max(filter(None, [entry["last_notified_at"], at]), default=None)
                entry["first_notified_at"] = min(filter(None, [entry["first_notified_at"], at]), default=None)
    return result


def substitute_given(jurisdiction: str, done: dict[str, dict[str, Any]]) -> tuple[str | None, list[str]]:
    """When the jurisdiction's substitute notice was complete (its last step), and the steps still missing."""
    steps = substitute_steps(jurisdiction, load_rules())
    missing = [step for step in steps if substitute_step_id(jurisdiction, step) not in done]
    if missing:
        return None, missing
    return max(done[substitute_step_id(jurisdiction, step)]["at"] for step in steps), []


def individual_progress(jurisdiction: str, counts: dict[str, Any], done: dict[str, dict[str, Any]]) -> tuple[str | None, str]:
    """When the individuals of a jurisdiction were all told (None while anyone is not), and the progress line."""
    to_notify, notified = counts.get("to_notify", 0), counts.get("notified", 0)
    progress = f"{notified} of {to_notify} notified"
    if counts.get("handed_over"):
        progress += f"; {counts['handed_over']} handed to the mail house, not yet acknowledged as mailed"
    covered, given_at = counts.get("substitute", 0), None
    if covered:
        given_at, missing = substitute_given(jurisdiction, done)
        state = "given" if given_at else f"not given until recorded: {', '.join(missing)}"
        progress += f"; {covered} covered by substitute notice ({state})"
    complete = to_notify > 0 and notified + (covered if given_at else 0) >= to_notify
    if not complete:
        return None, progress
    return max(filter(None, [counts.get("last_notified_at"), given_at if covered else None])), progress


TIED = ("before_individuals", "no_later_than_individuals", "with_individuals")


def recomputed_due(obligation: dict[str, Any], due: datetime | None, first_notice: datetime) -> datetime | None:
    """A dependent notice's due date once the first resident was notified (review error 9: the first notice, not the last).

    Before / no later than / with the residents' notice: the moment the first resident was notified (or the notice's
    own earlier deadline). After it (California's sample, Iowa's 5 business days): its period from that moment.
    """
    after = obligation.get("after_dependency") or {}
    timing = obligation.get("timing") or ("with_individuals" if after.get("days") == 0 else "after_individuals")
    if timing in TIED:
        return earliest(due, first_notice)
    zones = obligation.get("timezones") or ["UTC"]
    return apply_deadline(first_notice, after, obligation["jurisdiction"], zones)


def check_incident(lake: Lake, incident_id: str, now: datetime, warn_days: float) -> list[dict[str, Any]]:
    """Status of every required obligation of an incident's latest version."""
    version = latest_version(lake, incident_id)
    if version is None:
        return []
    document = json.loads(lake.get(keys.obligations(incident_id, version)))
    delivered = notified_by_jurisdiction(lake, incident_id)
    done = fulfilments(lake, incident_id)
    statuses: dict[str, dict[str, Any]] = {}
    for obligation in document["obligations"]:
        if not obligation["required"]:
            continue
        due = datetime.fromisoformat(obligation["due"]) if obligation["due"] else None
        met_at = None
        first_notified = None
        if obligation["recipient"] == "individuals":
            counts = delivered.get(obligation["jurisdiction"], {})
            met_at, progress = individual_progress(obligation["jurisdiction"], counts, done)
            first_notified = counts.get("first_notified_at")
        else:
            met_at = done.get(obligation["id"], {}).get("at")
            progress = "fulfilment recorded" if met_at else "no fulfilment recorded"
        dependency = statuses.get(obligation.get("depends_on") or "")
        if dependency and dependency["first_notified_at"] and obligation.get("after_dependency"):
            first = datetime.fromisoformat(dependency["first_notified_at"])
            due = recomputed_due(obligation, due, first)
            progress += f"; due recomputed from the first resident notified on {first.date().isoformat()}"
        anchor = due or (datetime.fromisoformat(obligation["not_before"]) if obligation.get("not_before") else None)
        if due is None and anchor is not None:
            progress += f"; due promptly after the law-enforcement release on {anchor.date().isoformat()}"
        days_left = (anchor - now).total_seconds() / 86400 if anchor else None
        alert = met_at is None and days_left is not None and days_left <= warn_days
        statuses[obligation["id"]] = {
            "incident_id": incident_id,
            "version": version,
            "obligation": obligation["id"],
            "recipient": obligation["recipient"],
            "jurisdiction": obligation["jurisdiction"],
            "due": due.isoformat() if due else None,
            "met_at": met_at,
            "first_notified_at": first_notified,
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
