"""The obligations of one US jurisdiction's rule: the residents' notice, regulators, agencies, credit reporting agencies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from include.legal.assess import GroupAssessment, assess_group
from include.legal.clock import apply_deadline, clock_time, earliest, law_enforcement, zone_names
from include.legal.harm import apply_determination
from include.legal.inputs import AffectedGroup
from include.legal.model import Context, Obligation, credit_monitoring_months, meets, threshold_reason, threshold_text

TIED = ("before_individuals", "no_later_than_individuals", "with_individuals")
TIMING_WORDS = {
    "before_individuals": "before the first resident is notified",
    "no_later_than_individuals": "no later than the residents' notice",
    "with_individuals": "with the residents' notice",
}
ENTITY_NOTES = {
    "exempt": "The business is a GLBA financial institution and this statute exempts such entities ({citation}); "
    "the notice stays listed until counsel confirms the exemption applies (it is usually conditional).",
    "deemed_compliant": "As a GLBA financial institution the business is deemed compliant if it notifies under its federal "
    "regulator's procedures ({citation}); those notices must still reach these residents.",
    "notify_regulator_only": "GLBA entities are exempt from the residents' notice only in part ({citation}): the "
    "regulator and agency notices remain owed.",
    "content_only": "The GLBA/HIPAA provision of {citation} changes the notice's content, not whether it is owed.",
}


# -- the residents' notice ------------------------------------------------------------------------------------


def _status_reason(rule: dict[str, Any], assessments: list[tuple[AffectedGroup, GroupAssessment]]) -> str:
    statuses = {assessment.status for group, assessment in assessments if group.count}
    if "safe_harbor" in statuses:
        return (
            f"encryption safe harbor: the data was encrypted and the key was not compromised ({rule['safe_harbor']['citation']})"
        )
    return f"the exposed data elements are not personal information under {rule['personal_information']['citation']}"


def _individual_notes(rule: dict[str, Any], notify: list[tuple[AffectedGroup, GroupAssessment]], notes: list[str]) -> None:
    spec = rule["individual_notice"]
    if spec.get("needs_legal_review"):
        notes.append(spec["needs_legal_review"])
    if "scope_determination" in spec.get("delays", []):
        notes.append(
            "The statute also allows a delay to determine the scope of the breach and restore the system; it has no fixed "
            "length and is not applied to the date above: claim it only with counsel."
        )
    if spec.get("extension"):
        notes.append(f"Extension available, never applied automatically: {spec['extension'].get('condition', '')}".strip())
    definition = rule["personal_information"]
    if any(a.credentials_only for _, a in notify) and definition.get("credential_review"):
        notes.append(definition["credential_review"])
    for _, assessment in notify:
        notes.extend(assessment.notes)
    if rule.get("applicability_review"):
        notes.append(rule["applicability_review"])


def individual_obligation(
    ctx: Context, jurisdiction: str, rule: dict[str, Any], assessments: list[tuple[AffectedGroup, GroupAssessment]]
) -> Obligation:
    """The notice to one jurisdiction's residents."""
    notify = [(g, a) for g, a in assessments if a.status == "notify" and g.count > 0]
    count = sum(g.count for g, _ in notify)
    spec = rule["individual_notice"]
    zones = zone_names(ctx.incident, rule)
    rule_notes = [rule["needs_legal_review"]] if rule.get("needs_legal_review") else []
    notes = list(rule_notes)
    clock_event = spec["deadline"].get("clock") or "discovery"
    clock_at = clock_time(ctx.incident, clock_event, notes) or ctx.incident.discovered_at
    due = apply_deadline(clock_at, spec["deadline"], jurisdiction, zones)
    not_before = None
    if count:
        labels = sorted({ctx.rules.combinations[c]["label"] for _, a in notify for c in a.matched})
        reason = f"{count} resident(s) whose unencrypted {'; '.join(labels)} was exposed"
        if due is None:
            reason += f"; no fixed period: {spec['deadline'].get('text', 'without unreasonable delay')}"
        if "law_enforcement" in spec.get("delays", []):
            delayed = law_enforcement(
                ctx.incident, clock_at, due, spec.get("law_enforcement_resume"), (jurisdiction, zones), notes
            )
            due, not_before = delayed.due, delayed.not_before
            reason += delayed.reason
        _individual_notes(rule, notify, notes)
    else:
        reason = _status_reason(rule, assessments) if any(g.count for g, _ in assessments) else "no affected residents"
        if "safe harbor" in reason and rule["safe_harbor"].get("needs_legal_review"):
            rule_notes = [*rule_notes, rule["safe_harbor"]["needs_legal_review"]]
    return Obligation(
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
        timezones=zones,
        not_before=not_before if count else None,
    )


