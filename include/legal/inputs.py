"""The incident and affected-people inputs the obligations engine applies the rules to (INCIDENT.json, AFFECTED.json)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from include.magento.geography import EEA_COUNTRIES
from include.pii.map import fideslang_categories

ENTITY_TYPES = ("nydfs_covered", "glba_financial_institution")
JURISDICTION = re.compile(r"^(US-[A-Z]{2}|EU-[A-Z]{2}|OTHER-[A-Z]{2}|UNKNOWN)$")
INCIDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")


class InputError(ValueError):
    """An input document is invalid; the message names the field and fits on one line."""


FIELD_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def first_error(error: ValidationError, prefix: str = "") -> str:
    """One line naming the first invalid field."""
    detail = error.errors(include_input=False)[0]
    # A key the sender made up is named only when it looks like a field name (it could hold a newline or an email).
    location = ".".join(str(p) if FIELD_NAME.fullmatch(str(p)) else "<field>" for p in detail["loc"])
    message = (detail["msg"].removeprefix("Value error, ").splitlines() or ["invalid"])[0]
    return f"{prefix}{location}: {message}" if location else f"{prefix}{message}"


class LawEnforcementDelay(BaseModel):
    """A law-enforcement request to delay notice (agency, from, until)."""

    model_config = ConfigDict(extra="forbid")
    agency: str = Field(min_length=2, max_length=200)
    start: AwareDatetime
    end: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LawEnforcementDelay:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class Incident(BaseModel):
    """The incident facts the obligations engine needs (INCIDENT.json)."""

    model_config = ConfigDict(extra="ignore")
    incident_id: str
    discovered_at: AwareDatetime
    determined_at: AwareDatetime | None = None
    scope_identified_at: AwareDatetime | None = None
    breach_start: AwareDatetime | None = None
    breach_end: AwareDatetime | None = None
    entity_types: list[Literal["nydfs_covered", "glba_financial_institution"]] = Field(default_factory=list)
    law_enforcement_delay: LawEnforcementDelay | None = None

    @field_validator("incident_id")
    @classmethod
    def _incident_id(cls, value: str) -> str:
        if not INCIDENT_ID.match(value):
            raise ValueError("use 3-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        return value

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
    jurisdiction: str
    count: int = Field(ge=0)
    data_elements: list[str]
    encrypted: bool = False
    key_compromised: bool = False
    encrypted_elements: list[str] = Field(default_factory=list)

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        if not JURISDICTION.match(value):
            raise ValueError("use US-<state>, EU-<country>, OTHER-<country> or UNKNOWN")
        if value.startswith("EU-") and value[3:] not in EEA_COUNTRIES:
            raise ValueError(f"{value[3:]} is not an EU/EEA country")
        return value

    @field_validator("data_elements", "encrypted_elements")
    @classmethod
    def _categories(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in fideslang_categories()]
        if unknown:
            raise ValueError(f"not a fideslang data category: {unknown[0]}")
        return values


class Affected(BaseModel):
    """AFFECTED.json: counts of affected people by jurisdiction and data elements."""

    model_config = ConfigDict(extra="forbid")
    groups: list[AffectedGroup]


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
