"""Delivery rounds: take provider events, fall back from bounced email to post, send what was never sent, cover the rest.

One round per incident at a time: a round holds the incident's delivery lease (`include.lake.lease`), renews it
while it works and checks it before and after journalling each message, so a second round waits or exits and a
crashed holder's lease expires. Each message is announced in the journal (`sending`) before it is sent, so a
crash leaves at most that one message uncertain. A round folds the incident's ledger into one status per person,
so it can run any number of times.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypedDict

from include.lake import keys
from include.lake.lease import Lease, LeaseHeld, LeaseLost
from include.lake.ledger import seal_run
from include.lake.store import Lake, StoredOutput
from include.notices.batches import read_batch_checked
from include.notices.delivery.adapters import (
    DeliveryAdapter,
    PermanentDeliveryError,
    RateLimiter,
    Sent,
    TransientDeliveryError,
    UncertainDeliveryError,
    planned_id,
    with_retries,
)
from include.notices.delivery.ledger import (
    RETRYABLE,
    UNREACHED,
    Event,
    Journal,
    PersonStatus,
    compact_leftovers,
    fold,
    now_iso,
    read_events,
    settle_unconfirmed,
    status_counts,
    write_events,
)
from include.notices.delivery.routing import EventRouter

log = logging.getLogger("airflow.task")
COMPACT_EVERY = 200
OUTBOX_CHUNK = 500
MAX_BACKOFF = 6 * 3600.0


class RoundSummary(TypedDict):
    """What one round did and where everyone stands (counts only)."""

    incident_id: str
    round: str
    at: str
    sent_this_round: dict[str, int]
    status: dict[str, int]
    unconfirmed: int
    deferred_this_round: int
    uncertain_this_round: int
    quarantined: int
    provider_events: int
    unrouted_events: int
    skipped: str | None


class DeliveryResult(TypedDict):
    """What a delivery task returns through XCom."""

    summary: RoundSummary
    outputs: list[StoredOutput]


def batch_objects(lake: Lake, incident_id: str, channel: str) -> list[str]:
    """Every batch object of a channel, across all versions of the incident, oldest first."""
    found = [key for key, _ in lake.list(keys.incident_prefix(incident_id) + "/") if keys.is_batch_object(key, channel)]
    return sorted(found, key=lambda k: (int(k.split("/v")[1].split("/")[0]), k))


def as_sent(result: Any) -> Sent:
    """An adapter's answer as Sent (adapters may return the bare provider id)."""
    return result if isinstance(result, Sent) else Sent(str(result))


