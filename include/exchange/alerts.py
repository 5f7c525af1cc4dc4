"""SIEM alert adapters: an OCSF Detection Finding, a Splunk alert webhook or an Elastic alert -> a suspected incident.

Each adapter keeps only what triage needs and carries no personal data: the sender's alert id, the rule, a title
with anything that looks like an email, a card or account number or an IP address redacted, severity, times, a
count, and compromised tables when the alert names PII-map tables. Result rows, owners, links and descriptions
are never stored. The format is recognised from the body: `class_uid` (OCSF), `sid` (Splunk), `kibana.alert.uuid`
flat or nested (Elastic).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from include.detection.suspects import Evidence, SuspectedIncident
from include.pii.map import load_pii_map

Level = Literal["informational", "low", "medium", "high", "critical"]
LEVELS: tuple[Level, ...] = ("informational", "low", "medium", "high", "critical")
OCSF_LEVELS: dict[int, Level] = {1: "informational", 2: "low", 3: "medium", 4: "high", 5: "critical", 6: "critical"}
EPOCH_MS_MAX = 4_102_444_800_000  # 2100-01-01
REDACTIONS = (
    re.compile(r"[^\s@]+@[^\s@]+"),  # email addresses
    re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),  # IPv4 addresses
    re.compile(r"[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{0,4}){2,7}"),  # IPv6 addresses
    re.compile(r"\d(?:[ -]?\d){5,}"),  # card, account, phone and id numbers (6+ digits)
)
FLATTEN_DEPTH = 8
SAFE_FIELD = re.compile(r"@timestamp|[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,4}")
SLUG = re.compile(r"[^a-z0-9_.-]+")
AlertFormat = Literal["ocsf", "splunk", "elastic"]


class AlertError(ValueError):
    """An alert body is not one of the accepted formats; one line naming the field, never its value."""


def redact(text: str) -> str:
    """The text with emails, IP addresses and long digit runs replaced by [redacted]."""
    for pattern in REDACTIONS:
        text = pattern.sub("[redacted]", text)
    return " ".join(text.split())[:300] or "untitled alert"


def slug(text: str | None, default: str) -> str:
    """A category: lower-case letters, digits, '_', '.', '-', at most 64."""
    value = SLUG.sub("_", (text or "").strip().lower()).strip("_")[:64]
    return value or default


def pii_tables(names: Sequence[str | None]) -> list[str]:
    """The names that are PII-map tables, in order, once each."""
    known = load_pii_map().tables
    return list(dict.fromkeys(n for n in names if n and n in known))[:100]


def from_epoch_ms(value: int) -> datetime:
    """A UTC moment from epoch milliseconds."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string with an offset")
    return value


IsoTime = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_text_only)]


class _Lenient(BaseModel):
    """Unknown fields are ignored (SIEMs add their own); known ones are typed strictly (no "5" for 5)."""

    model_config = ConfigDict(extra="ignore", strict=True)


class OcsfAnalytic(_Lenient):
    """The rule or analytic that produced an OCSF finding."""

    uid: str | None = Field(default=None, max_length=128)
    name: str | None = Field(default=None, max_length=300)


class OcsfFindingInfo(_Lenient):
    """OCSF finding_info: the finding's own id (required) and what it is."""

    uid: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=1000)
    analytic: OcsfAnalytic | None = None
    types: list[Annotated[str, Field(max_length=128)]] = Field(default_factory=list, max_length=20)
    first_seen_time: int | None = Field(default=None, ge=0, le=EPOCH_MS_MAX)
    last_seen_time: int | None = Field(default=None, ge=0, le=EPOCH_MS_MAX)


class OcsfResource(_Lenient):
    """An affected resource (a PII-map table name makes it a compromised table)."""

    name: str | None = Field(default=None, max_length=256)
    type: str | None = Field(default=None, max_length=128)


