"""The rule-file schema (v2): what the engine reads from include/legal/jurisdictions/*.yaml, checked when rules load.

Only the fields the engine acts on are typed strictly; documentation fields (sources, quotes, review, notes) may be
added freely. A file that breaks the schema fails loading with its name and the first bad field, so a typo in a
threshold or a clock can never reach a deadline silently.
"""

from __future__ import annotations

from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Clock = Literal[
    "discovery",
    "determination",
    "awareness",
    "awareness_and_scope",
    "individual_notice",
    "harm_determination",
    "materiality_determination",
    "extortion_payment",
    "receipt_of_request",
]
Timing = Literal["before_individuals", "no_later_than_individuals", "with_individuals", "after_individuals", "independent"]
EntityRule = Literal["deemed_compliant", "exempt", "none", "notify_regulator_only", "content_only"]
EntityType = Literal["nydfs_covered", "glba_financial_institution", "insurance_licensee", "sec_registrant", "card_merchant"]
ENTITY_TYPES: tuple[str, ...] = get_args(EntityType)


class Loose(BaseModel):
    """Typed fields are checked; any other (documentation) field is kept as it is."""

    model_config = ConfigDict(extra="allow")


class Threshold(Loose):
    count: int = Field(ge=0)
    comparison: Literal[">", ">="]


class Deadline(Loose):
    unit: Literal["calendar", "business", "hours", "none"] | None = None
    days: int | None = Field(default=None, ge=0)
    hours: int | None = Field(default=None, ge=1)
    clock: Clock | None = None
    same_as: Literal["individual_notice"] | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Deadline:
        if self.same_as:
            if self.unit not in (None, "none") or self.days is not None:
                raise ValueError("same_as excludes unit and days")
            return self
        if self.unit in ("calendar", "business") and (self.days is None or self.clock is None):
            raise ValueError(f"a {self.unit} deadline needs days and clock")
        if self.unit == "hours" and (self.hours is None or self.clock is None):
            raise ValueError("an hours deadline needs hours and clock")
        if self.unit is None:
            raise ValueError("unit is required (calendar, business, hours or none) unless same_as is given")
        return self


class Resume(Loose):
    kind: Literal["promptly", "period", "original_period"]
    days: int | None = Field(default=None, ge=1)
    unit: Literal["calendar", "business"] | None = None
    if_released_before_original_due: Literal["original_period"] | None = None
    citation: str = Field(min_length=3)

    @model_validator(mode="after")
    def _period(self) -> Resume:
        if self.kind == "period" and (self.days is None or self.unit is None):
            raise ValueError("a period resume needs days and unit")
        return self


class Condition(Loose):
    kind: Literal["delayed_notice", "substitute_notice", "judgment"]
    text: str = Field(min_length=3)


class Regulator(Loose):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    recipient: str = Field(pattern=r"^[a-z_]+$")
    name: str
    threshold: Threshold
    deadline: Deadline
    timing: Timing
    citation: str = Field(min_length=3)
    applies_when: Condition | None = None
    exempt_entity_types: list[EntityType] = Field(default_factory=list)
    needs_legal_review: str | None = None


class CreditReportingAgencies(Loose):
    threshold: Threshold
    deadline: Deadline | None = None
    timing: Timing = "independent"
    citation: str = Field(min_length=3)
    applies_when: Condition | None = None


class PersonalInformation(Loose):
    citation: str = Field(min_length=3)
    combinations: list[str]
    credential_combinations: list[str] = Field(default_factory=list)
    no_name_combinations: list[str] = Field(default_factory=list)
    no_name_condition: str | None = None
    card_number_alone: bool = False
    card_number_alone_condition: str | None = None
    credential_review: str | None = None


class SafeHarbor(Loose):
    encryption: bool
    encryption_wording: Literal["either", "both", "elements"]
    lost_if_key_compromised: bool = True
    citation: str = Field(min_length=3)


class HarmFiling(Loose):
    recipient: str
    name: str
    deadline: Deadline
    threshold: Threshold | None = None
    on_request: bool = False


class Documentation(Loose):
    in_writing: bool = False
    retain_years: int | None = None


class RiskOfHarm(Loose):
    allowed: bool
    standard: str | None = None
    conditions: list[str] = Field(default_factory=list)
    documentation: Documentation | None = None
    regulator_filing: HarmFiling | None = None
    citation: str = Field(min_length=3)


class IndividualNotice(Loose):
    deadline: Deadline
    delays: list[str] = Field(default_factory=list)
    law_enforcement_resume: Resume | None = None
    citation: str = Field(min_length=3)

    @model_validator(mode="after")
    def _resume(self) -> IndividualNotice:
        if "law_enforcement" in self.delays and self.law_enforcement_resume is None:
            raise ValueError("a law_enforcement delay needs law_enforcement_resume")
        return self


class CreditMonitoring(Loose):
    months: int = Field(ge=1)
    when_any: list[str] = Field(min_length=1)
    citation: str = Field(min_length=3)


class SubstituteNotice(Loose):
    cost_over: float | None = None
    people_over: int | None = None
    insufficient_contact: bool = True
    citation: str = Field(min_length=3)


class EntityRules(Loose):
    glba: EntityRule = "none"
    hipaa: EntityRule = "none"
    own_policy: EntityRule = "none"
    citation: str = Field(min_length=3)


class Rule(Loose):
    jurisdiction: str = Field(pattern=r"^[A-Z][A-Z0-9-]+$")
    name: str
    statute: str = Field(min_length=3)
    sources: list[str] = Field(min_length=1)
    applies_to: str | None = None
    entity_type: EntityType | None = None
    regime: Literal["state_breach_law", "risk_based", "entity"] = "state_breach_law"
    personal_information: PersonalInformation | None = None
    safe_harbor: SafeHarbor | None = None
    risk_of_harm: RiskOfHarm | None = None
    individual_notice: IndividualNotice | None = None
    regulators: list[Regulator] = Field(default_factory=list)
    credit_reporting_agencies: CreditReportingAgencies | None = None
    credit_monitoring: CreditMonitoring | None = None
    substitute_notice: SubstituteNotice | None = None
    entity_rules: EntityRules | None = None
    timezone: str | None = None
    timezones: list[str] = Field(default_factory=list)
    needs_legal_review: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"not an IANA time zone: {value}") from None
        return value

    @model_validator(mode="after")
    def _state_law(self) -> Rule:
        if self.regime == "state_breach_law" and self.entity_type is None:
            missing = [
                name
                for name in ("personal_information", "safe_harbor", "individual_notice", "timezone")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"a state rule needs {', '.join(missing)}")
        ids = [r.id for r in self.regulators]
        if len(ids) != len(set(ids)):
            raise ValueError("regulator ids must be unique in a file")
        return self


def validate_rule(document: Any, name: str) -> Rule:
    """The validated rule, or ValueError naming the file and the first bad field."""
    try:
        return Rule.model_validate(document)
    except ValidationError as error:
        detail = error.errors()[0]
        location = ".".join(str(part) for part in detail["loc"])
        raise ValueError(f"{name}: {location}: {detail['msg']}") from None
