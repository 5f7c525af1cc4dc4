"""Delivery: one adapter interface (Amazon SES, SMTP, a file outbox for a mail house) and a per-person status ledger.

The ledger is a set of immutable event objects under `incidents/<id>/delivery/events/`, keyed by each person's
idempotency key (a keyed hash, no personal data). Before a chunk is sent, a `sending` event is written for it;
after, `sent` or `failed`. A person with any event at or past `sending` is never sent to again: if a task dies
between the two, the person shows as `unconfirmed` for reconciliation rather than risk a second notice.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from include.lake import Lake

log = logging.getLogger("airflow.task")
STATUSES = ("queued", "sending", "sent", "delivered", "bounced", "complained", "postal", "substitute", "failed", "unconfirmed")
NOTIFIED = frozenset({"sent", "delivered", "postal", "substitute"})
FINAL = frozenset({"delivered", "postal", "substitute", "complained"})
STARTED = frozenset({"sending", "sent", "delivered", "bounced", "complained", "postal", "substitute", "unconfirmed"})
CHUNK = 100


def mime_message(record: dict[str, Any], *, domain: str = "notices.local") -> str:
    """multipart/alternative MIME for an email batch record: the full text/plain part, then the HTML part."""
    from email.message import EmailMessage
    from email.utils import formataddr, make_msgid

    message = EmailMessage()
    message["Subject"] = record["subject"]
    message["From"] = formataddr((record.get("from_name") or "", record["from"]))
    message["To"] = record["to"]
    message["Message-ID"] = make_msgid(idstring=record["key"][:32], domain=domain)
    message["X-Notice-Key"] = record["key"]
    message["Content-Language"] = record.get("language", "en")
    message.set_content(record["text"])
    message.add_alternative(record["html"], subtype="html")
    return message.as_string()


class TransientDeliveryError(RuntimeError):
    """Worth retrying (throttling, 4xx SMTP, timeouts)."""


class PermanentDeliveryError(RuntimeError):
    """Not worth retrying (rejected address, 5xx SMTP)."""


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


class DeliveryAdapter(Protocol):
    """What every channel provider offers."""

    name: str
    channel: str

    def send(self, record: dict[str, Any]) -> str: ...
    def poll_events(self) -> list[tuple[str, str, str | None]]: ...


class RateLimiter:
    """Token bucket: at most `per_second` sends per second, sleeping as needed."""

    def __init__(
        self, per_second: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = clock()

    def wait(self) -> None:
        """Block until the next send is allowed."""
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
        self.next_at = max(now, self.next_at) + self.interval


def with_retries(
    send: Callable[[], str], *, attempts: int = 5, base_delay: float = 0.5, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Retry transient failures with exponential backoff; permanent failures and the last transient one propagate."""
    for attempt in range(attempts):
        try:
            return send()
        except TransientDeliveryError:
            if attempt == attempts - 1:
                raise
            sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")


