"""Delivery adapters: one interface for Amazon SES, SMTP and a file outbox for a mail house, with retries and a rate limit."""

from __future__ import annotations

import email
import json
import os
import smtplib
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any, Protocol

from include.notices.delivery.hpke import seal_for_recipient


def mime_message(record: dict[str, Any], *, domain: str = "notices.local") -> str:
    """multipart/alternative MIME for an email batch record: the full text/plain part, then the HTML part."""
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
        from botocore.exceptions import ClientError, EndpointConnectionError  # noqa: PLC0415 (botocore only for the SES transport)

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
        events: list[tuple[str, str, str | None]] = []
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
