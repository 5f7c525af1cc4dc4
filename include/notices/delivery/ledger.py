"""The delivery ledger: immutable per-person status events of an incident's notices, keyed by idempotency key.

Events live under `incidents/<id>/delivery/events/`, keyed by each person's idempotency key (a keyed hash, no
personal data). A round writes one journal entry (`state/delivery/incidents/<id>/journal/`) before each message:
the outcome of the previous message and the `sending` of the next. So `sending` covers one message, and a crash
leaves at most that one uncertain (`unconfirmed`, listed for reconciliation); at each chunk's end the journal is
compacted into one events object. A person with any event at or past `sending` is never sent to again, unless
the outcome says the message was certainly not accepted (`deferred`) or an operator released it (`released`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from include.lake import keys
from include.lake.store import Lake, LakeError, StoredOutput

STATUSES = (
    "sending",
    "sent",
    "delivered",
    "handed_over",
    "mailed",
    "bounced",
    "returned",
    "complained",
    "failed",
    "deferred",
    "released",
    "substitute",
    "unconfirmed",
)
# Told, as far as anyone can know: accepted by the relay or SES, delivered, posted by the mail house (acknowledged).
NOTIFIED = frozenset({"sent", "delivered", "mailed", "complained"})
# Substitute notice counts only once its posting, media notice and regulator steps are recorded (monitoring).
COVERED = frozenset({"substitute"})
# Not reached on this channel: email bounced or refused, letter returned. Email falls back to post, post to substitute.
UNREACHED = frozenset({"bounced", "failed", "returned"})
# Certainly not sent: the next round may try again (after retry_at for deferred ones).
RETRYABLE = frozenset({"deferred", "released"})
# What providers report about a message already handed over; they apply to the person's current message only.
PROVIDER = frozenset({"delivered", "bounced", "complained", "mailed", "returned"})
# Older ledgers called a letter handed to the outbox `postal`.
LEGACY = {"postal": "handed_over"}
_clock_lock = threading.Lock()
_last_at = [""]


@dataclass(frozen=True)
class Event:
    """One status change of one person's notice."""

    key: str
    status: str
    channel: str
    at: str
    provider_id: str | None = None
    detail: str | None = None
    retry_at: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    reported_at: str | None = None  # when the provider says it happened (a letter's mailing date)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without empty fields."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def now_iso() -> str:
    """UTC now, strictly increasing within the process (so events written in one millisecond keep their order)."""
    with _clock_lock:
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        if at <= _last_at[0]:
            at = (datetime.fromisoformat(_last_at[0]) + timedelta(microseconds=1)).isoformat(timespec="microseconds")
        _last_at[0] = at
        return at


def encode_events(events: Iterable[Event | dict[str, Any]]) -> bytes:
    """JSON lines, ASCII only (no value can split a line)."""
    lines = [json.dumps(e.as_dict() if isinstance(e, Event) else e, ensure_ascii=True) for e in events]
    return ("\n".join(lines) + "\n").encode() if lines else b""


