"""Where an incident's notices stand, and the operator's resolution of the ones no provider could confirm.

`breachctl notices status` prints the per-status counts, the unresolved notices (notice keys, channel and the
Message-ID or outbox id to look up in the relay's or mail house's log; never an address or a name), quarantined
batch records and unrouted provider events. `breachctl notices reconcile` resolves unconfirmed notices with a
recorded reason: `sent` when the relay's log shows the message, `not-sent` to release it for the next round.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypedDict

from include.config import UsageError
from include.lake import keys
from include.lake.lease import Lease
from include.lake.ledger import record_audit, seal_run
from include.lake.store import Lake, StoredOutput
from include.notices.delivery.events import unrouted_count
from include.notices.delivery.ledger import Event, fold, now_iso, read_events, settle_unconfirmed, status_counts, write_events

Outcome = Literal["sent", "not-sent"]


class UnresolvedNotice(TypedDict):
    """One notice whose outcome nobody knows (ids only)."""

    key: str
    channel: str
    message_id: str | None
    since: str | None


class DeliveryStatus(TypedDict):
    """What `notices status` prints (counts and ids only)."""

    incident_id: str
    status: dict[str, int]
    unresolved: list[UnresolvedNotice]
    deferred: int
    quarantined: list[dict[str, Any]]
    unrouted_events: int


def quarantined_records(lake: Lake, incident_id: str) -> list[dict[str, Any]]:
    """Every batch record a round could not use (object key, line number, reason), each once."""
    prefix = keys.delivery_quarantine(incident_id, "x").rsplit("/", 1)[0] + "/"
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for key, _ in lake.list(prefix):
        for record in json.loads(lake.get(key)).get("records", []):
            found[(record["object"], record["line"])] = record
    return sorted(found.values(), key=lambda r: (r["object"], r["line"]))


def delivery_status(lake: Lake, incident_id: str) -> DeliveryStatus:
    """Per-status counts, the unresolved notices, quarantined records and unrouted events of one incident."""
    people = fold(read_events(lake, incident_id))
    settle_unconfirmed(people)
    unresolved: list[UnresolvedNotice] = [
        {"key": key, "channel": person.channel, "message_id": person.provider_id, "since": person.at}
        for key, person in sorted(people.items())
        if person.status == "unconfirmed"
    ]
    counts = status_counts(people)
    return {
        "incident_id": incident_id,
        "status": counts,
        "unresolved": unresolved,
        "deferred": counts.get("deferred", 0),
        "quarantined": quarantined_records(lake, incident_id),
        "unrouted_events": unrouted_count(lake),
    }


def status_text(status: DeliveryStatus) -> str:
    """The human-readable form of delivery_status."""
    lines = [f"incident {status['incident_id']}"]
    lines += [f"  {name:<12} {count}" for name, count in status["status"].items() if count]
    lines.append(f"unresolved (unconfirmed): {len(status['unresolved'])}")
    lines += [f"  {u['key']}  {u['channel']}  {u['message_id'] or '-'}  since {u['since'] or '?'}" for u in status["unresolved"]]
    lines.append(f"quarantined batch records: {len(status['quarantined'])}")
    lines += [f"  {q['object']} line {q['line']}: {q['reason']}" for q in status["quarantined"]]
    lines.append(f"unrouted provider events (all incidents): {status['unrouted_events']}")
    return "\n".join(lines)


def reconcile(
    lake: Lake,
    incident_id: str,
    notice_keys: list[str] | None,
    outcome: Outcome,
    reason: str,
    by: str,
    *,
    wait: float = 30.0,
) -> StoredOutput:
    """Resolve unconfirmed notices (all of them when notice_keys is None) with a recorded reason; bad input changes nothing."""
    if not reason.strip():
        raise UsageError("reason: say why (what the relay's or mail house's log showed)")
    lease = Lease(lake, keys.delivery_lease(incident_id), ttl=timedelta(seconds=120))
    lease.acquire(wait=wait, poll=1.0)
    try:
        people = fold(read_events(lake, incident_id))
        settle_unconfirmed(people)
        chosen = sorted(k for k, p in people.items() if p.status == "unconfirmed") if notice_keys is None else notice_keys
        wrong = [key for key in chosen if key not in people or people[key].status != "unconfirmed"]
        if wrong:
            raise UsageError(f"key: {wrong[0]} is not an unconfirmed notice of incident {incident_id}")
        if not chosen:
            raise UsageError(f"key: incident {incident_id} has no unconfirmed notices")
        detail = f"reconciled by {by}: {reason.strip()}"[:200]
        status = "sent" if outcome == "sent" else "released"
        events = [Event(k, status, people[k].channel, now_iso(), people[k].provider_id, detail) for k in chosen]
        stored = write_events(lake, incident_id, events, f"reconcile-{keys.stamp(datetime.now(UTC))}")
    finally:
        lease.release()
    if stored is None:
        raise UsageError("key: nothing to reconcile")
    seal_run(
        lake,
        dag_id="breachctl",
        run_id=f"reconcile-{incident_id}-{stored['path'].rsplit('/', 1)[-1]}",
        outputs=[dict(stored, task_id="notices reconcile")],
        versions={},
        run_key=f"reconcile-{incident_id}-{stored['path'].rsplit('/', 1)[-1].removesuffix('.jsonl')}",
    )
    record_audit(
        lake,
        {
            "user_id": by,
            "event_type": "notices_reconciled",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "outcome": "success",
            "origin": "breachctl notices reconcile",
            "affected_data": f"incident {incident_id}: {len(chosen)} unconfirmed notices marked {outcome}",
            "component": "breachctl",
        },
    )
    return stored
