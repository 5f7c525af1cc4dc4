"""The obligations engine: from an incident and affected counts, every notice owed, to whom, by when, and why.

Pure functions over the rules data (include/legal/jurisdictions/); no Airflow, no I/O. Conventions:
- a deadline of N calendar days ends at 23:59:59 on the Nth day after the clock date, in the clock's UTC offset;
- business days skip Saturdays, Sundays and the federal and state holidays of the jurisdiction (`holidays`);
- hour deadlines (GDPR, NYDFS) run from the exact clock time;
- a law-enforcement delay pauses the clock of obligations whose rule allows it, for the days the delay overlaps;
- where the law sets no fixed period, `due` is null and `reason` says so;
- whatever the research marks UNCONFIRMED, or leaves to judgment, sets `needs_legal_review` with a note.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from include.legal.clock import apply_deadline, clock_time, iso, toll_for_law_enforcement
from include.legal.inputs import Affected, AffectedGroup, Incident
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

    def as_dict(self) -> dict[str, Any]:
        """The documented JSON shape."""
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
            "review_notes": self.review_notes,
        }
        if self.credit_monitoring_months:
            document["credit_monitoring_months"] = self.credit_monitoring_months
        if self.after_dependency:
            document["after_dependency"] = self.after_dependency
        return document


# -- element matching ---------------------------------------------------------------------------------------


def _covers(requirement: str, element: str) -> bool:
    return element == requirement or element.startswith(requirement + ".")


def group_matched(requirements: list[str], elements: set[str]) -> bool:
    """True when one exposed element satisfies one of the alternatives (a name needs first and last, or full)."""
    for requirement in requirements:
        if requirement == "user.name":
            if "user.name" in elements or {"user.name.first", "user.name.last"} <= elements:
                return True
        elif any(_covers(requirement, element) for element in elements):
            return True
    return False


def combination_matches(combination: dict[str, Any], elements: set[str]) -> bool:
    """True when every requirement group of a combination is satisfied."""
    return all(group_matched(group, elements) for group in combination["all_of"])


@dataclass(frozen=True)
class GroupAssessment:
    """How one affected group stands under one rule."""

    status: str  # notify | safe_harbor | not_personal_information
    credentials_only: bool
    matched: tuple[str, ...]


def assess_group(rule: dict[str, Any], rules: RuleSet, group: AffectedGroup) -> GroupAssessment:
    """Is this group's data personal information under the rule, and does the encryption safe harbor apply?"""
    definition = rule.get("personal_information") or {}
    exposed = set(group.data_elements)
    safe = set() if group.key_compromised else (exposed if group.encrypted else set(group.encrypted_elements))
    if not rule.get("safe_harbor", {}).get("encryption", False):
        safe = set()
    clear = exposed - safe
    general = [c for c in definition.get("combinations", []) if combination_matches(rules.combinations[c], exposed)]
    credentials = [
        c for c in definition.get("credential_combinations", []) if combination_matches(rules.combinations[c], exposed)
    ]
    matched = general + credentials
    if not matched:
        return GroupAssessment("not_personal_information", False, ())
    clear_general = [c for c in general if combination_matches(rules.combinations[c], clear) or _partly_clear(rules, c, clear)]
    clear_credentials = [
        c for c in credentials if combination_matches(rules.combinations[c], clear) or _partly_clear(rules, c, clear)
    ]
    if not clear_general and not clear_credentials:
        return GroupAssessment("safe_harbor", False, tuple(matched))
    return GroupAssessment("notify", not clear_general, tuple(clear_general + clear_credentials))


def _partly_clear(rules: RuleSet, combination: str, clear: set[str]) -> bool:
    """Statutes say notice is owed when either the name or the data elements are unencrypted: any clear group counts."""
    return any(group_matched(group, clear) for group in rules.combinations[combination]["all_of"])


