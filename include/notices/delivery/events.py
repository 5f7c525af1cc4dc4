"""Provider events (SES notifications, mail-house acknowledgements): parsed strictly, routed by message, never dropped.

One consumer per source (a lease) drains the provider's queue and files every event under its incident
(`state/delivery/incidents/<id>/inbox/`), found from the message's `X-Notice-Incident` header, its outbox id, or
the ledgers of open incidents; only then is the queue message deleted. An event no incident claims, or one that
cannot be read, is kept under `state/delivery/unrouted/`, retried on every pass and reported.

The mail house's acknowledgement file is JSON lines, one per letter or message, UTF-8:

    {"id": "<outbox id>", "status": "mailed" | "returned" | "delivered" | "bounced" | "complained",
     "at": "<ISO 8601 date-time with offset>", "detail": "<optional, at most 200 characters>"}

`id` is the outbox id the record carried (`<incident>:<channel>:<notice key>`); `mailed` means posted.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from include.lake import keys
from include.lake.lease import Lease
from include.lake.store import Lake, LakeError

INCIDENT_ID = re.compile(r"[A-Za-z0-9._-]{3,64}")
NOTICE_KEY = re.compile(r"[0-9a-f]{64}")
SES_STATUS = {"Delivery": "delivered", "Bounce": "bounced", "Complaint": "complained", "Reject": "failed"}
SES_INFO = frozenset({"Send", "DeliveryDelay", "Open", "Click", "Subscription", "AmazonSnsSubscriptionSucceeded"})
SES_FAILED = frozenset({"Rendering Failure", "RenderingFailure"})
ACK_STATUS = frozenset({"mailed", "returned", "delivered", "bounced", "complained"})


@dataclass(frozen=True)
class ProviderEvent:
    """One provider report about one message (ids and statuses only; `handle` says how to delete it at the source)."""

    source: str
    event_id: str
    at: str
    status: str | None = None
    kind: str | None = None
    provider_id: str | None = None
    message_id: str | None = None
    incident_id: str | None = None
    key: str | None = None
    detail: str | None = None
    handle: str | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the handle and empty fields."""
        return {k: v for k, v in self.__dict__.items() if v is not None and k != "handle"}

    @property
    def informational(self) -> bool:
        """A known event that changes no status (sent, delayed, opened)."""
        return self.status is None and self.kind in SES_INFO


def _text(value: Any, limit: int = 200) -> str | None:
    return str(value)[:limit] if isinstance(value, str | int | float) and str(value) else None


