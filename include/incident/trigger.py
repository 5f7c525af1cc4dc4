"""The incident trigger: what responders send (form, REST API, SIEM, breachctl), validated again before any work."""

from __future__ import annotations

import posixpath
import re
from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from include.lake import keys
from include.legal.inputs import MAX_ELEMENTS, Incident, InputError, first_error, sane_moment
from include.pii.map import fideslang_categories, load_pii_map

ScopeKind = Literal["all_rows", "orders_window", "customer_updates_window", "sessions_window", "lake_file", "access_log"]
ScopeFileKind = Literal["customer_ids", "order_increment_ids", "emails"]
SCOPE_KINDS: tuple[ScopeKind, ...] = get_args(ScopeKind)
SCOPE_FILE_KINDS: tuple[ScopeFileKind, ...] = get_args(ScopeFileKind)
SCOPE_FILE_KEY = re.compile(r"incidents/_inputs/[A-Za-z0-9._-]+/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.(csv|txt|json)\.enc")
MAX_TABLES = 100


def scope_file_key(incident_id: str, key: str) -> str:
    """A scope file's lake key, normalised; ValueError unless it is an encrypted file in the incident's own input folder."""
    normalised = posixpath.normpath(key) if key else key
    folder = keys.incident_inputs(incident_id)
    if not SCOPE_FILE_KEY.fullmatch(normalised or "") or not normalised.startswith(folder):
        raise ValueError(f"must be an encrypted .csv, .txt or .json file directly under {folder} (as upload-scope prints it)")
    if "/" in normalised.removeprefix(folder):
        raise ValueError(f"must be a file directly under {folder}")
    return normalised


class IncidentTrigger(Incident):
    """Everything a breach_incident run needs, with cross-field rules; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")
    compromised_tables: list[str] = Field(min_length=1, max_length=MAX_TABLES)
    data_elements: list[str] = Field(default_factory=list, max_length=MAX_ELEMENTS)
    encrypted: bool = False
    key_compromised: bool = False
    scope_kind: ScopeKind = "all_rows"
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    scope_file: str | None = Field(default=None, max_length=300)
    scope_file_kind: ScopeFileKind | None = None
    access_log: str | None = Field(default=None, max_length=1024)
    access_log_client: str | None = Field(default=None, max_length=64, pattern=r"^[0-9A-Fa-f:.]+$")
    notes: str | None = Field(default=None, max_length=4000)
    notice_description: str | None = Field(default=None, max_length=4000)

    @field_validator("compromised_tables")
    @classmethod
    def _known_tables(cls, tables: list[str]) -> list[str]:
        known = load_pii_map().tables
        for table in tables:
            if table not in known:
                raise ValueError(f"unknown table {table[:64]!r}; choose tables from the PII map")
        return list(dict.fromkeys(tables))

    @field_validator("data_elements")
    @classmethod
    def _known_elements(cls, elements: list[str]) -> list[str]:
        for element in elements:
            if element not in fideslang_categories():
                raise ValueError(f"unknown data element {element[:64]!r}; use fideslang categories")
        return elements

    @field_validator("window_start", "window_end")
    @classmethod
    def _window_in_range(cls, value: datetime | None) -> datetime | None:
        return sane_moment(value)

    @field_validator("scope_file")
    @classmethod
    def _scope_file(cls, key: str | None, info: ValidationInfo) -> str | None:
        if key is None:
            return None
        if "incident_id" not in info.data:
            raise ValueError("cannot be checked without a valid incident_id")
        return scope_file_key(info.data["incident_id"], key)

    @model_validator(mode="after")
    def _scope(self) -> IncidentTrigger:
        if self.scope_kind.endswith("_window"):
            if self.window_start is None or self.window_end is None:
                raise ValueError(f"window_start and window_end are required for scope_kind {self.scope_kind}")
            if self.window_end < self.window_start:
                raise ValueError("window_end is before window_start")
        if self.scope_kind == "lake_file" and (self.scope_file is None or self.scope_file_kind is None):
            raise ValueError("scope_file and scope_file_kind are required for scope_kind lake_file")
        if self.scope_kind == "access_log" and (self.access_log is None or self.access_log_client is None):
            raise ValueError("access_log and access_log_client are required for scope_kind access_log")
        if (
            self.key_compromised
            and not self.encrypted
            and not any(c.encrypted for t in self.compromised_tables for c in load_pii_map().tables[t].columns.values())
        ):
            raise ValueError("key_compromised is set but nothing compromised was encrypted")
        return self


def validate_trigger(conf: dict[str, Any]) -> IncidentTrigger:
    """The trigger, or InputError naming the first bad field. Empty values from the form count as absent."""
    cleaned = {k: v for k, v in (conf or {}).items() if v not in (None, "", [])}
    law_enforcement = {k: cleaned.pop(f"le_{k}") for k in ("agency", "start", "end") if f"le_{k}" in cleaned}
    if law_enforcement:
        cleaned["law_enforcement_delay"] = law_enforcement
    try:
        return IncidentTrigger.model_validate(cleaned)
    except ValidationError as error:
        raise InputError(first_error(error, "invalid trigger: ")) from None


def public_parameters(trigger: IncidentTrigger) -> dict[str, Any]:
    """The trigger without internal notes, safe for logs, XCom and the audit trail."""
    return trigger.model_dump(mode="json", exclude={"notes"})


def trigger_from(document: dict[str, Any]) -> IncidentTrigger:
    """Rebuild a validated trigger from its public form (as passed between tasks)."""
    return IncidentTrigger.model_validate(document)
