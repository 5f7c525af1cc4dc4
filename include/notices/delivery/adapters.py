"""Delivery adapters: one interface for Amazon SES, SMTP and a file outbox for a mail house, with retries and a rate limit.

Every send ends in one of four ways, and the round records each differently:

- returns `Sent`: the provider took the message (its id, and the SMTP queue id where the relay gives one);
- `TransientDeliveryError`: certainly not taken (4xx, throttling, no connection): the person stays pending;
- `PermanentDeliveryError`: certainly not taken and never will be (5xx, an address the transport cannot carry);
- `UncertainDeliveryError` (or any other exception): the message may have gone; the person is held as unconfirmed.

The recipient is always the one address the strict parser accepted (`include.notices.addresses`), given to the
relay as the envelope; headers are built from it, never parsed back.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from include.notices.addresses import Mailbox, parse_mailbox
from include.notices.delivery.events import ProviderEvent, ack_events, ses_event
from include.notices.delivery.hpke import seal_for_recipient

QUEUE_ID = re.compile(r"(?:queued as|\bid[=:])\s*<?([A-Za-z0-9._@-]{4,64})>?", re.IGNORECASE)
SES_TRANSIENT = ("Throttling", "ThrottlingException", "ServiceUnavailable", "TooManyRequestsException", "RequestTimeout")


@dataclass(frozen=True)
class Sent:
    """What a provider said when it took a message."""

    provider_id: str
    detail: str | None = None


class TransientDeliveryError(RuntimeError):
    """Certainly not accepted, worth retrying (throttling, 4xx SMTP, no connection)."""


class PermanentDeliveryError(RuntimeError):
    """Certainly not accepted and not worth retrying (rejected address, 5xx SMTP)."""


class UnsupportedAddress(PermanentDeliveryError):
    """A valid address this transport cannot carry (SMTPUTF8 not offered): the notice goes by post instead."""


class UncertainDeliveryError(RuntimeError):
    """The provider may have accepted the message (connection lost after the data was sent)."""


class DeliveryAdapter(Protocol):
    """What every channel provider offers."""

    name: str
    channel: str

    def send(self, record: dict[str, Any]) -> Sent: ...
    def poll_events(self) -> list[ProviderEvent]: ...
    def acknowledge(self, events: list[ProviderEvent]) -> None: ...


def planned_id(adapter: Any, record: dict[str, Any], incident_id: str) -> str:
    """The id a message will carry, recorded in its `sending` event (a Message-ID, or the outbox id)."""
    if planner := getattr(adapter, "planned_id", None):
        return str(planner(record, incident_id))
    return f"<{record['key'][:32]}.{uuid.uuid4().hex[:12]}@notices.local>"


def mime_message(record: dict[str, Any], *, to: str | None = None) -> EmailMessage:
    """multipart/alternative MIME for an email batch record: the full text/plain part, then the HTML part."""
    message = EmailMessage(policy=policy.SMTP)
    sender = parse_mailbox(record["from"])
    if sender is None:
        raise PermanentDeliveryError("the sender address is not valid")
    recipient = to or record["to"]
    message["Subject"] = record["subject"]
    local, _, domain = sender.normalized.rpartition("@")
    message["From"] = Address(display_name=record.get("from_name") or "", username=local, domain=domain)
    local, _, domain = recipient.rpartition("@")
    message["To"] = Address(username=local, domain=domain)
    message["Message-ID"] = record.get("message_id") or f"<{record['key'][:32]}@notices.local>"
    message["X-Notice-Key"] = record["key"]
    if record.get("incident_id"):
        message["X-Notice-Incident"] = record["incident_id"]
    message["Content-Language"] = record.get("language", "en")
    message.set_content(record["text"])
    message.add_alternative(record["html"], subtype="html")
    return message


def recipient(record: dict[str, Any]) -> Mailbox:
    """The record's one validated recipient; PermanentDeliveryError when it is not exactly one valid address."""
    mailbox = parse_mailbox(record.get("to"))
    if mailbox is None:
        raise PermanentDeliveryError("the recipient is not exactly one valid address")
    return mailbox


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
    send: Callable[[], Any],
    *,
    attempts: int = 5,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    before_attempt: Callable[[], None] | None = None,
) -> Any:
    """Retry transient failures with exponential backoff; permanent failures and the last transient one propagate."""
    for attempt in range(attempts):
        if before_attempt is not None:
            before_attempt()
        try:
            return send()
        except TransientDeliveryError:
            if attempt == attempts - 1:
                raise
            sleep(base_delay * 2**attempt)
    raise AssertionError("unreachable")


