"""The delivery ledger: immutable per-person status events of an incident's notices, keyed by idempotency key.

Events live under `incidents/<id>/delivery/events/`, keyed by each person's idempotency key (a keyed hash, no
personal data). Before a chunk is sent, a `sending` event is written for it; after, `sent` or `failed`. A person
with any event at or past `sending` is never sent to again: if a task dies between the two, the person shows as
`unconfirmed` for reconciliation rather than risk a second notice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from include.lake import keys
from include.lake.store import Lake, StoredOutput

STATUSES = ("queued", "sending", "sent", "delivered", "bounced", "complained", "postal", "substitute", "failed", "unconfirmed")
NOTIFIED = frozenset({"sent", "delivered", "postal", "substitute"})
FINAL = frozenset({"delivered", "postal", "substitute", "complained"})
STARTED = frozenset({"sending", "sent", "delivered", "bounced", "complained", "postal", "substitute", "unconfirmed"})


@dataclass(frozen=True)
class Event:
    """One status change of one person's notice."""

    key: str
    status: str
    channel: str
    at: str
    provider_id: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without empty fields."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def now_iso() -> str:
    """UTC now."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def write_events(lake: Lake, incident_id: str, events: Iterable[Event], round_key: str) -> StoredOutput | None:
    """Append events as one new immutable object."""
    lines = [json.dumps(e.as_dict()) for e in events]
    if not lines:
        return None
    key = keys.delivery_events(incident_id, round_key, f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}")
    return lake.put(key, ("\n".join(lines) + "\n").encode()).as_dict()


def read_events(lake: Lake, incident_id: str) -> list[dict[str, Any]]:
    """Every event of an incident, in write order."""
    events: list[dict[str, Any]] = []
    for key, _ in lake.list(keys.delivery_events_prefix(incident_id)):
        events.extend(json.loads(line) for line in lake.get(key).decode().splitlines() if line)
    return sorted(events, key=lambda e: e["at"])


@dataclass
class PersonStatus:
    """Folded events of one person."""

    status: str
    channel: str
    provider_id: str | None = None
    history: list[str] = field(default_factory=list)


def fold(events: list[dict[str, Any]]) -> dict[str, PersonStatus]:
    """Current status per idempotency key; a `sending` never followed by an outcome becomes `unconfirmed`."""
    people: dict[str, PersonStatus] = {}
    for event in events:
        current = people.get(event["key"])
        if current is None:
            current = people[event["key"]] = PersonStatus(event["status"], event["channel"])
        current.history.append(event["status"])
        if current.status in FINAL and event["status"] not in ("bounced", "complained"):
            continue
        current.status, current.channel = event["status"], event["channel"]
        current.provider_id = event.get("provider_id") or current.provider_id
    return people


def settle_unconfirmed(people: dict[str, PersonStatus]) -> None:
    """Mark interrupted sends (a `sending` with no outcome) as unconfirmed."""
    for person in people.values():
        if person.status == "sending":
            person.status = "unconfirmed"


def status_counts(people: dict[str, PersonStatus]) -> dict[str, int]:
    """How many people are in each status."""
    counts = dict.fromkeys(STATUSES, 0)
    for person in people.values():
        counts[person.status] = counts.get(person.status, 0) + 1
    return counts