# -- regulators, agencies and consumer reporting agencies --------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Residents needing notice, people of unknown residency who could tip a threshold, and whether a no-harm
    determination excused the residents' notice."""

    residents: int
    unknown: int
    excused: bool = False


def _timing_text(spec: dict[str, Any], timing: str, due: datetime | None, depends: bool) -> str:
    deadline = spec["deadline"] or {}
    if timing == "after_individuals" and deadline.get("unit") in ("calendar", "business"):
        text = f"{deadline['days']} {deadline['unit']} days after residents are notified"
    elif timing == "after_individuals":
        text = f"after residents are notified ({deadline.get('text') or 'no fixed period'})"
    elif timing in TIED:
        text = TIMING_WORDS[timing]
        if deadline.get("unit") in ("calendar", "business", "hours"):
            text += " or its own deadline, whichever comes first"
        elif deadline.get("text"):
            text += f" ({deadline['text']})"
    else:
        text = "" if due else deadline.get("text", "no fixed period")
    if depends and due:
        text += " (computed from the latest permitted notice date until the real date is known)"
    return text


def _due(ctx: Context, jurisdiction: str, spec: dict[str, Any], individuals: Obligation) -> dict[str, Any]:
    """Due date, clock and dependency of a notice that may be tied to the residents' notice."""
    deadline, timing = spec.get("deadline") or {"unit": "none"}, spec.get("timing", "independent")
    zones, notes = individuals.timezones, list[str]()
    same = deadline.get("same_as") == "individual_notice"
    relative = deadline.get("clock") == "individual_notice"
    if relative and timing == "independent":
        timing = "after_individuals"
    if same and timing in ("independent", "after_individuals"):
        timing = "with_individuals"
    depends = same or relative or timing in TIED
    clock_event: str | None
    if same or relative:
        clock_event, clock_at = "individual_notice", individuals.due
        due = individuals.due if same else apply_deadline(individuals.due, deadline, jurisdiction, zones)
    else:
        clock_event = deadline.get("clock")
        clock_at = clock_time(ctx.incident, clock_event, notes) if clock_event else None
        due = apply_deadline(clock_at, deadline, jurisdiction, zones)
    if timing in TIED:
        due = earliest(due, individuals.due)
    after = None
    if depends:
        relative_days = relative and deadline.get("unit") in ("calendar", "business")
        after = {"days": deadline["days"], "unit": deadline["unit"]} if relative_days else {"days": 0, "unit": "calendar"}
    return {
        "due": due,
        "clock_event": clock_event,
        "clock_at": clock_at,
        "timing": timing,
        "depends_on": individuals.id if depends else None,
        "after": after,
        "notes": notes,
        "text": _timing_text({"deadline": deadline}, timing, due, depends),
    }


def _inside_delay(ctx: Context, due: datetime | None) -> bool:
    delay = ctx.incident.law_enforcement_delay
    return bool(due and delay and delay.start <= due and (delay.end is None or due <= delay.end))


def _condition(ctx: Context, spec: dict[str, Any], notes: list[str]) -> tuple[bool, str]:
    """Whether a notice's `applies_when` condition holds (False with a reason when the engine knows it does not)."""
    condition = spec.get("applies_when")
    if not condition:
        return True, ""
    if condition["kind"] == "delayed_notice":
        if ctx.incident.law_enforcement_delay is None:
            return False, f"owed only when {condition['text']}"
        return True, ""
    notes.append(f"Owed only if {condition['text']}.")
    return True, ""