class OcsfFinding(_Lenient):
    """OCSF 1.x Detection Finding (class_uid 2004): the fields triage uses; the rest is ignored."""

    class_uid: Literal[2004]
    activity_id: int | None = Field(default=None, ge=0, le=99)
    time: int = Field(ge=0, le=EPOCH_MS_MAX, description="event time, epoch milliseconds")
    severity_id: int = Field(ge=0, le=99)
    finding_info: OcsfFindingInfo
    resources: list[OcsfResource] = Field(default_factory=list, max_length=100)
    count: int | None = Field(default=None, ge=1, le=1_000_000_000)

    def to_suspect(self, sender: str, received_at: datetime) -> SuspectedIncident:
        """The suspected incident this finding reports."""
        info = self.finding_info
        first = from_epoch_ms(info.first_seen_time or self.time)
        last = max(first, from_epoch_ms(info.last_seen_time or self.time))
        analytic = info.analytic or OcsfAnalytic()
        rule = analytic.uid or analytic.name
        return SuspectedIncident(
            source="siem",
            sender=sender,
            dedupe_key=f"ocsf:{info.uid}",
            rule_id=redact(rule)[:128] if rule else None,
            category=slug(info.types[0] if info.types else None, "siem_alert"),
            level=OCSF_LEVELS.get(self.severity_id, "medium"),
            title=redact(info.title or analytic.name or "OCSF detection finding"),
            first_seen=first,
            last_seen=last,
            count=self.count or 1,
            compromised_tables=pii_tables([r.name for r in self.resources]),
            evidence=[Evidence(reference=f"ocsf finding {info.uid}"[:256])],
        )


class SplunkAlert(_Lenient):
    """The body of Splunk's webhook alert action (sid, search_name, app, owner, results_link, first result row)."""

    sid: str = Field(min_length=1, max_length=200)
    search_name: str | None = Field(default=None, max_length=1000)
    app: str | None = Field(default=None, max_length=200)
    result: dict[str, Any] = Field(default_factory=dict, max_length=500)

    def _result_time(self, received_at: datetime) -> datetime:
        raw = self.result.get("_time")
        try:
            if isinstance(raw, int | float) or (isinstance(raw, str) and re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,9})?", raw)):
                moment = datetime.fromtimestamp(float(raw), tz=UTC)
            elif isinstance(raw, str):
                moment = datetime.fromisoformat(raw)
            else:
                return received_at
        except (ValueError, OverflowError, OSError):
            return received_at
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def to_suspect(self, sender: str, received_at: datetime) -> SuspectedIncident:
        """The suspected incident this alert reports (only _time, urgency/severity, count and table of the row)."""
        urgency = str(self.result.get("urgency") or self.result.get("severity") or "").lower()
        level: Level = next((v for v in LEVELS if v == urgency), "medium")
        count = str(self.result.get("count") or "1")
        seen = self._result_time(received_at)
        return SuspectedIncident(
            source="siem",
            sender=sender,
            dedupe_key=f"splunk:{self.sid}",
            rule_id=redact(self.search_name)[:128] if self.search_name else None,
            category="siem_alert",
            level=level,
            title=redact(self.search_name or "Splunk alert"),
            first_seen=seen,
            last_seen=seen,
            count=int(count) if re.fullmatch(r"[1-9][0-9]{0,8}", count) else 1,
            compromised_tables=pii_tables([str(self.result.get("table") or "") or None]),
            evidence=[Evidence(reference=f"splunk sid {self.sid}"[:256])],
        )


