"""The obligations engine's shared model: one obligation, the context rules are applied in, thresholds.

See include/legal/obligations.py for the conventions.

Pure data and small helpers; no I/O.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from include.legal.assess import assess_group
from include.legal.clock import iso
from include.legal.inputs import AffectedGroup, HarmDetermination, Incident
from include.legal.rules import RuleSet

COMPARISONS = {">": operator.gt, ">=": operator.ge}
COMPARISON_WORDS = {">": "more than", ">=": "at least"}


@dataclass
class Obligation:
    """One notice owed (or considered and not owed)."""

    id: str
    jurisdiction: str
    recipient: str
    name: str
    required: bool
    reason: str
    affected_count: int
    due: datetime | None
    clock_event: str | None
    clock_at: datetime | None
    citation: str
    depends_on: str | None = None
    review_notes: list[str] = field(default_factory=list)
    credit_monitoring_months: int | None = None
    after_dependency: dict[str, Any] | None = None
    timing: str = "independent"
    timezones: list[str] = field(default_factory=list)
    not_before: datetime | None = None
    unknown_residency_counted: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape (fields are only ever added, never renamed)."""
        document = {
            "id": self.id,
            "jurisdiction": self.jurisdiction,
            "recipient": self.recipient,
            "name": self.name,
            "required": self.required,
            "reason": self.reason,
            "affected_count": self.affected_count,
            "due": iso(self.due),
            "clock": {"event": self.clock_event, "at": iso(self.clock_at)},
            "depends_on": self.depends_on,
            "citation": self.citation,
            "needs_legal_review": bool(self.review_notes),
            "review_notes": list(dict.fromkeys(self.review_notes)),
            "timing": self.timing,
            "timezones": self.timezones,
        }
        if self.credit_monitoring_months:
            document["credit_monitoring_months"] = self.credit_monitoring_months
        if self.after_dependency:
            document["after_dependency"] = self.after_dependency
        if self.not_before:
            document["not_before"] = iso(self.not_before)
        if self.unknown_residency_counted:
            document["unknown_residency_counted"] = self.unknown_residency_counted
        return {**document, **self.extra}


@dataclass
class Context:
    """What every rule is applied to: the incident, the rules and the people of unknown residency."""

    incident: Incident
    rules: RuleSet
    unknown_groups: list[AffectedGroup] = field(default_factory=list)

    def unknown_count(self, rule: dict[str, Any]) -> int:
        """People of unknown residency whose exposed data would need notice under this rule."""
        return sum(g.count for g in self.unknown_groups if assess_group(rule, self.rules, g).status == "notify")

    def determination(self, jurisdiction: str) -> HarmDetermination | None:
        """The no-harm determination recorded for a jurisdiction, if any."""
        return next((d for d in self.incident.risk_of_harm_determinations if d.jurisdiction == jurisdiction), None)


def threshold_text(threshold: dict[str, Any]) -> str:
    """'more than 500' / 'at least 250'."""
    return f"{COMPARISON_WORDS[threshold['comparison']]} {threshold['count']}"


def meets(count: int, threshold: dict[str, Any]) -> bool:
    """Whether a count meets a threshold, with the statute's own comparison."""
    return bool(COMPARISONS[threshold["comparison"]](count, threshold["count"]))


def threshold_reason(count: int, threshold: dict[str, Any], timing: str = "") -> str:
    """Why a threshold-bound notice is, or is not, owed."""
    if count == 0:
        return "no resident requires notice"
    if not meets(count, threshold):
        return f"below threshold: {count} resident(s) notified, the rule's threshold is {threshold_text(threshold)}"
    return f"{count} resident(s) notified, threshold {threshold_text(threshold)}" + (f"; {timing}" if timing else "")


def credit_monitoring_months(rule: dict[str, Any], groups: list[AffectedGroup], notes: list[str]) -> int | None:
    """Months of credit monitoring or identity-theft protection the rule requires for these groups, if any."""
    offer = rule.get("credit_monitoring")
    if not offer:
        return None
    exposed = {e for g in groups for e in g.data_elements}
    if not any(e == req or e.startswith(req + ".") for req in offer["when_any"] for e in exposed):
        return None
    if offer.get("needs_legal_review"):
        notes.append(offer["needs_legal_review"])
    return int(offer["months"])
