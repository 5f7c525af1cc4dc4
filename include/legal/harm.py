"""Risk-of-harm determinations: where a state allows it, a documented "no reasonable likelihood of harm" finding makes
the residents' notice not required, and the filing or record-keeping duty it triggers appears instead.

A determination recorded for a state whose statute allows none changes nothing (and says so). The engine never judges
whether the determination is sound: it lists the conditions the statute puts on it and the date the notice would
otherwise have been due, flagged for counsel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from include.legal.clock import apply_deadline, iso
from include.legal.inputs import HarmDetermination
from include.legal.model import Context, Obligation, meets, threshold_text


def _filing(
    jurisdiction: str, harm: dict[str, Any], determination: HarmDetermination, residents: int, zones: list[str]
) -> Obligation:
    """The filing a determination itself triggers (Florida's Department, New York's AG, Vermont's AG, ...)."""
    filing = harm["regulator_filing"]
    deadline = filing["deadline"]
    threshold = filing.get("threshold") or {"count": 1, "comparison": ">="}
    required = meets(residents, threshold) and not filing.get("on_request")
    clock_at = determination.determined_at if deadline.get("clock") == "harm_determination" else None
    due = apply_deadline(clock_at, deadline, jurisdiction, zones) if required else None
    if filing.get("on_request"):
        reason = f"only if the regulator asks in writing; then {deadline.get('days')} days from the request"
    elif not required:
        reason = f"below threshold: {residents} resident(s), the filing's threshold is {threshold_text(threshold)}"
    else:
        reason = "the written no-harm determination must be filed" + (f"; {deadline['text']}" if deadline.get("text") else "")
    return Obligation(
        id=f"{jurisdiction}/harm_determination_filing",
        jurisdiction=jurisdiction,
        recipient=filing["recipient"],
        name=filing["name"],
        required=required,
        reason=reason,
        affected_count=residents,
        due=due,
        clock_event=deadline.get("clock"),
        clock_at=clock_at,
        citation=filing.get("citation") or harm["citation"],
        review_notes=["Filing triggered by the no-harm determination; confirm its content and timing with counsel."],
        timezones=zones,
    )


def _record(jurisdiction: str, harm: dict[str, Any], determination: HarmDetermination, residents: int) -> Obligation:
    """Keeping the written determination on file for the statute's period."""
    years = (harm.get("documentation") or {}).get("retain_years")
    at: datetime = determination.determined_at
    until = None
    if years:
        until = at.replace(year=at.year + years, day=min(at.day, 28) if (at.month, at.day) == (2, 29) else at.day)
    keep = f"keep it {years} years (until {until.date().isoformat()})" if until else "keep it on file (no period stated)"
    return Obligation(
        id=f"{jurisdiction}/harm_determination_record",
        jurisdiction=jurisdiction,
        recipient="records",
        name="The written no-harm determination, kept on file",
        required=True,
        reason=f"document the determination in writing and {keep}",
        affected_count=residents,
        due=None,
        clock_event="harm_determination",
        clock_at=at,
        citation=harm["citation"],
        extra={"retain_until": iso(until)} if until else {},
    )


def apply_determination(
    ctx: Context, jurisdiction: str, rule: dict[str, Any], individuals: Obligation
) -> tuple[bool, list[Obligation]]:
    """Apply a recorded no-harm determination to the residents' notice; returns (excused, the duties it triggers)."""
    determination = ctx.determination(jurisdiction)
    if determination is None or not individuals.required:
        return False, []
    harm = rule.get("risk_of_harm") or {}
    citation = harm.get("citation", rule["statute"])
    if not harm.get("allowed"):
        individuals.review_notes.append(
            f"A no-harm determination was recorded for {jurisdiction}, but the statute allows none ({citation}): notice is owed."
        )
        return False, []
    original = individuals.due
    individuals.required = False
    individuals.due = None
    individuals.reason = (
        f"not required: documented determination on {determination.determined_at.date().isoformat()} that "
        f"{(harm.get('standard') or 'no harm is reasonably likely').strip()} ({citation}); had it not been made, notice "
        f"would be due {iso(original) or 'without a fixed date'}"
    )
    notes = [f"Conditions the statute puts on the determination: {', '.join(harm.get('conditions') or ['none stated'])}."]
    documentation = harm.get("documentation") or {}
    if documentation.get("in_writing") and not determination.documented:
        notes.append("The statute requires the determination in writing; it was recorded as not documented.")
    individuals.review_notes += notes
    individuals.extra["determination"] = {
        "determined_at": iso(determination.determined_at),
        "documented": determination.documented,
        "law_enforcement_consulted": determination.law_enforcement_consulted,
    }
    extras = []
    if harm.get("regulator_filing"):
        extras.append(_filing(jurisdiction, harm, determination, individuals.affected_count, individuals.timezones))
    if documentation.get("in_writing"):
        extras.append(_record(jurisdiction, harm, determination, individuals.affected_count))
    return True, extras