class LeaseGuard:
    """Keeps a round's lease: renews it once half its time is gone, and refuses any irreversible step without it."""

    def __init__(self, lease: Lease | None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.lease, self.clock = lease, clock

    def ensure(self) -> None:
        """LeaseLost unless the lease is held with at least half its time left (renewing reads the lake)."""
        if self.lease is None:
            return
        if self.lease.held is None:
            raise LeaseLost(f"lease {self.lease.name} is not held")
        if self.lease.held.until - self.clock() <= self.lease.ttl / 2:
            self.lease.renew()


class DeliveryRound:
    """One round over one incident's ledger, with the adapters of each channel."""

    def __init__(
        self,
        lake: Lake,
        incident_id: str,
        adapters: dict[str, DeliveryAdapter],
        round_key: str,
        *,
        per_second: float,
        sleep: Callable[[float], None],
        lease: Lease | None = None,
        retry_backoff: float = 300.0,
    ):
        self.lake, self.incident_id, self.adapters, self.round_key = lake, incident_id, adapters, round_key
        self.sleep, self.retry_backoff = sleep, retry_backoff
        self.guard = LeaseGuard(lease)
        self.limiter = RateLimiter(per_second, sleep=self.pause)
        self.journal = Journal(lake, incident_id, round_key)
        self.sent: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.stopped: set[str] = set()
        self.outputs: list[StoredOutput] = []
        self.quarantined: list[dict[str, Any]] = []
        self.people: dict[str, PersonStatus] = {}
        self.now = now_iso()

    def pause(self, seconds: float) -> None:
        """Sleep (rate limit, backoff) in slices, keeping the lease renewed meanwhile."""
        lease = self.guard.lease
        step = lease.ttl.total_seconds() / 4 if lease is not None else seconds
        while seconds > 0:
            self.sleep(min(seconds, step))
            seconds -= step
            if seconds > 0:
                self.guard.ensure()

    def record(self, events: list[Event]) -> None:
        """Append events as one ledger object (provider events, coverage: nothing irreversible) and apply them."""
        if stored := write_events(self.lake, self.incident_id, events, self.round_key):
            self.outputs.append(stored)
        for event in events:
            self.apply(event)

    def apply(self, event: Event) -> None:
        """The round's own view of a person after one of its events."""
        current = self.people.get(event.key)
        attempts = (current.attempts if current else 0) + (event.status == "sending")
        provider_id = event.provider_id or (current.provider_id if current else None)
        self.people[event.key] = PersonStatus(event.status, event.channel, provider_id, [], event.retry_at, event.at, attempts)

    def compact(self) -> None:
        """Move the journal into the ledger."""
        if stored := self.journal.compact():
            self.outputs.append(stored)

    def take_provider_events(self) -> None:
        """Recover crashed rounds' journals, route provider events, then fold the ledger with them."""
        self.guard.ensure()
        if stored := compact_leftovers(self.lake, self.incident_id, self.round_key):
            self.outputs.append(stored)
        known = read_events(self.lake, self.incident_id)
        router = EventRouter(self.lake, self.incident_id, known)
        events = router.take(list(self.adapters.values()))
        self.counts.update(provider_events=router.taken, unrouted_events=router.unrouted)
        self.record(events)
        self.people = fold(known + [e.as_dict() for e in events])
        router.done()
        settle_unconfirmed(self.people)

    def backoff(self, person: PersonStatus | None) -> str:
        """When a deferred person may be tried again: doubling with each attempt, at most MAX_BACKOFF."""
        attempts = person.attempts if person else 1
        delay = min(self.retry_backoff * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
        return (datetime.now(UTC) + timedelta(seconds=delay)).isoformat(timespec="microseconds")

    def outcome(self, channel: str, key: str, result: Sent | Exception, adapter: DeliveryAdapter) -> Event | None:
        """The event that ends one message's `sending` (None when the outcome is unknown)."""
        if isinstance(result, Sent):
            status = getattr(adapter, "handed_over_status", "sent")
            self.sent[channel] += 1
            return Event(key, status, channel, now_iso(), result.provider_id, result.detail)
        if isinstance(result, PermanentDeliveryError):
            return Event(key, "failed", channel, now_iso(), detail=str(result)[:120])
        if isinstance(result, TransientDeliveryError):
            self.counts["deferred_this_round"] += 1
            self.stopped.add(channel)
            retry_at = self.backoff(self.people.get(key))
            return Event(key, "deferred", channel, now_iso(), detail=str(result)[:120], retry_at=retry_at)
        self.counts["uncertain_this_round"] += 1
        self.stopped.add(channel)
        return None

    def announce(
        self, channel: str, adapter: DeliveryAdapter, records: list[dict[str, Any]], fallback: bool
    ) -> list[dict[str, Any]]:
        """Journal the `sending` of these records while holding the lease; returns them ready to send."""
        ready, events = [], []
        for record in records:
            message_id = planned_id(adapter, record, self.incident_id)
            ready.append({**record, "incident_id": self.incident_id, "message_id": message_id})
            detail = "postal fallback" if fallback else None
            events.append(Event(record["key"], "sending", channel, now_iso(), message_id, detail))
        self.guard.ensure()
        self.journal.append(events)
        for event in events:
            self.apply(event)
        self.unless_lost(events, self.guard.ensure)  # the announcements are durable while no one else holds the lease
        return ready

    def unless_lost(self, announced: list[Event], step: Callable[[], Any]) -> Any:
        """Run a step; if the lease is lost before anything was sent, release the announced messages and stop."""
        try:
            return step()
        except LeaseLost:
            for event in announced:
                self.journal.hold(Event(event.key, "released", event.channel, now_iso(), detail="lease lost before sending"))
            raise

    def send_one(self, channel: str, adapter: DeliveryAdapter, record: dict[str, Any], fallback: bool) -> None:
        """Journal `sending`, send one message, hold its outcome for the next journal entry."""
        self.limiter.wait()
        (ready,) = self.announce(channel, adapter, [record], fallback)
        announced = [Event(record["key"], "sending", channel, now_iso())]
        attempts = 0

        def attempt() -> Sent:
            nonlocal attempts
            if attempts:  # a retry: check the lease again after the backoff
                self.guard.ensure()
            attempts += 1
            return as_sent(adapter.send(ready))

        try:
            # losing the lease here happens only before an attempt, after certain failures: nothing was sent
            result: Sent | Exception = self.unless_lost(announced, partial(with_retries, attempt, sleep=self.pause))
        except (PermanentDeliveryError, TransientDeliveryError, UncertainDeliveryError) as error:
            result = error
        if event := self.outcome(channel, record["key"], result, adapter):
            self.journal.hold(event)
            self.apply(event)
        if len(self.journal.written) >= COMPACT_EVERY:
            self.compact()

    def send_batched(self, channel: str, adapter: Any, records: list[dict[str, Any]], fallback: bool) -> None:
        """An outbox chunk: journal every `sending`, write the one file atomically, then the outcomes."""
        ready = self.announce(channel, adapter, records, fallback)
        results: list[Sent | Exception] = [as_sent(adapter.send(record)) for record in ready]
        try:
            adapter.flush()
        except OSError as error:
            adapter.discard()
            results = [TransientDeliveryError(f"outbox not written ({type(error).__name__})")] * len(ready)
        for record, result in zip(ready, results, strict=True):
            if event := self.outcome(channel, record["key"], result, adapter):
                self.journal.hold(event)
                self.apply(event)
        self.compact()

    def send_all(self, channel: str, adapter: DeliveryAdapter, records: list[dict[str, Any]], fallback: bool = False) -> None:
        """Send records one at a time (or an outbox chunk at a time) until done or the channel stops for this round."""
        batched = getattr(adapter, "batched", False)
        step = OUTBOX_CHUNK if batched else 1
        for start in range(0, len(records), step):
            if channel in self.stopped:
                break
            if batched:
                self.send_batched(channel, adapter, records[start : start + step], fallback)
            else:
                self.send_one(channel, adapter, records[start], fallback)
        self.compact()

    def due(self, key: str, channel: str) -> bool:
        """True when nobody ever started this person's notice on this channel, or it certainly did not go out."""
        person = self.people.get(key)
        return person is None or (person.channel == channel and person.retry_due(self.now))

    def records(self, channel: str) -> list[dict[str, Any]]:
        """Every usable record of the channel's batches; unusable lines are quarantined and reported."""
        found = []
        for key in batch_objects(self.lake, self.incident_id, channel):
            records, problems = read_batch_checked(self.lake, key, channel)
            self.quarantined.extend(problems)
            found.extend(records)
        return found

    def fall_back(self) -> None:
        """Email not delivered goes by post where there is an address; otherwise the person is covered by substitute notice."""
        unreached = {k for k, p in self.people.items() if p.channel == "email" and p.status in UNREACHED}
        retry = {k for k, p in self.people.items() if p.channel == "postal" and p.retry_due(self.now)}
        if not unreached | retry:
            return
        postal = self.adapters.get("postal")
        letters: list[dict[str, Any]] = []
        uncovered: list[tuple[str, str | None]] = []
        for record in self.records("email"):
            if record["key"] in unreached or record["key"] in retry:
                if record.get("letter_html") and postal is not None:
                    letters.append({**record, "channel": "postal"})
                elif record["key"] in unreached:
                    uncovered.append((record["key"], "email not delivered, no postal address"))
        if postal is not None:
            self.send_all("postal", postal, letters, fallback=True)
        self.cover(uncovered)

    def send_pending(self) -> None:
        """Everyone batched on a channel who has no event yet, or whose last attempt certainly did not go out."""
        for channel in ("email", "postal"):
            adapter = self.adapters.get(channel)
            if adapter is not None and channel not in self.stopped:
                self.send_all(channel, adapter, [r for r in self.records(channel) if self.due(r["key"], channel)])

    def cover(self, keys_and_reasons: list[tuple[str, str | None]]) -> None:
        """Count people as covered by the substitute notice (given once its steps are recorded; see monitoring)."""
        self.record([Event(key, "substitute", "substitute", now_iso(), detail=reason) for key, reason in keys_and_reasons])

    def cover_substitutes(self) -> None:
        """People in the substitute batches never reached, and anyone whose letter could not be delivered."""
        covered: list[tuple[str, str | None]] = []
        for record in self.records("substitute"):
            person = self.people.get(record["key"])
            if person is None or person.status in UNREACHED:
                covered.append((record["key"], record.get("reason")))
        listed = {key for key, _ in covered}
        for key, person in self.people.items():
            if person.channel == "postal" and person.status in UNREACHED and key not in listed:
                covered.append((key, "letter not delivered"))
        self.cover(covered)

    def summary(self) -> RoundSummary:
        """Counts of this round and of everyone's status."""
        counts = status_counts(self.people)
        return {
            "incident_id": self.incident_id,
            "round": self.round_key,
            "at": now_iso(),
            "sent_this_round": dict(self.sent),
            "status": counts,
            "unconfirmed": counts.get("unconfirmed", 0),
            "deferred_this_round": self.counts["deferred_this_round"],
            "uncertain_this_round": self.counts["uncertain_this_round"],
            "quarantined": len({(q["object"], q["line"]) for q in self.quarantined}),
            "provider_events": self.counts["provider_events"],
            "unrouted_events": self.counts["unrouted_events"],
            "skipped": None,
        }

    def finish(self) -> DeliveryResult:
        """The summary (and the quarantine report) in the lake."""
        settle_unconfirmed(self.people)
        summary = self.summary()
        if self.quarantined:
            unique = list({(q["object"], q["line"]): q for q in self.quarantined}.values())
            report = json.dumps({"incident_id": self.incident_id, "round": self.round_key, "records": unique}, indent=2)
            self.outputs.append(
                self.lake.put(keys.delivery_quarantine(self.incident_id, self.round_key), report.encode()).as_dict()
            )
            log.warning(
                "delivery round %s: %d batch records quarantined (see the quarantine report)", self.round_key, len(unique)
            )
        key = keys.delivery_round(self.incident_id, self.round_key)
        self.outputs.append(self.lake.put(key, json.dumps(summary, indent=2).encode()).as_dict())
        status = {k: v for k, v in summary["status"].items() if v}
        log.info("delivery round %s: sent %s; status %s", self.round_key, dict(self.sent), status)
        return {"summary": summary, "outputs": self.outputs}

    def run(self) -> DeliveryResult:
        """The whole round; on any failure the journal still goes into the ledger and what was written is sealed."""
        try:
            self.take_provider_events()
            self.fall_back()
            self.send_pending()
            self.fall_back()
            self.cover_substitutes()
            return self.finish()
        except BaseException:
            self.compact()
            if self.outputs:
                self.seal_interrupted()
            raise

    def seal_interrupted(self) -> None:
        """What an interrupted round wrote, sealed into the evidence ledger (its task returns nothing to seal)."""
        seal_run(
            self.lake,
            dag_id="delivery_round",
            run_id=f"{self.round_key}-interrupted",
            outputs=[dict(o) for o in self.outputs],
            versions={},
            run_key=f"{self.incident_id}-{self.round_key}-{self.journal.instance}",
        )


def skipped(incident_id: str, round_key: str, reason: str) -> DeliveryResult:
    """What a round that did not start returns (another round holds the incident's lease)."""
    summary: RoundSummary = {
        "incident_id": incident_id,
        "round": round_key,
        "at": now_iso(),
        "sent_this_round": {},
        "status": {},
        "unconfirmed": 0,
        "deferred_this_round": 0,
        "uncertain_this_round": 0,
        "quarantined": 0,
        "provider_events": 0,
        "unrouted_events": 0,
        "skipped": reason,
    }
    return {"summary": summary, "outputs": []}


def deliver_round(
    lake: Lake,
    incident_id: str,
    adapters: dict[str, DeliveryAdapter],
    round_key: str,
    *,
    per_second: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
    lease_ttl: float = 120.0,
    wait: float = 0.0,
    retry_backoff: float = 300.0,
) -> DeliveryResult:
    """One delivery round as the only holder of the incident's lease; exits cleanly when another round holds it."""
    lease = Lease(lake, keys.delivery_lease(incident_id), ttl=timedelta(seconds=lease_ttl))
    try:
        lease.acquire(wait=wait, poll=min(2.0, max(lease_ttl / 10, 0.1)))
    except LeaseHeld as held:
        log.info("delivery round %s for %s not started: %s", round_key, incident_id, held)
        return skipped(incident_id, round_key, str(held))
    try:
        job = DeliveryRound(
            lake, incident_id, adapters, round_key, per_second=per_second, sleep=sleep, lease=lease, retry_backoff=retry_backoff
        )
        return job.run()
    finally:
        lease.release()
        for adapter in adapters.values():
            if close := getattr(adapter, "close", None):
                close()


__all__ = ["RETRYABLE", "DeliveryResult", "DeliveryRound", "RoundSummary", "batch_objects", "deliver_round"]