def tied_obligation(
    ctx: Context, jurisdiction: str, spec: dict[str, Any], counts: Counts, individuals: Obligation, identity: dict[str, str]
) -> Obligation:
    """A regulator, agency or consumer-reporting-agency notice bound to a threshold (and maybe to the residents' notice)."""
    notes = [spec["needs_legal_review"]] if spec.get("needs_legal_review") else []
    threshold = spec["threshold"]
    timing = _due(ctx, jurisdiction, spec, individuals)
    notes += timing["notes"]
    tipped = (
        bool(counts.unknown) and not meets(counts.residents, threshold) and meets(counts.residents + counts.unknown, threshold)
    )
    required = counts.residents > 0 and (meets(counts.residents, threshold) or tipped)
    reason = threshold_reason(counts.residents, threshold, timing["text"])
    if tipped:
        reason = (
            f"{counts.residents} resident(s) plus up to {counts.unknown} of unknown residency, "
            f"threshold {threshold_text(threshold)}"
        )
        notes.append(
            f"Counted with {counts.unknown} person(s) of unknown residency who could be residents: the known residents "
            "alone are below the threshold. Establish residency; until then the notice is treated as owed."
        )
    _exempt_note(ctx, spec, notes)
    if required and _inside_delay(ctx, timing["due"]):
        notes.append(
            "Due while law enforcement has asked for delay: the statute's delay covers the residents' notice; ask the "
            "agency (and counsel) whether this filing may wait."
        )
    if required and timing["depends_on"] and individuals.due is None and individuals.required:
        notes.append("The residents' notice has no fixed date, so neither does this one until residents are actually notified.")
    applies, why_not = _condition(ctx, spec, notes)
    if required and not applies:
        required, reason = False, why_not
    if required and counts.excused:
        if timing["timing"] != "independent":
            required, reason = False, "not owed: no residents are notified (documented no-harm determination)"
        else:
            notes.append(
                "Still listed after the no-harm determination: this notice's duty does not depend on notifying residents;"
                " whether the determination also excuses it is for counsel."
            )
    return Obligation(
        id=f"{jurisdiction}/{identity['id']}",
        jurisdiction=jurisdiction,
        recipient=identity["recipient"],
        name=identity["name"],
        required=required,
        reason=reason,
        affected_count=counts.residents,
        due=timing["due"] if required else None,
        clock_event=timing["clock_event"],
        clock_at=timing["clock_at"],
        citation=spec["citation"],
        depends_on=timing["depends_on"],
        review_notes=notes if required else [],
        after_dependency=timing["after"],
        timing=timing["timing"],
        timezones=individuals.timezones,
        unknown_residency_counted=counts.unknown if tipped and required else 0,
        extra={k: spec[k] for k in ("content", "form_url", "contact", "filing") if spec.get(k)},
    )


def _glba_note(ctx: Context, rule: dict[str, Any], individuals: Obligation) -> None:
    """Flag (never drop) a residents' notice the state excuses or deems given for a GLBA financial institution."""
    rules = rule.get("entity_rules") or {}
    kind = rules.get("glba", "none")
    if "glba_financial_institution" in ctx.incident.entity_types and kind in ENTITY_NOTES and individuals.required:
        individuals.review_notes.append(ENTITY_NOTES[kind].format(citation=rules.get("citation", rule["statute"])))
        if rules.get("needs_legal_review"):
            individuals.review_notes.append(rules["needs_legal_review"])
        individuals.extra["entity_rule"] = {
            "entity_type": "glba_financial_institution",
            "rule": kind,
            "citation": rules.get("citation"),
        }


def _exempt_note(ctx: Context, spec: dict[str, Any], notes: list[str]) -> None:
    exempt = set(spec.get("exempt_entity_types") or [])
    if "glba" in str(spec.get("exempt", "")).lower():
        exempt.add("glba_financial_institution")
    if hit := sorted(exempt & set(ctx.incident.entity_types)):
        notes.append(f"The statute exempts {', '.join(hit)} from this notice; it stays listed until counsel confirms.")


def jurisdiction_obligations(
    ctx: Context, jurisdiction: str, rule: dict[str, Any], groups: list[AffectedGroup]
) -> list[Obligation]:
    """Individual, regulator and consumer-reporting-agency obligations for one jurisdiction's residents."""
    assessments = [(g, assess_group(rule, ctx.rules, g)) for g in groups]
    individuals = individual_obligation(ctx, jurisdiction, rule, assessments)
    residents = individuals.affected_count
    excused, extras = apply_determination(ctx, jurisdiction, rule, individuals)
    counts = Counts(residents, ctx.unknown_count(rule) if residents else 0, excused)
    others = [
        tied_obligation(ctx, jurisdiction, regulator, counts, individuals, regulator)
        for regulator in rule.get("regulators") or []
    ]
    cra = rule.get("credit_reporting_agencies")
    if cra:
        identity = {
            "id": "consumer_reporting_agencies",
            "recipient": "consumer_reporting_agencies",
            "name": "Nationwide consumer reporting agencies",
        }
        spec = {
            **cra,
            "deadline": cra.get("deadline") or {"unit": "none", "text": "without unreasonable delay (no fixed period)"},
        }
        others.append(tied_obligation(ctx, jurisdiction, spec, counts, individuals, identity))
    _glba_note(ctx, rule, individuals)
    return [individuals, *others, *extras]