class SesAdapter:
    """Amazon SES (SendRawEmail) with delivery, bounce and complaint events from an SNS-fed SQS queue."""

    name = "ses"
    channel = "email"

    def __init__(
        self,
        ses_client: Any,
        *,
        sender: str,
        events_queue_url: str | None = None,
        sqs_client: Any = None,
        configuration_set: str | None = None,
    ):
        self.ses, self.sqs = ses_client, sqs_client
        self.sender, self.queue_url, self.configuration_set = sender, events_queue_url, configuration_set
        self.message_keys: dict[str, str] = {}

    def send(self, record: dict[str, Any]) -> str:
        """Send one MIME message; returns the SES message id."""
        from botocore.exceptions import ClientError, EndpointConnectionError

        kwargs: dict[str, Any] = {
            "Source": self.sender,
            "Destinations": [record["to"]],
            "RawMessage": {"Data": mime_message(record).encode()},
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            message_id = self.ses.send_raw_email(**kwargs)["MessageId"]
        except EndpointConnectionError as error:
            raise TransientDeliveryError("SES endpoint unreachable") from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("Throttling", "ThrottlingException", "ServiceUnavailable", "TooManyRequestsException"):
                raise TransientDeliveryError(f"SES {code}") from None
            raise PermanentDeliveryError(f"SES rejected the message ({code})") from None
        self.message_keys[message_id] = record["key"]
        return message_id

    def poll_events(self) -> list[tuple[str, str, str | None]]:
        """(provider message id, status, detail) from SES notifications (Delivery, Bounce, Complaint)."""
        if not (self.sqs and self.queue_url):
            return []
        events = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = answer.get("Messages", [])
            if not messages:
                return events
            for message in messages:
                body = json.loads(message["Body"])
                notification = json.loads(body["Message"]) if "Message" in body else body
                kind = notification.get("notificationType") or notification.get("eventType")
                status = {"Delivery": "delivered", "Bounce": "bounced", "Complaint": "complained"}.get(kind)
                if status:
                    detail = None
                    if status == "bounced":
                        detail = notification.get("bounce", {}).get("bounceType")
                    events.append((notification["mail"]["messageId"], status, detail))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


class SmtpAdapter:
    """Plain SMTP (STARTTLS when offered); acceptance by the relay counts as sent."""

    name = "smtp"
    channel = "email"

    def __init__(self, host: str, port: int, *, username: str | None = None, password: str | None = None, timeout: float = 30):
        self.host, self.port, self.username, self.password, self.timeout = host, port, username, password, timeout

    def send(self, record: dict[str, Any]) -> str:
        """Relay one message; returns its Message-ID."""
        import email

        message = email.message_from_string(mime_message(record))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls()
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentDeliveryError("SMTP refused the recipient") from error
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                raise TransientDeliveryError(f"SMTP {error.smtp_code}") from None
            raise PermanentDeliveryError(f"SMTP {error.smtp_code}") from None
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            raise TransientDeliveryError(f"SMTP connection failed ({type(error).__name__})") from None
        if refused:
            raise PermanentDeliveryError("SMTP refused the recipient")
        return str(message["Message-ID"])

    def poll_events(self) -> list[tuple[str, str, str | None]]:
        """SMTP gives no delivery events here (bounces would arrive as DSN mail)."""
        return []


class FileOutboxAdapter:
    """Hands records to an external mail house or ESP as files, encrypted to the recipient's public key (HPKE).

    Receipts come back as JSON lines in `<outbox>/receipts/` ({"id": ..., "status": "delivered"|"bounced"|...}).
    """

    name = "file-outbox"

    def __init__(
        self, directory: Path, channel: str, recipient_public_key: bytes | None, *, handed_over_status: str | None = None
    ):
        self.directory = directory
        self.channel = channel
        self.public_key = recipient_public_key
        self.handed_over_status = handed_over_status or ("postal" if channel == "postal" else "sent")
        self.pending: list[dict[str, Any]] = []
        self.seen_receipts: set[str] = set()

    def send(self, record: dict[str, Any]) -> str:
        """Queue one record for the next outbox file; returns its outbox id."""
        outbox_id = f"{self.channel}-{record['key'][:24]}"
        self.pending.append({"id": outbox_id, **record})
        return outbox_id

    def flush(self) -> Path | None:
        """Write queued records as one encrypted outbox file."""
        if not self.pending:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.pending).encode()
        name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{self.channel}-{uuid.uuid4().hex[:8]}.jsonl"
        if self.public_key is not None:
            payload = seal_for_recipient(payload, self.public_key, info=name.encode())
            name += ".hpke"
        path = self.directory / name
        path.write_bytes(payload)
        os.chmod(path, 0o600)
        self.pending = []
        return path

    def poll_events(self) -> list[tuple[str, str, str | None]]:
        """Receipts the mail house dropped into the outbox."""
        receipts = self.directory / "receipts"
        events = []
        for path in sorted(receipts.glob("*.jsonl")) if receipts.exists() else []:
            if path.name in self.seen_receipts:
                continue
            self.seen_receipts.add(path.name)
            for line in path.read_text().splitlines():
                if line.strip():
                    receipt = json.loads(line)
                    events.append((receipt["id"], receipt["status"], receipt.get("detail")))
        return events


def seal_for_recipient(payload: bytes, public_key: bytes, info: bytes) -> bytes:
    """HPKE (RFC 9180: X25519, HKDF-SHA256, ChaCha20-Poly1305) to the mail house's X25519 public key."""
    from cryptography.hazmat.primitives import hpke
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    return suite.encrypt(payload, X25519PublicKey.from_public_bytes(public_key), info=info)


def open_for_recipient(sealed: bytes, private_key: bytes, info: bytes) -> bytes:
    """What the mail house does with an outbox file."""
    from cryptography.hazmat.primitives import hpke
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    suite = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
    return suite.decrypt(sealed, X25519PrivateKey.from_private_bytes(private_key), info=info)


# -- the ledger -------------------------------------------------------------------------------------------


def events_prefix(incident_id: str) -> str:
    """Where an incident's delivery events live."""
    return f"incidents/{incident_id}/delivery/events/"


def write_events(lake: Lake, incident_id: str, events: Iterable[Event], round_key: str) -> dict[str, Any] | None:
    """Append events as one new immutable object."""
    lines = [json.dumps(e.as_dict()) for e in events]
    if not lines:
        return None
    key = f"{events_prefix(incident_id)}{round_key}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}.jsonl"
    return lake.put(key, ("\n".join(lines) + "\n").encode()).as_dict()


def read_events(lake: Lake, incident_id: str) -> list[dict[str, Any]]:
    """Every event of an incident, in write order."""
    events = []
    for key, _ in lake.list(events_prefix(incident_id)):
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