def threshold_text(threshold: dict[str, Any]) -> str:
    """'more than 500' / 'at least 250'."""
    return f"{COMPARISON_WORDS[threshold['comparison']]} {threshold['count']}"


def meets(count: int, threshold: dict[str, Any]) -> bool:
    """Whether a count meets a threshold, with the statute's own comparison."""
    return COMPARISONS[threshold["comparison"]](count, threshold["count"])


def threshold_reason(count: int, threshold: dict[str, Any], timing: str = "") -> str:
    """Why a threshold-bound notice is, or is not, owed."""
    if count == 0:
        return "no resident requires notice"
    if not meets(count, threshold):
        return f"below threshold: {count} resident(s) notified, the rule applies at {threshold_text(threshold)}"
    return f"{count} resident(s) notified, rule applies at {threshold_text(threshold)}" + (f"; {timing}" if timing else "")


# -- per jurisdiction ---------------------------------------------------------------------------------------


def _status_reason(rule: dict[str, Any], assessments: list[tuple[AffectedGroup, GroupAssessment]]) -> str:
    statuses = {assessment.status for group, assessment in assessments if group.count}
    if "safe_harbor" in statuses:
        return (
            f"encryption safe harbor: the data was encrypted and the key was not compromised ({rule['safe_harbor']['citation']})"
        )
    return f"the exposed data elements are not personal information under {rule['personal_information']['citation']}"


def credit_monitoring_months(rule: dict[str, Any], groups: list[AffectedGroup], notes: list[str]) -> int | None:
    offer = rule.get("credit_monitoring")
    if not offer:
        return None
    exposed = {e for g in groups for e in g.data_elements}
    if not any(_covers(req, e) for req in offer["when_any"] for e in exposed):
        return None
    if offer.get("needs_legal_review"):
        notes.append(offer["needs_legal_review"])
    return int(offer["months"])


def jurisdiction_obligations(
    incident: Incident, jurisdiction: str, rule: dict[str, Any], rules: RuleSet, groups: list[AffectedGroup]
) -> list[Obligation]:
    """Individual, regulator and consumer-reporting-agency obligations for one jurisdiction's residents."""
    assessments = [(g, assess_group(rule, rules, g)) for g in groups]
    notify = [(g, a) for g, a in assessments if a.status == "notify" and g.count > 0]
    count = sum(g.count for g, _ in notify)
    rule_notes = [rule["needs_legal_review"]] if rule.get("needs_legal_review") else []
    spec = rule["individual_notice"]
    notes = list(rule_notes)
    clock_event = spec["deadline"].get("clock")
    clock_at = clock_time(incident, clock_event, notes) if clock_event else incident.discovered_at
    due = apply_deadline(clock_at, spec["deadline"], jurisdiction)
    reason = ""
    if count:
        matched = sorted({rules.combinations[c]["label"] for _, a in notify for c in a.matched})
        reason = f"{count} resident(s) whose unencrypted {'; '.join(matched)} was exposed"
        if due is None:
            reason += f"; no fixed period: {spec['deadline'].get('text', 'without unreasonable delay')}"
        if "law_enforcement" in spec.get("delays", []):
            due, extra = toll_for_law_enforcement(incident, clock_at, due, notes)
            reason += extra
        if spec.get("needs_legal_review"):
            notes.append(spec["needs_legal_review"])
        if any(a.credentials_only for _, a in notify) and rule["personal_information"].get("credential_review"):
            notes.append(rule["personal_information"]["credential_review"])
    else:
        reason = _status_reason(rule, assessments) if any(g.count for g in groups) else "no affected residents"
        if "safe harbor" in reason and rule["safe_harbor"].get("needs_legal_review"):
            rule_notes = [*rule_notes, rule["safe_harbor"]["needs_legal_review"]]
    individuals = Obligation(
        id=f"{jurisdiction}/individuals",
        jurisdiction=jurisdiction,
        recipient="individuals",
        name=f"Residents of {jurisdiction}",
        required=count > 0,
        reason=reason,
        affected_count=count,
        due=due if count else None,
        clock_event=clock_event,
        clock_at=clock_at,
        citation=spec["citation"],
        review_notes=notes if count else rule_notes,
        credit_monitoring_months=credit_monitoring_months(rule, [g for g, _ in notify], notes) if count else None,
    )
    obligations = [individuals]
    for regulator in rule.get("regulators") or []:
        obligations.append(_regulator_obligation(incident, jurisdiction, rule, regulator, count, individuals))
    cra = rule.get("credit_reporting_agencies")
    if cra:
        obligations.append(_cra_obligation(incident, jurisdiction, cra, count, individuals))
    return obligations


