"""A round's side of provider events: route every source's queue, then turn this incident's inbox into ledger events.

An event is matched to a person by the provider id the ledger recorded, or by the notice key the message carried.
An event for a message whose send was uncertain proves the provider took it: the round records `sent`
(reconciled) before the event itself. Events the ledger cannot match go back to the unrouted store, reported.
"""

from __future__ import annotations

from typing import Any

from include.incident.versions import incident_ids
from include.lake import keys
from include.lake.store import Lake
from include.notices.delivery.events import (
    EventSource,
    ProviderEvent,
    read_stored,
    return_unmatched,
    route_events,
    unrouted_count,
)
from include.notices.delivery.ledger import Event, fold, now_iso, read_events


class EventRouter:
    """Routes provider events for one round of one incident."""

    def __init__(self, lake: Lake, incident_id: str, known: list[dict[str, Any]]):
        self.lake, self.incident_id, self.known = lake, incident_id, known
        self.people = fold(known)
        self.by_provider = {e["provider_id"]: e["key"] for e in known if e.get("provider_id")}
        self._index: dict[str, str] | None = None
        self.consumed: list[str] = []
        self.taken = 0
        self.unrouted = 0

    def index(self) -> dict[str, str]:
        """Provider id -> incident, over every incident's ledger (built once, only for events without a header)."""
        if self._index is None:
            self._index = dict.fromkeys(self.by_provider, self.incident_id)
            for incident in incident_ids(self.lake):
                if incident != self.incident_id:
                    self._index.update(
                        {e["provider_id"]: incident for e in read_events(self.lake, incident) if e.get("provider_id")}
                    )
        return self._index

    def incident_of(self, event: ProviderEvent) -> str | None:
        """The incident an event belongs to, from its header or outbox id, else from the ledgers."""
        if event.incident_id and self.lake.exists(keys.incident_versions(event.incident_id)):
            return event.incident_id
        return self.index().get(event.provider_id) if event.provider_id else None

    def ledger_events(self, event: ProviderEvent) -> list[Event] | None:
        """This incident's ledger events for one provider event (None when no person of the incident matches)."""
        key = self.by_provider.get(event.provider_id or "") or (event.key if event.key in self.people else None)
        if key is None or event.status is None:
            return None
        person = self.people[key]
        found = []
        if person.status == "sending" and event.provider_id != person.provider_id and event.kind != "acknowledgement":
            note = "reconciled: the provider reported on the message"
            found.append(Event(key, "sent", person.channel, now_iso(), event.provider_id, note))
        event_id = f"{event.source}:{event.event_id}"[:80]
        at, detail = now_iso(), event.detail
        found.append(Event(key, event.status, person.channel, at, event.provider_id, detail, id=event_id, reported_at=event.at))
        return found

    def take(self, sources: list[EventSource]) -> list[Event]:
        """Route every source, then read this incident's inbox into ledger events (call done() once they are written)."""
        for source in sources:
            route_events(self.lake, source, self.incident_of)
        events: list[Event] = []
        unmatched: dict[str, list[ProviderEvent]] = {}
        for key, _ in self.lake.list(keys.provider_inbox_prefix(self.incident_id)):
            self.consumed.append(key)
            for provider_event in read_stored(self.lake, key):
                if provider_event.informational:
                    continue
                found = self.ledger_events(provider_event)
                if found is None:
                    unmatched.setdefault(provider_event.source, []).append(provider_event)
                else:
                    self.taken += 1
                    events.extend(found)
        for name, kept in unmatched.items():
            return_unmatched(self.lake, name, kept)
        self.unrouted = unrouted_count(self.lake)
        return events

    def done(self) -> None:
        """Drop the inbox objects whose events are now in the ledger."""
        for key in self.consumed:
            self.lake.delete(key)