class SesAdapter:
    """Amazon SES (SendRawEmail) with delivery, bounce and complaint events from an SNS-fed SQS queue.

    Give it a client without botocore retries (`total_max_attempts=1`): a retried request after a read timeout
    could send a second copy. Retries of what is certainly not sent happen in the round, with backoff.
    """

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

    def send(self, record: dict[str, Any]) -> Sent:
        """Send one MIME message to its one validated address; returns the SES message id."""
        from botocore import exceptions  # noqa: PLC0415 (botocore only for the SES transport)

        mailbox = recipient(record)
        if mailbox.ascii is None:
            raise UnsupportedAddress("SES does not carry addresses that need SMTPUTF8")
        kwargs: dict[str, Any] = {
            "Source": self.sender,
            "Destinations": [mailbox.ascii],
            "RawMessage": {"Data": mime_message(record, to=mailbox.ascii).as_bytes()},
            "Tags": [{"Name": "notice_key", "Value": record["key"][:64]}],
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            message_id = self.ses.send_raw_email(**kwargs)["MessageId"]
        except (exceptions.EndpointConnectionError, exceptions.ConnectTimeoutError) as error:
            raise TransientDeliveryError("SES endpoint unreachable") from error
        except (exceptions.ReadTimeoutError, exceptions.ConnectionClosedError) as error:
            raise UncertainDeliveryError("SES did not answer after the request was sent") from error
        except exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in SES_TRANSIENT:
                raise TransientDeliveryError(f"SES {code}") from None
            raise PermanentDeliveryError(f"SES rejected the message ({code})") from None
        self.message_keys[message_id] = record["key"]
        return Sent(message_id)

    def poll_events(self) -> list[ProviderEvent]:
        """Every notification waiting in the queue (Delivery, Bounce, Complaint, ...); deleted only by acknowledge."""
        if not (self.sqs and self.queue_url):
            return []
        events: list[ProviderEvent] = []
        seen: set[str] = set()
        while True:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=300
            )
            messages = [m for m in answer.get("Messages", []) if m["MessageId"] not in seen]
            if not messages:
                return events
            for message in messages:
                seen.add(message["MessageId"])
                events.append(ses_event(message["Body"], message["MessageId"], handle=message["ReceiptHandle"]))

    def acknowledge(self, events: list[ProviderEvent]) -> None:
        """Delete notifications from the queue once they are filed in the lake."""
        handles = [e.handle for e in events if e.handle]
        for start in range(0, len(handles), 10):
            entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start : start + 10])]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)


