"""Intake: authenticate a signed request, then record a SIEM alert or a processor's report as a suspected incident.

The order is fixed so that a refused request writes nothing: headers and freshness, the sender and its signature,
the body (validated by the caller), and only then the replay guard and the suspected incident. Nothing is
triggered here: a suspected incident waits for triage like one from the detection DAG.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from include.detection.suspects import Evidence, SuspectedIncident, record_suspect
from include.exchange import signing
from include.exchange.alerts import ElasticAlert, IsoTime, OcsfFinding, SplunkAlert, format_of, pii_tables, redact
from include.exchange.registry import Processor, RegistryError, SiemSender, find_processor, find_sender
from include.exchange.signing import AuthError
from include.lake.store import Lake

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024
NAME = r"^[A-Za-z0-9._:-]{1,128}$"


@dataclass(frozen=True)
class SignedRequest:
    """The signature headers and what was signed."""

    sender: str | None
    timestamp: str | None
    signature: str | None
    method: str
    path: str
    body: bytes


@dataclass(frozen=True)
class Authenticated:
    """A request whose signature checked out (not yet claimed against replays)."""

    kind: Literal["siem", "processor"]
    name: str
    timestamp: int
    signature: str


class Receipt(BaseModel):
    """What the API answers when a report is accepted."""

    suspect_id: str = Field(description="the suspected incident's id (the same for every resend of one alert)")
    created: bool = Field(description="false when this alert or report was already recorded")
    format: Literal["ocsf", "splunk", "elastic", "processor-report"]


class ProcessorReport(BaseModel):
    """A processor's report of a breach on its side (no personal data: counts, methods, tables, references)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    report_id: str = Field(pattern=NAME, description="the processor's own id for this report (idempotency key)")
    title: str = Field(min_length=1, max_length=300)
    category: str = Field(default="processor_breach", pattern=r"^[a-z0-9_.-]{1,64}$")
    level: Literal["informational", "low", "medium", "high", "critical"] = "high"
    first_seen: IsoTime
    last_seen: IsoTime | None = None
    affected_count: int = Field(default=1, ge=1, le=1_000_000_000)
    payment_methods: list[str] = Field(default_factory=list, max_length=20)
    compromised_tables: list[str] = Field(default_factory=list, max_length=100)
    references: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> ProcessorReport:
        if self.last_seen is not None and self.last_seen < self.first_seen:
            raise ValueError("last_seen is before first_seen")
        for name, values, pattern in (
            ("payment_methods", self.payment_methods, r"[a-z0-9_]{1,64}"),
            ("references", self.references, NAME.strip("^$")),
        ):
            if any(not re.fullmatch(pattern, v) for v in values):
                raise ValueError(f"{name}: each must match {pattern}")
        known = set(pii_tables(self.compromised_tables))
        if unknown := [i for i, t in enumerate(self.compromised_tables) if t not in known]:
            raise ValueError(f"compromised_tables.{unknown[0]}: not a table of the PII map")
        return self

    def to_suspect(self, processor: str) -> SuspectedIncident:
        """The suspected incident this report raises, naming the processor."""
        return SuspectedIncident(
            source="processor",
            sender=processor,
            dedupe_key=f"report:{self.report_id}",
            category=self.category,
            level=self.level,
            title=redact(self.title),
            first_seen=self.first_seen,
            last_seen=self.last_seen or self.first_seen,
            count=self.affected_count,
            compromised_tables=self.compromised_tables,
            evidence=[Evidence(reference=f"{processor} report {r}"[:256]) for r in [self.report_id, *self.references]],
        )


def authenticate_siem(request: SignedRequest, now: float | None = None) -> tuple[Authenticated, SiemSender]:
    """A SIEM sender's HMAC over timestamp and body, fresh and from a registered sender."""
    name = signing.check_sender(request.sender)
    stamp = signing.check_timestamp(request.timestamp, now)
    try:
        sender = find_sender(name)
    except RegistryError as error:
        log.error("sender registration unusable: %s", error)
        sender = None
    if sender is None:
        raise AuthError("X-Breach-Signature: does not match")  # an unknown sender looks like a bad signature
    signing.verify_hmac(sender.secret, signing.alert_message(str(request.timestamp), request.body), request.signature)
    return Authenticated("siem", name, stamp, str(request.signature)), sender


def authenticate_processor(request: SignedRequest, now: float | None = None) -> tuple[Authenticated, Processor]:
    """A processor's Ed25519 signature over timestamp, method, path and body, fresh and from a registered processor."""
    name = signing.check_sender(request.sender)
    stamp = signing.check_timestamp(request.timestamp, now)
    try:
        processor = find_processor(name)
    except RegistryError as error:
        log.error("processor registration unusable: %s", error)
        processor = None
    if processor is None:
        raise AuthError("X-Breach-Signature: does not match")
    message = signing.processor_message(str(request.timestamp), request.method, request.path, request.body)
    signing.verify_ed25519(processor.signing_public_key, message, request.signature)
    return Authenticated("processor", name, stamp, str(request.signature)), processor


def claim(lake: Lake, auth: Authenticated) -> None:
    """Refuse a signed request seen before (409); otherwise remember it."""
    if not signing.claim_request(lake, auth.timestamp, signing.replay_digest(auth.kind, auth.name, auth.signature)):
        raise AuthError("X-Breach-Signature: already used (replayed request)", status=409)


def record_alert(lake: Lake, auth: Authenticated, sender: SiemSender, alert: OcsfFinding | SplunkAlert | ElasticAlert) -> Receipt:
    """Record a SIEM alert as a suspected incident, once per sender and alert id."""
    fmt = format_of(alert)
    if fmt not in sender.formats:
        raise AuthError(f"body: format {fmt} is not registered for this sender", status=403)
    claim(lake, auth)
    suspect_id, created = record_suspect(lake, alert.to_suspect(sender.name, datetime.now(UTC)))
    log.info("alert accepted: sender=%s format=%s suspect=%s created=%s", sender.name, fmt, suspect_id, created)
    return Receipt(suspect_id=suspect_id, created=created, format=fmt)


def record_report(lake: Lake, auth: Authenticated, processor: Processor, report: ProcessorReport) -> Receipt:
    """Record a processor's breach report as a suspected incident naming the processor."""
    claim(lake, auth)
    suspect_id, created = record_suspect(lake, report.to_suspect(processor.name))
    log.info("processor report accepted: processor=%s suspect=%s created=%s", processor.name, suspect_id, created)
    return Receipt(suspect_id=suspect_id, created=created, format="processor-report")