def _regulator_obligation(
    incident: Incident, jurisdiction: str, rule: dict[str, Any], regulator: dict[str, Any], count: int, individuals: Obligation
) -> Obligation:
    notes = [regulator["needs_legal_review"]] if regulator.get("needs_legal_review") else []
    threshold = regulator["threshold"]
    deadline = regulator["deadline"]
    depends_on = None
    clock_event = deadline.get("clock")
    if deadline.get("same_as") == "individual_notice" or clock_event == "individual_notice":
        depends_on = individuals.id
        clock_event, clock_at = "individual_notice", individuals.due
        if deadline.get("same_as"):
            due = individuals.due
            timing = "with the individual notice (computed from its latest permitted date until the real date is known)"
        else:
            due = apply_deadline(individuals.due, deadline, jurisdiction) if individuals.due else None
            timing = (
                f"{deadline['days']} days after residents are notified (computed from the latest permitted "
                "notice date until the real date is known)"
            )
    elif clock_event:
        clock_at = clock_time(incident, clock_event, notes)
        due = apply_deadline(clock_at, deadline, jurisdiction)
        timing = ""
    else:
        clock_at, due = None, None
        timing = deadline.get("text", "no fixed period")
    if regulator.get("note"):
        timing = f"{timing}; {regulator['note']}" if timing else regulator["note"]
    required = count > 0 and meets(count, threshold)
    reason = threshold_reason(count, threshold, timing)
    if required and due is None and individuals.due is None and depends_on:
        notes.append("The notice this depends on has no fixed date, so neither does this one.")
    after = None
    if depends_on:
        after = (
            {"days": 0, "unit": "calendar"} if deadline.get("same_as") else {"days": deadline["days"], "unit": deadline["unit"]}
        )
    return Obligation(
        id=f"{jurisdiction}/{regulator['id']}",
        jurisdiction=jurisdiction,
        recipient=regulator["recipient"],
        name=regulator["name"],
        required=required,
        reason=reason,
        affected_count=count,
        due=due if required else None,
        clock_event=clock_event,
        clock_at=clock_at,
        citation=regulator["citation"],
        depends_on=depends_on,
        review_notes=notes if required else [],
        after_dependency=after,
    )


def _cra_obligation(
    incident: Incident, jurisdiction: str, cra: dict[str, Any], count: int, individuals: Obligation
) -> Obligation:
    notes = [cra["needs_legal_review"]] if cra.get("needs_legal_review") else []
    threshold = cra["threshold"]
    required = count > 0 and meets(count, threshold)
    deadline = cra.get("deadline")
    clock_event = clock_at = due = None
    timing = "without unreasonable delay (no fixed period)"
    if deadline:
        clock_event = deadline["clock"]
        clock_at = clock_time(incident, clock_event, notes)
        due = apply_deadline(clock_at, deadline, jurisdiction)
        timing = ""
    reason = threshold_reason(count, threshold, timing)
    return Obligation(
        id=f"{jurisdiction}/consumer_reporting_agencies",
        jurisdiction=jurisdiction,
        recipient="consumer_reporting_agencies",
        name="Nationwide consumer reporting agencies",
        required=required,
        reason=reason,
        affected_count=count,
        due=due if required else None,
        clock_event=clock_event,
        clock_at=clock_at,
        citation=cra["citation"],
        review_notes=notes if required else [],
    )