def _flatten(value: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item and depth < FLATTEN_DEPTH:
            flat.update(_flatten(item, name + ".", depth + 1))
        else:
            flat[name] = item[0] if isinstance(item, list) and len(item) == 1 else item
    return flat


class ElasticAlert(_Lenient):
    """An Elastic Security alert document (`kibana.alert.*` fields, flat as the fields API gives them or nested)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, strict=True)
    alert_uuid: str = Field(alias="kibana.alert.uuid", min_length=1, max_length=200)
    rule_name: str = Field(alias="kibana.alert.rule.name", min_length=1, max_length=1000)
    rule_uuid: str | None = Field(default=None, alias="kibana.alert.rule.uuid", max_length=128)
    severity: Literal["low", "medium", "high", "critical"] | None = Field(default=None, alias="kibana.alert.severity")
    timestamp: IsoTime = Field(alias="@timestamp")
    original_time: IsoTime | None = Field(default=None, alias="kibana.alert.original_time")

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, value: Any) -> Any:
        return _flatten(value) if isinstance(value, dict) else value

    def to_suspect(self, sender: str, received_at: datetime) -> SuspectedIncident:
        """The suspected incident this alert reports."""
        first = min(self.original_time or self.timestamp, self.timestamp)
        return SuspectedIncident(
            source="siem",
            sender=sender,
            dedupe_key=f"elastic:{self.alert_uuid}",
            rule_id=redact(self.rule_uuid or self.rule_name)[:128],
            category="siem_alert",
            level=self.severity or "medium",
            title=redact(self.rule_name),
            first_seen=first,
            last_seen=self.timestamp,
            count=1,
            evidence=[Evidence(reference=f"elastic alert {self.alert_uuid}"[:256])],
        )


def alert_format(value: Any) -> str | None:
    """Which adapter a body is for, from the fields only that format has."""
    if isinstance(value, OcsfFinding | SplunkAlert | ElasticAlert):
        return {OcsfFinding: "ocsf", SplunkAlert: "splunk", ElasticAlert: "elastic"}[type(value)]
    if not isinstance(value, dict):
        return None
    if "class_uid" in value:
        return "ocsf"
    if "sid" in value:
        return "splunk"
    if "kibana.alert.uuid" in value or isinstance(value.get("kibana"), dict):
        return "elastic"
    return None


Alert = Annotated[
    Annotated[OcsfFinding, Tag("ocsf")] | Annotated[SplunkAlert, Tag("splunk")] | Annotated[ElasticAlert, Tag("elastic")],
    Discriminator(
        alert_format,
        custom_error_type="alert_format",
        custom_error_message="unrecognised alert: send an OCSF Detection Finding (class_uid 2004), "
        "a Splunk alert webhook (sid) or an Elastic alert (kibana.alert.uuid)",
    ),
]
ALERT_ADAPTER: TypeAdapter[OcsfFinding | SplunkAlert | ElasticAlert] = TypeAdapter(Alert)


def _location_part(part: object) -> str:
    """A field name as sent only when it looks like one (an unexpected key could be anything, even an email)."""
    text = str(part)
    return text if SAFE_FIELD.fullmatch(text) else "<field>"


def error_line(errors: list[Any], prefix: tuple[str, ...] = ()) -> str:
    """One line naming the first invalid field and what is wrong with it (never the value sent)."""
    detail = errors[0]
    parts = [*prefix, *detail.get("loc", ())]
    if detail.get("type") == "extra_forbidden" and parts:
        parts[-1] = "<unexpected>"  # the key is the sender's, and could be anything
    location = ".".join(_location_part(part) if part != "<unexpected>" else part for part in parts)
    message = str(detail.get("msg", "invalid")).removeprefix("Value error, ").splitlines()[0][:200]
    return f"{location}: {message}" if location else message


def parse_alert(body: bytes) -> OcsfFinding | SplunkAlert | ElasticAlert:
    """The alert in a request body, or AlertError naming the first bad field (parsed as the API parses it)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise AlertError("body: not valid JSON") from None
    try:
        return ALERT_ADAPTER.validate_python(document)
    except ValidationError as error:
        raise AlertError(error_line(error.errors(include_input=False), ("body",))) from None


def format_of(alert: OcsfFinding | SplunkAlert | ElasticAlert) -> AlertFormat:
    """The format name of a parsed alert."""
    return "ocsf" if isinstance(alert, OcsfFinding) else "splunk" if isinstance(alert, SplunkAlert) else "elastic"
