"""The incident and affected-people inputs the obligations engine applies the rules to (INCIDENT.json, AFFECTED.json)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from include.magento.geography import EEA_COUNTRIES
from include.pii.map import fideslang_categories

EntityType = Literal["nydfs_covered", "glba_financial_institution", "insurance_licensee", "sec_registrant", "card_merchant"]
ENTITY_TYPES: tuple[str, ...] = get_args(EntityType)
JURISDICTION = re.compile(r"US-[A-Z]{2}|EU-[A-Z]{2}|OTHER-[A-Z]{2}|UNKNOWN")
INCIDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_STRING = 4000
MAX_ELEMENTS = 200
MAX_GROUPS = 100_000
MAX_COUNT = 10_000_000_000


class InputError(ValueError):
    """An input document is invalid; the message names the field and fits on one line."""


def canonical_incident_id(value: str) -> str:
    """An incident id in its one canonical form (upper case); ValueError unless it is 3-64 safe characters."""
    if not isinstance(value, str) or not INCIDENT_ID.fullmatch(value):
        raise ValueError("use 3-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return value.upper()


def sane_moment(value: datetime | None) -> datetime | None:
    """A date-time within 1970-2099 (later ones overflow the deadline arithmetic); ValueError otherwise."""
    if value is not None and not EARLIEST <= value < LATEST:
        raise ValueError("must be between 1970-01-01 and 2099-12-31")
    return value


FIELD_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def first_error(error: ValidationError, prefix: str = "") -> str:
    """One line naming the first invalid field."""
    detail = error.errors(include_input=False, include_url=False)[0]
    # A key the sender made up is named only when it looks like a field name (it could hold a newline or an email).
    location = ".".join(str(p) if FIELD_NAME.fullmatch(str(p)) else "<field>" for p in detail["loc"])
    location = _one_line(location, 120)
    message = _one_line(detail["msg"].removeprefix("Value error, "), 300)
    return f"{prefix}{location}: {message}" if location else f"{prefix}{message}"


def _one_line(text: str, limit: int) -> str:
    """Text safe for a one-line error: control characters escaped, at most limit characters."""
    cleaned = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


class LawEnforcementDelay(BaseModel):
    """A law-enforcement request to delay notice (agency, from, until)."""

    model_config = ConfigDict(extra="forbid")
    agency: str = Field(min_length=2, max_length=200)
    start: AwareDatetime
    end: AwareDatetime | None = None

    @field_validator("start", "end")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return sane_moment(value)

    @model_validator(mode="after")
    def _ordered(self) -> LawEnforcementDelay:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


def timezone_name(value: str | None) -> str | None:
    """An IANA time zone name, checked."""
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("use an IANA time zone name such as America/Los_Angeles") from None
    return value


class HarmDetermination(BaseModel):
    """A documented determination that a breach is not reasonably likely to harm one jurisdiction's residents."""

    model_config = ConfigDict(extra="forbid")
    jurisdiction: str = Field(pattern=r"^(US-[A-Z]{2}|EU-[A-Z]{2}|OTHER-[A-Z]{2})$")
    determined_at: AwareDatetime
    documented: bool = True
    law_enforcement_consulted: bool = False


class Materiality(BaseModel):
    """The materiality determination of a cybersecurity incident (SEC Form 8-K Item 1.05)."""

    model_config = ConfigDict(extra="forbid")
    material: bool
    determined_at: AwareDatetime


class Incident(BaseModel):
    """The incident facts the obligations engine needs (INCIDENT.json)."""

    model_config = ConfigDict(extra="ignore", str_max_length=MAX_STRING)
    incident_id: str
    discovered_at: AwareDatetime
    determined_at: AwareDatetime | None = None
    scope_identified_at: AwareDatetime | None = None
    breach_start: AwareDatetime | None = None
    breach_end: AwareDatetime | None = None
    entity_types: list[EntityType] = Field(default_factory=list, max_length=len(ENTITY_TYPES))
    law_enforcement_delay: LawEnforcementDelay | None = None
    business_timezone: str | None = None
    aware_at: AwareDatetime | None = None
    risk_of_harm_determinations: list[HarmDetermination] = Field(default_factory=list)
    materiality: Materiality | None = None
    extortion_paid_at: AwareDatetime | None = None

    @field_validator("business_timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return timezone_name(value)

    @field_validator("incident_id")
    @classmethod
    def _incident_id(cls, value: str) -> str:
        return canonical_incident_id(value)

    @field_validator("discovered_at", "determined_at", "scope_identified_at", "breach_start", "breach_end")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return sane_moment(value)

    @model_validator(mode="after")
    def _timeline(self) -> Incident:
        if self.breach_start and self.breach_end and self.breach_end < self.breach_start:
            raise ValueError("breach_end is before breach_start")
        if self.breach_start and self.breach_start > self.discovered_at:
            raise ValueError("breach_start is after discovered_at")
        for name in ("determined_at", "scope_identified_at"):
            value = getattr(self, name)
            if value is not None and value < self.discovered_at:
                raise ValueError(f"{name} is before discovered_at")
        return self


class AffectedGroup(BaseModel):
    """Residents of one jurisdiction sharing the same exposed data elements."""

    model_config = ConfigDict(extra="forbid")
    jurisdiction: str = Field(max_length=16)
    count: int = Field(ge=0, le=MAX_COUNT)
    data_elements: list[str] = Field(max_length=MAX_ELEMENTS)
    encrypted: bool = False
    key_compromised: bool = False
    encrypted_elements: list[str] = Field(default_factory=list, max_length=MAX_ELEMENTS)

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        if not JURISDICTION.fullmatch(value):
            raise ValueError("use US-<state>, EU-<country>, OTHER-<country> or UNKNOWN")
        if value.startswith("EU-") and value[3:] not in EEA_COUNTRIES:
            raise ValueError(f"{value[3:]} is not an EU/EEA country")
        return value

    @field_validator("data_elements", "encrypted_elements")
    @classmethod
    def _categories(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in fideslang_categories()]
        if unknown:
            raise ValueError(f"not a fideslang data category: {unknown[0][:64]!r}")
        return values


class Affected(BaseModel):
    """AFFECTED.json: counts of affected people by jurisdiction and data elements."""

    model_config = ConfigDict(extra="forbid")
    groups: list[AffectedGroup] = Field(max_length=MAX_GROUPS)


def parse_incident(document: Any) -> Incident:
    """Validate INCIDENT.json; InputError names the bad field."""
    try:
        return Incident.model_validate(document)
    except ValidationError as error:
        raise InputError(first_error(error)) from None


def parse_affected(document: Any) -> Affected:
    """Validate AFFECTED.json; InputError names the bad field."""
    try:
        return Affected.model_validate(document)
    except ValidationError as error:
        raise InputError(first_error(error)) from None