def gdpr_obligations(
    incident: Incident, jurisdiction: str, rule: dict[str, Any], rules: RuleSet, groups: list[AffectedGroup]
) -> list[Obligation]:
    """Art. 33 (authority, 72 hours from awareness) and Art. 34 (data subjects, when high risk) for one member state."""
    assessments = [(g, assess_group(rule, rules, g)) for g in groups]
    exposed = sum(g.count for g, a in assessments if a.status in ("notify", "safe_harbor"))
    clear = sum(g.count for g, a in assessments if a.status == "notify")
    regulator = rule["regulators"][0]
    notes: list[str] = []
    clock_at = clock_time(incident, regulator["deadline"]["clock"], notes)
    authority = Obligation(
        id=f"{jurisdiction}/supervisory_authority",
        jurisdiction=jurisdiction,
        recipient="supervisory_authority",
        name=regulator["name"],
        required=clear > 0,
        reason="",
        affected_count=exposed,
        due=apply_deadline(clock_at, regulator["deadline"], jurisdiction) if clear else None,
        clock_event="awareness",
        clock_at=clock_at,
        citation=regulator["citation"],
        review_notes=notes,
    )
    if clear:
        authority.reason = (
            f"{clear} data subject(s) in {jurisdiction[3:]} with unencrypted personal data; 72 hours from awareness"
            "; a later notice must give the reasons for the delay (Art. 33(1))"
        )
    elif exposed:
        authority.reason = f"not required if {regulator['encryption_exception']}"
        authority.review_notes = [
            *notes,
            "Art. 33 exception (unlikely to result in a risk) is a documented judgment, not automatic.",
        ]
    else:
        authority.reason = "no data subject affected"
    spec = rule["individual_notice"]
    individuals = Obligation(
        id=f"{jurisdiction}/individuals",
        jurisdiction=jurisdiction,
        recipient="individuals",
        name=f"Data subjects in {jurisdiction[3:]}",
        required=clear > 0,
        reason="",
        affected_count=clear,
        due=None,
        clock_event="awareness",
        clock_at=clock_at,
        citation=spec["citation"],
        review_notes=[spec["needs_legal_review"]] if clear else [],
    )
    individuals.reason = (
        f"{clear} data subject(s); {spec['deadline']['text']} (no fixed period)"
        if clear
        else "encryption: the data was unintelligible to the attacker (Art. 34(3)(a))"
        if exposed
        else "no data subject affected"
    )
    return [authority, individuals]


def unknown_residency_obligations(incident: Incident, rules: RuleSet, groups: list[AffectedGroup]) -> list[Obligation]:
    """People whose residency is unknown: counted, not dropped, held to the earliest individual deadline of any state rule."""
    default = rules.for_jurisdiction("US-ZZ")
    combined = {
        **default,
        "personal_information": {
            **default["personal_information"],
            "combinations": sorted({c for r in rules.state_rules() for c in r["personal_information"]["combinations"]}),
            "credential_combinations": ["online_credentials"],
        },
    }
    assessments = [(g, assess_group(combined, rules, g)) for g in groups]
    count = sum(g.count for g, a in assessments if a.status == "notify")
    candidates: list[tuple[datetime, dict[str, Any], datetime]] = []
    for rule in rules.state_rules():
        deadline = rule["individual_notice"]["deadline"]
        if deadline.get("unit") in ("calendar", "business", "hours"):
            at = clock_time(incident, deadline["clock"], [])
            if (rule_due := apply_deadline(at, deadline, rule["jurisdiction"])) is not None:
                candidates.append((rule_due, rule, at))
    due, strictest, clock_at = min(candidates, key=lambda c: c[0])
    notes = ["Residency unknown: establish it; until then the earliest individual deadline of any state rule applies."]
    reason = (
        (
            f"{count} person(s) with unknown residency whose personal information was exposed; held to the earliest "
            f"individual deadline of any state rule ({strictest['jurisdiction']})"
        )
        if count
        else "no person with unknown residency requires notice"
    )
    return [
        Obligation(
            id="UNKNOWN/individuals",
            jurisdiction="UNKNOWN",
            recipient="individuals",
            name="People with unknown residency",
            required=count > 0,
            reason=reason,
            affected_count=count,
            due=due if count else None,
            clock_event=strictest["individual_notice"]["deadline"]["clock"],
            clock_at=clock_at,
            citation=strictest["individual_notice"]["citation"],
            review_notes=notes if count else [],
        )
    ]