def _moment(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment.tzinfo else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _headers(mail: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in mail.get("headers") or []:
        if isinstance(header, dict) and isinstance(header.get("name"), str) and isinstance(header.get("value"), str):
            found[header["name"].lower()] = header["value"]
    common = _object(mail.get("commonHeaders"))
    if isinstance(common.get("messageId"), str):
        found.setdefault("message-id", common["messageId"])
    return found


def ses_event(body: str, event_id: str, *, handle: str | None = None) -> ProviderEvent:
    """One SQS message from SES (an SNS envelope or raw event) as a ProviderEvent; unreadable ones have no status."""
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    try:
        outer = json.loads(body)
        notification = json.loads(outer["Message"]) if isinstance(outer, dict) and "Message" in outer else outer
        if not isinstance(notification, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError, KeyError):
        return ProviderEvent("ses", event_id, now, kind="unreadable", handle=handle)
    kind = _text(notification.get("eventType") or notification.get("notificationType"), 40)
    mail = _object(notification.get("mail"))
    headers = _headers(mail)
    status = SES_STATUS.get(kind or "") or ("failed" if kind in SES_FAILED else None)
    detail = None
    if status == "bounced":
        bounce = _object(notification.get("bounce"))
        detail = _text(bounce.get("bounceType"), 40)
    incident, key = headers.get("x-notice-incident"), headers.get("x-notice-key")
    return ProviderEvent(
        "ses",
        event_id,
        _moment(mail.get("timestamp")) or now,
        status=status,
        kind=kind,
        provider_id=_text(mail.get("messageId"), 200),
        message_id=_text(headers.get("message-id"), 200),
        incident_id=incident if incident and INCIDENT_ID.fullmatch(incident) else None,
        key=key if key and NOTICE_KEY.fullmatch(key) else None,
        detail=detail,
        handle=handle,
    )


def ack_event(line: bytes, source: str, event_id: str, handle: str | None) -> ProviderEvent:
    """One acknowledgement line (the documented format) as a ProviderEvent; a bad line comes back without status."""
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    try:
        document = json.loads(line)
    except ValueError:
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("id"), str) or document.get("status") not in ACK_STATUS:
        return ProviderEvent(source, event_id, now, kind="unreadable", handle=handle)
    at = _moment(document.get("at"))
    if at is None:
        return ProviderEvent(source, event_id, now, kind="unreadable", detail="at: not an ISO date-time", handle=handle)
    incident, _, rest = document["id"].partition(":")
    key = rest.rpartition(":")[2]
    return ProviderEvent(
        source,
        event_id,
        at,
        status=document["status"],
        kind="acknowledgement",
        provider_id=document["id"][:300],
        incident_id=incident if INCIDENT_ID.fullmatch(incident) else None,
        key=key if NOTICE_KEY.fullmatch(key) else None,
        detail=_text(document.get("detail")),
        handle=handle,
    )


def ack_events(data: bytes, *, source: str, handle: str | None = None) -> list[ProviderEvent]:
    """Every line of an acknowledgement file (line numbers make the event ids, so a re-read files nothing twice)."""
    name = (handle or "").rsplit("/", 1)[-1]
    return [
        ack_event(line, source, f"{name}:{number}", handle)
        for number, line in enumerate(data.split(b"\n"), start=1)
        if line.strip()
    ]


class EventSource(Protocol):
    """Where provider events come from (an adapter)."""

    name: str

    def poll_events(self) -> list[ProviderEvent]: ...
    def acknowledge(self, events: list[ProviderEvent]) -> None: ...


def from_dict(document: dict[str, Any]) -> ProviderEvent | None:
    """A stored ProviderEvent, or None when the object is not one."""
    try:
        return ProviderEvent(**{k: v for k, v in document.items() if k in ProviderEvent.__dataclass_fields__})
    except TypeError:
        return None


def _encode(events: list[ProviderEvent]) -> bytes:
    return "".join(json.dumps(e.as_dict(), ensure_ascii=True) + "\n" for e in events).encode()


def read_stored(lake: Lake, key: str) -> list[ProviderEvent]:
    """The events of one inbox or unrouted object (unreadable lines are skipped)."""
    try:
        data = lake.get(key)
    except LakeError:
        return []
    found = []
    for line in data.split(b"\n"):
        try:
            event = from_dict(json.loads(line)) if line.strip() else None
        except ValueError:
            event = None
        if event is not None:
            found.append(event)
    return found


def _unique() -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"


@dataclass
class RoutingCounts:
    """What one routing pass did (counts only)."""

    filed: dict[str, int] = field(default_factory=dict)
    unrouted: int = 0


def route_events(
    lake: Lake, source: EventSource, incident_of: Callable[[ProviderEvent], str | None], *, lease_ttl: float = 300
) -> RoutingCounts:
    """Drain a source, file each event under its incident (or keep it unrouted), then delete it at the source."""
    counts = RoutingCounts()
    lease = Lease(lake, keys.provider_events_lease(source.name), ttl=timedelta(seconds=lease_ttl))
    if not lease.try_acquire():  # another round is draining this source right now and files for everyone
        return counts
    try:
        earlier = [key for key, _ in lake.list(keys.UNROUTED_EVENTS) if key.rsplit("/", 1)[-1].startswith(source.name + "-")]
        retried = [event for key in earlier for event in read_stored(lake, key)]
        fresh = source.poll_events()
        by_incident: dict[str, list[ProviderEvent]] = {}
        kept: list[ProviderEvent] = []
        for event in retried + fresh:
            incident = incident_of(event) if event.kind != "unreadable" else None
            (by_incident.setdefault(incident, []) if incident else kept).append(event)
        for incident, events in by_incident.items():
            lake.put(keys.provider_inbox(incident, source.name, _unique()), _encode(events))
            counts.filed[incident] = len(events)
        if kept:
            lake.put(keys.unrouted_events(source.name, _unique()), _encode(kept))
        counts.unrouted = len(kept)
        source.acknowledge(fresh)
        for key in earlier:
            lake.delete(key)
    finally:
        lease.release()
    return counts


def unrouted_count(lake: Lake) -> int:
    """How many provider events no incident has claimed (reported by rounds and `notices status`)."""
    return sum(len(read_stored(lake, key)) for key, _ in lake.list(keys.UNROUTED_EVENTS))


def return_unmatched(lake: Lake, source: str, events: list[ProviderEvent]) -> None:
    """Events filed under an incident whose ledger knows no such message: kept as unrouted and reported."""
    if events:
        lake.put(keys.unrouted_events(source, _unique()), _encode(events))