def decode_events(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """Events of one object, and how many lines were unreadable (skipped, counted)."""
    events, bad = [], 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(event, dict) and isinstance(event.get("key"), str) and isinstance(event.get("status"), str):
            events.append(event)
        else:
            bad += 1
    return events, bad


def write_events(lake: Lake, incident_id: str, events: Iterable[Event | dict[str, Any]], round_key: str) -> StoredOutput | None:
    """Append events as one new immutable object."""
    body = encode_events(events)
    if not body:
        return None
    key = keys.delivery_events(incident_id, round_key, f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}")
    return lake.put(key, body).as_dict()


def _order(event: dict[str, Any]) -> datetime:
    try:
        moment = datetime.fromisoformat(str(event.get("at")))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_events(lake: Lake, incident_id: str) -> list[dict[str, Any]]:
    """Every event of an incident (ledger and journal of rounds in progress), each once, in time order."""
    seen: set[Any] = set()
    events: list[dict[str, Any]] = []
    for prefix in (keys.delivery_events_prefix(incident_id), keys.delivery_journal_prefix(incident_id)):
        for key, _ in lake.list(prefix):
            try:
                data = lake.get(key)
            except LakeError:  # compacted away between list and get: its events are in the ledger now
                continue
            for event in decode_events(data)[0]:
                identity = event.get("id") or (event["key"], event["status"], event.get("at"), event.get("provider_id"))
                if identity not in seen:
                    seen.add(identity)
                    events.append(event)
    return sorted(events, key=_order)


@dataclass
class PersonStatus:
    """Folded events of one person."""

    status: str
    channel: str
    provider_id: str | None = None
    history: list[str] = field(default_factory=list)
    retry_at: str | None = None
    at: str | None = None
    attempts: int = 0

    def retry_due(self, now: str) -> bool:
        """True when nothing was certainly sent and any backoff has passed."""
        return self.status == "released" or (self.status == "deferred" and (self.retry_at or "") <= now)


def _applies(person: PersonStatus, status: str, provider_id: str | None) -> bool:
    """Whether an event changes the person's status (provider events refer to the current message only)."""
    if status in PROVIDER:
        if person.status in COVERED or (provider_id and person.provider_id and provider_id != person.provider_id):
            return False
        return person.status not in ("mailed", "returned") or status == "returned"
    if status == "sending":
        return person.status not in NOTIFIED | COVERED | {"handed_over", "sending"}
    return True


def fold(events: list[dict[str, Any]]) -> dict[str, PersonStatus]:
    """Current status per idempotency key (a `sending` with no outcome stays `sending`; see settle_unconfirmed)."""
    people: dict[str, PersonStatus] = {}
    for event in events:
        status = LEGACY.get(event["status"], event["status"])
        provider_id = event.get("provider_id")
        person = people.get(event["key"])
        if person is None:
            if status in PROVIDER:
                continue
            person = people[event["key"]] = PersonStatus("", event.get("channel", ""))
        person.history.append(status)
        if not _applies(person, status, provider_id):
            continue
        if status == "sending":
            person.attempts += 1
            person.provider_id = provider_id
        elif provider_id:
            person.provider_id = provider_id
        if status not in PROVIDER:
            person.channel = event.get("channel", person.channel)
        person.status, person.retry_at, person.at = status, event.get("retry_at"), event.get("at")
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


class Journal:
    """The per-message journal of one round instance, compacted into one ledger object per chunk."""

    def __init__(self, lake: Lake, incident_id: str, round_key: str):
        self.lake, self.incident_id, self.round_key = lake, incident_id, round_key
        self.instance = f"{round_key}-{uuid.uuid4().hex[:8]}"
        self.seq = 0
        self.written: list[str] = []
        self.events: list[Event] = []
        self.held: list[Event] = []

    def hold(self, event: Event) -> None:
        """An outcome to write with the next journal entry (or at compaction)."""
        self.held.append(event)

    def append(self, events: list[Event]) -> None:
        """Write the held outcomes and these events as one durable journal entry, before the send it announces."""
        entry = [*self.held, *events]
        self.seq += 1
        key = keys.delivery_journal(self.incident_id, self.instance, self.seq)
        self.lake.put(key, encode_events(entry))
        self.written.append(key)
        self.events.extend(entry)
        self.held = []

    def compact(self) -> StoredOutput | None:
        """Everything journalled (and held) since the last compaction as one ledger object; then drop the entries."""
        self.events.extend(self.held)
        self.held = []
        stored = write_events(self.lake, self.incident_id, self.events, self.round_key)
        for key in self.written:
            self.lake.delete(key)
        self.written, self.events = [], []
        return stored


def compact_leftovers(lake: Lake, incident_id: str, round_key: str) -> StoredOutput | None:
    """Journal entries of rounds that crashed, moved into the ledger (call only while holding the delivery lease)."""
    leftovers = [key for key, _ in lake.list(keys.delivery_journal_prefix(incident_id))]
    events: list[dict[str, Any]] = []
    for key in leftovers:
        try:
            events.extend(decode_events(lake.get(key))[0])
        except LakeError:
            continue
    stored = write_events(lake, incident_id, events, f"{round_key}-recovered")
    for key in leftovers:
        lake.delete(key)
    return stored
