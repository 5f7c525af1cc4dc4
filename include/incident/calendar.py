"""The obligations calendar for legal: what is owed, grouped by due date, with a timeline; what is not owed, and why."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from include.legal.names import jurisdiction_name
from include.pages import render_page
from include.pages.text import days_left, local_time

TEMPLATES = Path(__file__).parent / "templates"
TIMELINE_WIDTH, TIMELINE_MARGIN = 1000, 40


def zone_of(obligation: dict[str, Any]) -> str | None:
    """The zone the obligation's day count ends in (the first of the ones the rule names)."""
    zones = obligation.get("timezones") or [None]
    return zones[0]


def local_day(obligation: dict[str, Any]) -> date | None:
    """The calendar day of the due moment in the recipient's zone."""
    if not obligation["due"]:
        return None
    moment = datetime.fromisoformat(obligation["due"])
    zone = zone_of(obligation)
    return (moment.astimezone(ZoneInfo(zone)) if zone else moment).date()


def entry(obligation: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One obligation as the calendar prints it: names, local due time, days left, reason and citation in full."""
    return {
        "anchor": "o-" + "".join(c if c.isalnum() else "-" for c in obligation["id"]),
        "name": obligation["name"],
        "jurisdiction": jurisdiction_name(obligation["jurisdiction"]),
        "code": obligation["jurisdiction"],
        "due": local_time(obligation["due"], zone_of(obligation)),
        "days_left": days_left(obligation["due"], now),
        "people": obligation["affected_count"],
        "reason": obligation["reason"],
        "citation": obligation.get("citation") or "",
        "depends_on": obligation.get("depends_on"),
        "flagged": bool(obligation.get("needs_legal_review")),
        "notes": obligation.get("review_notes") or [],
    }


def due_groups(owed: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Owed obligations grouped by local due day, earliest first, flagged ones first within a day; no fixed date last."""
    groups: dict[date | None, list[dict[str, Any]]] = defaultdict(list)
    for obligation in owed:
        groups[local_day(obligation)].append(obligation)
    ordered = []
    for day in sorted(groups, key=lambda d: (d is None, d or date.min)):
        members = sorted(groups[day], key=lambda o: (not o.get("needs_legal_review"), o["due"] or "", o["id"]))
        label = f"{day:%a} {day.day} {day:%b %Y}" if day else "No fixed date"
        ordered.append(
            {"label": label, "days_left": days_left(members[0]["due"], now), "entries": [entry(o, now) for o in members]}
        )
    return ordered


def timeline(discovered: datetime | None, owed: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    """Positions (0-1000) of discovery, today and each due day on a line to the last deadline, and the text alternative."""
    dues = sorted(datetime.fromisoformat(o["due"]) for o in owed if o["due"])
    if not dues:
        return None
    start = min(discovered or dues[0], now, dues[0])
    end = max(dues[-1], now)
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return round(TIMELINE_MARGIN + (moment - start).total_seconds() / span * (TIMELINE_WIDTH - 2 * TIMELINE_MARGIN), 1)

    marks = sorted({x(d) for d in dues})
    text = (
        f"From discovery on {local_time(start.isoformat())} to the last deadline on {local_time(dues[-1].isoformat())}: "
        f"{len(dues)} deadlines on {len(marks)} days; {sum(d < now for d in dues)} already passed. "
        f"Today is {local_time(now.isoformat())}."
    )
    return {"start": x(start), "end": x(end), "today": x(now), "marks": marks, "text": text, "width": TIMELINE_WIDTH}


def render_obligations_calendar(
    incident_id: str, version: int, obligations: list[dict[str, Any]], now: datetime, discovered_at: datetime | None = None
) -> str:
    """Self-contained, accessible HTML: owed notices by due day with a timeline; those not owed, folded, with reasons."""
    owed = [o for o in obligations if o["required"]]
    flagged = [entry(o, now) for o in owed if o.get("needs_legal_review")]
    return render_page(
        TEMPLATES,
        "obligations_calendar.html.j2",
        title=f"Obligations calendar: incident {incident_id} v{version}",
        incident_id=incident_id,
        version=version,
        owed_count=len(owed),
        flagged=flagged,
        groups=due_groups(owed, now),
        timeline=timeline(discovered_at, owed, now),
        not_owed=[entry(o, now) for o in sorted(obligations, key=lambda o: o["id"]) if not o["required"]],
        generated_at=local_time(now.isoformat()),
    )
