"""Delivery rounds: take provider events, fall back from bounced email to post, send what was never sent, cover the rest.

A round folds the incident's delivery ledger into one status per person, so it can run any number of times: a
person with any event at or past `sending` is never sent to again.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any, TypedDict

from include.lake import keys
from include.lake.store import Lake, StoredOutput
from include.notices.batches import read_batch
from include.notices.delivery.adapters import DeliveryAdapter, PermanentDeliveryError, RateLimiter, with_retries
from include.notices.delivery.ledger import (
    Event,
    PersonStatus,
    fold,
    now_iso,
    read_events,
    settle_unconfirmed,
    status_counts,
    write_events,
)

log = logging.getLogger("airflow.task")
CHUNK = 100


class RoundSummary(TypedDict):
    """What one round did and where everyone stands (counts only)."""

    incident_id: str
    round: str
    at: str
    sent_this_round: dict[str, int]
    status: dict[str, int]
    unconfirmed: int


class DeliveryResult(TypedDict):
    """What a delivery task returns through XCom."""

    summary: RoundSummary
    outputs: list[StoredOutput]


def batch_objects(lake: Lake, incident_id: str, channel: str) -> list[str]:
    """Every batch object of a channel, across all versions of the incident, oldest first."""
    found = [key for key, _ in lake.list(keys.incident_prefix(incident_id) + "/") if keys.is_batch_object(key, channel)]
    return sorted(found, key=lambda k: (int(k.split("/v")[1].split("/")[0]), k))


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
    ):
        self.lake, self.incident_id, self.adapters, self.round_key = lake, incident_id, adapters, round_key
        self.sleep = sleep
        self.limiter = RateLimiter(per_second, sleep=sleep)
        self.sent: Counter[str] = Counter()
        self.outputs: list[StoredOutput] = []
        self.people: dict[str, PersonStatus] = {}

    def record(self, events: list[Event]) -> None:
        """Append events to the ledger and to the round's view of everyone's status."""
        if stored := write_events(self.lake, self.incident_id, events, self.round_key):
            self.outputs.append(stored)

    def take_provider_events(self) -> None:
        """Fold the ledger, then add what the providers report (deliveries, bounces, complaints) for known messages."""
        known = read_events(self.lake, self.incident_id)
        people = fold(known)
        settle_unconfirmed(people)
        by_provider = {p.provider_id: k for k, p in people.items() if p.provider_id}
        incoming = []
        for adapter in self.adapters.values():
            for provider_id, status, detail in adapter.poll_events():
                if provider_id in by_provider:
                    incoming.append(Event(by_provider[provider_id], status, adapter.channel, now_iso(), provider_id, detail))
        self.record(incoming)
        self.people = fold(known + [e.as_dict() for e in incoming])
        settle_unconfirmed(self.people)

    def send_chunk(self, channel: str, adapter: DeliveryAdapter, records: list[dict[str, Any]], fallback: bool = False) -> None:
        """`sending` for the whole chunk first, then one send each, then the outcomes."""
        started = [
            Event(r["key"], "sending", channel, now_iso(), detail="postal fallback" if fallback else None) for r in records
        ]
        self.record(started)
        outcomes = []
        for record in records:
            self.limiter.wait()
            try:
                provider_id = with_retries(partial(adapter.send, record), sleep=self.sleep)
            except PermanentDeliveryError as error:
                outcomes.append(Event(record["key"], "failed", channel, now_iso(), detail=str(error)[:120]))
                continue
            status = getattr(adapter, "handed_over_status", "sent")
            outcomes.append(Event(record["key"], status, channel, now_iso(), provider_id))
            self.sent[channel] += 1
        if flush := getattr(adapter, "flush", None):
            flush()
        self.record(outcomes)
        for event in started + outcomes:
            self.people[event.key] = PersonStatus(event.status, event.channel, event.provider_id)

    def send_in_chunks(
        self, channel: str, adapter: DeliveryAdapter, records: list[dict[str, Any]], fallback: bool = False
    ) -> None:
        """send_chunk over CHUNK records at a time."""
        for start in range(0, len(records), CHUNK):
            self.send_chunk(channel, adapter, records[start : start + CHUNK], fallback=fallback)

    def cover(self, keys_and_reasons: list[tuple[str, str | None]]) -> None:
        """Count people as covered by the substitute notice."""
        events = [Event(key, "substitute", "substitute", now_iso(), detail=reason) for key, reason in keys_and_reasons]
        self.record(events)
        for event in events:
            self.people[event.key] = PersonStatus("substitute", "substitute")

    def fall_back_from_bounces(self) -> None:
        """Bounced email goes to post where there is an address; otherwise the person is covered by substitute notice."""
        bounced = {k for k, p in self.people.items() if p.status == "bounced"}
        if not bounced:
            return
        postal = self.adapters.get("postal")
        letters: list[dict[str, Any]] = []
        uncovered: list[tuple[str, str | None]] = []
        for key in batch_objects(self.lake, self.incident_id, "email"):
            for record in read_batch(self.lake, key):
                if record["key"] not in bounced:
                    continue
                if record.get("letter_html") and postal is not None:
                    letters.append({**record, "channel": "postal"})
                else:
                    uncovered.append((record["key"], "email bounced, no postal address"))
        if postal is not None:
            self.send_in_chunks("postal", postal, letters, fallback=True)
        self.cover(uncovered)

    def send_pending(self) -> None:
        """Everyone batched on a channel who has no event yet."""
        for channel in ("email", "postal"):
            adapter = self.adapters.get(channel)
            if adapter is None:
                continue
            for key in batch_objects(self.lake, self.incident_id, channel):
                pending = [r for r in read_batch(self.lake, key) if r["key"] not in self.people]
                self.send_in_chunks(channel, adapter, pending)

    def cover_substitutes(self) -> None:
        """People in the substitute batches who were never reached (no event, failed or bounced)."""
        covered: list[tuple[str, str | None]] = []
        for key in batch_objects(self.lake, self.incident_id, "substitute"):
            for record in read_batch(self.lake, key):
                person = self.people.get(record["key"])
                if person is None or person.status in ("failed", "bounced"):
                    covered.append((record["key"], record.get("reason")))
        self.cover(covered)

    def run(self) -> DeliveryResult:
        """The whole round, ending with its summary object in the lake."""
        self.take_provider_events()
        self.fall_back_from_bounces()
        self.send_pending()
        self.cover_substitutes()
        counts = status_counts(self.people)
        summary: RoundSummary = {
            "incident_id": self.incident_id,
            "round": self.round_key,
            "at": now_iso(),
            "sent_this_round": dict(self.sent),
            "status": counts,
            "unconfirmed": counts.get("unconfirmed", 0),
        }
        key = keys.delivery_round(self.incident_id, self.round_key)
        self.outputs.append(self.lake.put(key, json.dumps(summary, indent=2).encode()).as_dict())
        log.info("delivery round %s: sent %s; status %s", self.round_key, dict(self.sent), {k: v for k, v in counts.items() if v})
        return {"summary": summary, "outputs": self.outputs}


def deliver_round(
    lake: Lake,
    incident_id: str,
    adapters: dict[str, DeliveryAdapter],
    round_key: str,
    *,
    per_second: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """One delivery round: take provider events, fall back from bounced email to post, send what was never sent."""
    return DeliveryRound(lake, incident_id, adapters, round_key, per_second=per_second, sleep=sleep).run()