class SmtpAdapter:
    """SMTP (STARTTLS when offered) over one reused session; the envelope is the one validated address.

    Acceptance by the relay counts as sent; the relay's queue id is kept with the outcome. An address whose local
    part is not ASCII goes out with SMTPUTF8 when the relay offers it, and is refused (so sent by post) otherwise.
    """

    name = "smtp"
    channel = "email"

    def __init__(self, host: str, port: int, *, username: str | None = None, password: str | None = None, timeout: float = 30):
        self.host, self.port, self.username, self.password, self.timeout = host, port, username, password, timeout
        self.session: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.session is None:
            try:
                session = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                session.ehlo()
                if session.has_extn("starttls"):
                    session.starttls()
                    session.ehlo()
                if self.username:
                    session.login(self.username, self.password or "")
            except (OSError, smtplib.SMTPException) as error:
                raise TransientDeliveryError(f"SMTP connection failed ({type(error).__name__})") from None
            self.session = session
        return self.session

    def close(self) -> None:
        """End the session."""
        if self.session is not None:
            try:
                self.session.quit()
            except (OSError, smtplib.SMTPException):
                self.session.close()
            self.session = None

    def _drop(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def _refused(self, code: int, step: str) -> RuntimeError:
        if code == 421:
            self._drop()
        elif self.session is not None:
            try:
                self.session.rset()
            except (OSError, smtplib.SMTPException):
                self._drop()
        if 400 <= code < 500:
            return TransientDeliveryError(f"SMTP {code} at {step}")
        return PermanentDeliveryError(f"SMTP {code} at {step}")

    def _envelope(self, session: smtplib.SMTP, sender: str, to: str, utf8: bool) -> None:
        try:
            code, _ = session.mail(sender, ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else [])
            if code != 250:
                raise self._refused(code, "MAIL")
            code, _ = session.rcpt(to)
            if code not in (250, 251):
                raise self._refused(code, "RCPT")
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            self._drop()
            raise TransientDeliveryError(f"SMTP connection lost before the data ({type(error).__name__})") from None

    def send(self, record: dict[str, Any]) -> Sent:
        """Relay one message to its one validated address; returns its Message-ID and the relay's queue id."""
        mailbox = recipient(record)
        session = self._connect()
        utf8 = mailbox.needs_smtputf8
        if utf8 and not session.has_extn("smtputf8"):
            raise UnsupportedAddress("the relay does not offer SMTPUTF8")
        to = mailbox.normalized if utf8 else str(mailbox.ascii)
        message = mime_message(record, to=to)
        payload = message.as_bytes(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
        sender = str(parse_mailbox(record["from"]).normalized)  # type: ignore[union-attr]  # mime_message checked it
        self._envelope(session, sender, to, utf8)
        try:
            code, reply = session.data(payload)  # smtplib raises for the 354, but returns the final reply's code
        except smtplib.SMTPDataError as error:
            raise self._refused(error.smtp_code, "DATA") from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise UncertainDeliveryError(f"SMTP connection lost during the data ({type(error).__name__})") from None
        if code != 250:
            raise self._refused(code, "DATA")
        queued = QUEUE_ID.search(reply.decode(errors="replace"))
        return Sent(str(message["Message-ID"]), f"queue id {queued.group(1)}" if queued else None)

    def poll_events(self) -> list[ProviderEvent]:
        """SMTP gives no delivery events here (bounces would arrive as DSN mail)."""
        return []

    def acknowledge(self, events: list[ProviderEvent]) -> None:
        """Nothing to acknowledge."""


class FileOutboxAdapter:
    """Hands records to an external mail house or ESP as files, encrypted to the recipient's public key (HPKE).

    A chunk's records become one outbox file, written atomically (temp file, then rename), so a chunk is either
    handed over whole or not at all. The mail house acknowledges in `<outbox>/receipts/*.jsonl` (the format is in
    `include.notices.delivery.events.ack_events`); ingested files move to `receipts/ingested/`. A letter counts as
    mailed only when acknowledged; until then it is `handed_over`.
    """

    batched = True

    def __init__(
        self, directory: Path, channel: str, recipient_public_key: bytes | None, *, handed_over_status: str | None = None
    ):
        self.name = f"file-outbox-{channel}"
        self.directory = directory
        self.channel = channel
        self.public_key = recipient_public_key
        self.handed_over_status = handed_over_status or ("handed_over" if channel == "postal" else "sent")
        self.pending: list[dict[str, Any]] = []

    def planned_id(self, record: dict[str, Any], incident_id: str) -> str:
        """The outbox id: the incident, the channel and the person's notice key (what acknowledgements name)."""
        return f"{incident_id}:{self.channel}:{record['key']}"

    def send(self, record: dict[str, Any]) -> Sent:
        """Queue one record for the next outbox file; returns its outbox id."""
        outbox_id = record.get("message_id") or self.planned_id(record, record.get("incident_id", ""))
        self.pending.append({"id": outbox_id, **{k: v for k, v in record.items() if k != "message_id"}})
        return Sent(outbox_id)

    def flush(self) -> Path | None:
        """Write queued records as one encrypted outbox file, atomically."""
        if not self.pending:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in self.pending).encode()
        name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{self.channel}-{uuid.uuid4().hex[:8]}.jsonl"
        if self.public_key is not None:
            payload = seal_for_recipient(payload, self.public_key, info=name.encode())
            name += ".hpke"
        temporary = self.directory / f".tmp-{name}"
        temporary.write_bytes(payload)
        os.chmod(temporary, 0o600)
        path = self.directory / name
        os.replace(temporary, path)
        self.pending = []
        return path

    def discard(self) -> None:
        """Forget queued records (their file was not written)."""
        self.pending = []

    def poll_events(self) -> list[ProviderEvent]:
        """Acknowledgements the mail house dropped into the outbox (each line checked; bad lines are reported)."""
        receipts = self.directory / "receipts"
        events: list[ProviderEvent] = []
        for path in sorted(receipts.glob("*.jsonl")) if receipts.exists() else []:
            events.extend(ack_events(path.read_bytes(), source=self.name, handle=str(path)))
        return events

    def acknowledge(self, events: list[ProviderEvent]) -> None:
        """Move ingested acknowledgement files aside."""
        for handle in sorted({e.handle for e in events if e.handle}):
            path = Path(handle)
            if path.exists():
                (path.parent / "ingested").mkdir(exist_ok=True)
                os.replace(path, path.parent / "ingested" / path.name)
