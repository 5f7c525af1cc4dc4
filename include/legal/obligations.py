"""The obligations engine: from an incident and affected counts, every notice owed, to whom, by when, and why.

Pure functions over the rules data (include/legal/jurisdictions/); no Airflow, no I/O. Conventions:
- day counts run on the local calendar of the business and of the residents' state, the earlier end wins
  (include/legal/clock.py); hour deadlines run from the exact clock time;
- a law-enforcement delay never leaves a due date inside the delay: the notice follows the agency's release, per the
  rule's `law_enforcement_resume` (promptly: no fixed date, `not_before` the release; a period: that period after
  the release; original_period: the clock pauses for the delay);
- a notice tied to the residents' notice (before, no later than, with, after it) depends on it; the monitor recomputes
  it from the FIRST resident notified once that is known;
- people of unknown residency count toward the thresholds they could tip (flagged), and are held to the earliest
  individual deadline of any state;
- where the law sets no fixed period, `due` is null and `reason` says so;
- whatever the rules leave unconfirmed, or leave to judgment, sets `needs_legal_review` with a note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from include.legal.assess import GroupAssessment, assess_group, combination_matches, group_matched
from include.legal.clock import apply_deadline, clock_time, zone_names
from include.legal.entities import entity_obligations
from include.legal.inputs import Affected, AffectedGroup, Incident
from include.legal.model import Context, Obligation, credit_monitoring_months, meets, threshold_text
from include.legal.regimes import risk_based_obligations
from include.legal.rules import RuleSet
from include.legal.states import jurisdiction_obligations

__all__ = [
    "Context",
    "GroupAssessment",
    "Obligation",
    "assess_group",
    "combination_matches",
    "compute_obligations",
    "credit_monitoring_months",
    "group_matched",
    "meets",
    "obligations_document",
    "threshold_text",
]


# -- unknown residency, and the whole incident ------------------------------------------------------------------


def unknown_residency_obligations(ctx: Context, groups: list[AffectedGroup]) -> list[Obligation]:
    """People whose residency is unknown: counted, not dropped, held to the earliest individual deadline of any state rule."""
    rules = ctx.rules
    default = rules.for_jurisdiction("US-ZZ")
    combined = {
        **default,
        "personal_information": {
            **default["personal_information"],
            "combinations": sorted(
                {
                    c
                    for r in rules.state_rules()
                    for field in ("combinations", "no_name_combinations")
                    for c in r["personal_information"][field]
                }
            ),
            "credential_combinations": ["online_credentials"],
            "no_name_combinations": [],
        },
    }
    count = sum(g.count for g in groups if assess_group(combined, rules, g).status == "notify")
    candidates: list[tuple[datetime, dict[str, Any], datetime, list[str]]] = []
    for rule in rules.state_rules():
        deadline = rule["individual_notice"]["deadline"]
        if deadline.get("unit") in ("calendar", "business", "hours"):
            at = clock_time(ctx.incident, deadline["clock"], []) or ctx.incident.discovered_at
            zones = zone_names(ctx.incident, rule)
            if (rule_due := apply_deadline(at, deadline, rule["jurisdiction"], zones)) is not None:
                candidates.append((rule_due, rule, at, zones))
    due, strictest, clock_at, zones = min(candidates, key=lambda c: c[0].timestamp())
    notes = [
        "Residency unknown: establish it; until then the earliest individual deadline of any state rule applies, and these "
        "people are counted toward the regulator thresholds of the states in this incident that they could tip."
    ]
    reason = (
        f"{count} person(s) with unknown residency whose personal information was exposed; held to the earliest "
        f"individual deadline of any state rule ({strictest['jurisdiction']})"
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
            timezones=zones,
        )
    ]


def compute_obligations(incident: Incident, affected: Affected, rules: RuleSet) -> list[Obligation]:
    """Every obligation for the incident, required or not, in a stable order."""
    by_jurisdiction: dict[str, list[AffectedGroup]] = {}
    for group in affected.groups:
        by_jurisdiction.setdefault(group.jurisdiction, []).append(group)
    ctx = Context(incident, rules, by_jurisdiction.get("UNKNOWN", []))
    obligations: list[Obligation] = []
    for jurisdiction, groups in sorted(by_jurisdiction.items()):
        if jurisdiction == "UNKNOWN":
            obligations += unknown_residency_obligations(ctx, groups)
            continue
        rule = rules.for_jurisdiction(jurisdiction)
        if rule.get("regime") == "risk_based":
            obligations += risk_based_obligations(ctx, jurisdiction, rule, groups)
        else:
            obligations += jurisdiction_obligations(ctx, jurisdiction, rule, groups)
    for entity_type in incident.entity_types:
        obligations += entity_obligations(ctx, affected, entity_type)
    return obligations


def obligations_document(incident: Incident, affected: Affected, rules: RuleSet) -> dict[str, Any]:
    """The `breachctl obligations` / obligations.json document."""
    return {
        "incident_id": incident.incident_id,
        "rules_version": rules.version,
        "business_timezone": incident.business_timezone,
        "obligations": [o.as_dict() for o in compute_obligations(incident, affected, rules)],
    }