def batch_objects(lake: Lake, incident_id: str, channel: str) -> list[str]:
    """Every batch object of a channel, across all versions of the incident, oldest first."""
    keys = [key for key, _ in lake.list(f"incidents/{incident_id}/") if f"/batches/{channel}/batch-" in key]
    return sorted(keys, key=lambda k: (int(k.split("/v")[1].split("/")[0]), k))


def deliver_round(
    lake: Lake,
    incident_id: str,
    adapters: dict[str, DeliveryAdapter],
    round_key: str,
    *,
    per_second: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """One delivery round: take provider events, fall back from bounced email to post, send what was never sent."""
    from include.notices.batches import read_batch

    outputs: list[dict[str, Any]] = []
    known = read_events(lake, incident_id)
    people = fold(known)
    settle_unconfirmed(people)
    by_provider = {p.provider_id: k for k, p in people.items() if p.provider_id}
    incoming = []
    for adapter in adapters.values():
        for provider_id, status, detail in adapter.poll_events():
            if provider_id in by_provider:
                incoming.append(Event(by_provider[provider_id], status, adapter.channel, now_iso(), provider_id, detail))
    if stored := write_events(lake, incident_id, incoming, round_key):
        outputs.append(stored)
    people = fold(known + [e.as_dict() for e in incoming])
    settle_unconfirmed(people)

    limiter = RateLimiter(per_second, sleep=sleep)
    sent: Counter[str] = Counter()

    def send_chunk(channel: str, adapter: DeliveryAdapter, records: list[dict[str, Any]], fallback: bool = False) -> None:
        started = [
            Event(r["key"], "sending", channel, now_iso(), detail="postal fallback" if fallback else None) for r in records
        ]
        if stored := write_events(lake, incident_id, started, round_key):
            outputs.append(stored)
        outcomes = []
        for record in records:
            limiter.wait()
            try:
                provider_id = with_retries(lambda record=record: adapter.send(record), sleep=sleep)
            except PermanentDeliveryError as error:
                outcomes.append(Event(record["key"], "failed", channel, now_iso(), detail=str(error)[:120]))
                continue
            status = getattr(adapter, "handed_over_status", "sent")
            outcomes.append(Event(record["key"], status, channel, now_iso(), provider_id))
            sent[channel] += 1
        if hasattr(adapter, "flush"):
            adapter.flush()
        if stored := write_events(lake, incident_id, outcomes, round_key):
            outputs.append(stored)
        for event in started + outcomes:
            people[event.key] = PersonStatus(event.status, event.channel, event.provider_id)

    postal = adapters.get("postal")
    bounced = {k for k, p in people.items() if p.status == "bounced"}
    if bounced:
        fallback_records, to_substitute = [], []
        for key in batch_objects(lake, incident_id, "email"):
            for record in read_batch(lake, key):
                if record["key"] in bounced:
                    if record.get("letter_html") and postal is not None:
                        fallback_records.append({**record, "channel": "postal"})
                    else:
                        to_substitute.append(
                            Event(record["key"], "substitute", "substitute", now_iso(), detail="email bounced, no postal address")
                        )
        for start in range(0, len(fallback_records), CHUNK):
            send_chunk("postal", postal, fallback_records[start : start + CHUNK], fallback=True)
        if stored := write_events(lake, incident_id, to_substitute, round_key):
            outputs.append(stored)
        for event in to_substitute:
            people[event.key] = PersonStatus("substitute", "substitute")

    for channel in ("email", "postal"):
        adapter = adapters.get(channel)
        if adapter is None:
            continue
        for key in batch_objects(lake, incident_id, channel):
            pending = [r for r in read_batch(lake, key) if r["key"] not in people]
            for start in range(0, len(pending), CHUNK):
                send_chunk(channel, adapter, pending[start : start + CHUNK])
    covered = []
    for key in batch_objects(lake, incident_id, "substitute"):
        for record in read_batch(lake, key):
            if people.get(record["key"]) is None or people[record["key"]].status in ("failed", "bounced"):
                covered.append(Event(record["key"], "substitute", "substitute", now_iso(), detail=record.get("reason")))
    if stored := write_events(lake, incident_id, covered, round_key):
        outputs.append(stored)
    for event in covered:
        people[event.key] = PersonStatus("substitute", "substitute")
    counts = status_counts(people)
    summary = {
        "incident_id": incident_id,
        "round": round_key,
        "at": now_iso(),
        "sent_this_round": dict(sent),
        "status": counts,
        "unconfirmed": counts.get("unconfirmed", 0),
    }
    outputs.append(
        lake.put(f"incidents/{incident_id}/delivery/rounds/{round_key}.json", json.dumps(summary, indent=2).encode()).as_dict()
    )
    log.info("delivery round %s: sent %s; status %s", round_key, dict(sent), {k: v for k, v in counts.items() if v})
    return {"summary": summary, "outputs": outputs}