def entity_obligations(incident: Incident, rules: RuleSet, affected: Affected, entity_type: str) -> list[Obligation]:
    """Obligations switched on by what the business is (NYDFS-covered, GLBA financial institution)."""
    rule = rules.for_entity_type(entity_type)
    obligations = []
    for regulator in rule["regulators"]:
        notes = [regulator["needs_legal_review"]] if regulator.get("needs_legal_review") else []
        if "personal_information" in rule:
            count = sum(g.count for g in affected.groups if assess_group(rule, rules, g).status == "notify")
        else:
            count = sum(g.count for g in affected.groups)
        threshold = regulator["threshold"]
        clock_at = clock_time(incident, regulator["deadline"]["clock"], notes)
        required = meets(count, threshold) and (count > 0 or entity_type == "nydfs_covered")
        if entity_type == "nydfs_covered":
            reason = (
                "cybersecurity incident at a covered entity: notify the superintendent within 72 hours of determining it occurred"
            )
        elif required:
            reason = (
                f"notification event affecting {count} consumer(s) (unencrypted customer information), "
                f"rule applies at {threshold_text(threshold)}"
            )
        else:
            reason = f"below threshold: {count} consumer(s), the rule applies at {threshold_text(threshold)}"
        if regulator.get("note") and required:
            reason += f". {regulator['note']}"
        obligations.append(
            Obligation(
                id=f"{rule['jurisdiction']}/{regulator['id']}",
                jurisdiction=rule["jurisdiction"],
                recipient=regulator["recipient"],
                name=regulator["name"],
                required=required,
                reason=reason,
                affected_count=count,
                due=apply_deadline(clock_at, regulator["deadline"], "US") if required else None,
                clock_event=regulator["deadline"]["clock"],
                clock_at=clock_at,
                citation=regulator["citation"],
                review_notes=notes if required else [],
            )
        )
    return obligations


def compute_obligations(incident: Incident, affected: Affected, rules: RuleSet) -> list[Obligation]:
    """Every obligation for the incident, required or not, in a stable order."""
    by_jurisdiction: dict[str, list[AffectedGroup]] = {}
    for group in affected.groups:
        by_jurisdiction.setdefault(group.jurisdiction, []).append(group)
    obligations: list[Obligation] = []
    for jurisdiction, groups in sorted(by_jurisdiction.items()):
        if jurisdiction == "UNKNOWN":
            obligations += unknown_residency_obligations(incident, rules, groups)
            continue
        rule = rules.for_jurisdiction(jurisdiction)
        if jurisdiction.startswith("EU-"):
            obligations += gdpr_obligations(incident, jurisdiction, rule, rules, groups)
        else:
            obligations += jurisdiction_obligations(incident, jurisdiction, rule, rules, groups)
    for entity_type in incident.entity_types:
        obligations += entity_obligations(incident, rules, affected, entity_type)
    return obligations


def obligations_document(incident: Incident, affected: Affected, rules: RuleSet) -> dict[str, Any]:
    """The `breachctl obligations` / obligations.json document."""
    return {
        "incident_id": incident.incident_id,
        "rules_version": rules.version,
        "obligations": [o.as_dict() for o in compute_obligations(incident, affected, rules)],
    }
