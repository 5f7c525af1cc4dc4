"""Legal clocks: when a rule's clock starts, and the due moment N calendar days, business days or hours later."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import holidays

from include.legal.inputs import Incident


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision."""
    return moment.isoformat(timespec="seconds") if moment else None


def clock_time(incident: Incident, event: str, notes: list[str]) -> datetime:
    """When a rule's clock starts for this incident (falling back to discovery, the earliest, when a date is missing)."""
    if event == "discovery":
        return incident.discovered_at
    if event in ("determination", "awareness"):
        if incident.determined_at:
            return incident.determined_at
        notes.append(f"No determination date was given; the {event} clock runs from discovery (earlier, so conservative).")
        return incident.discovered_at
    if event == "awareness_and_scope":
        if incident.scope_identified_at:
            return incident.scope_identified_at
        notes.append("No scope-identified date was given; the clock runs from discovery (earlier, so conservative).")
        return incident.discovered_at
    raise ValueError(f"unknown clock event {event!r}")


def end_of_day(day: date, like: datetime) -> datetime:
    """23:59:59 of a day in the offset of `like`."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=like.tzinfo)


@cache
def _holidays(subdivision: str | None, year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays("US", subdiv=subdivision, years=[year])
    except NotImplementedError:
        calendar = holidays.country_holidays("US", years=[year])
    return frozenset(calendar)


def add_business_days(start: date, days: int, subdivision: str | None) -> date:
    """The date `days` business days after `start` (weekends and federal/state holidays skipped)."""
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in _holidays(subdivision, current.year):
            counted += 1
    return current


def apply_deadline(at: datetime, deadline: dict[str, Any], jurisdiction: str) -> datetime | None:
    """The due moment of a deadline spec from a clock time, or None when the law sets no fixed period."""
    unit = deadline.get("unit")
    if unit == "calendar":
        return end_of_day(at.date() + timedelta(days=deadline["days"]), at)
    if unit == "business":
        subdivision = jurisdiction[3:] if jurisdiction.startswith("US-") else None
        return end_of_day(add_business_days(at.date(), deadline["days"], subdivision), at)
    if unit == "hours":
        return at + timedelta(hours=deadline["hours"])
    return None


def toll_for_law_enforcement(
    incident: Incident, clock_at: datetime, due: datetime | None, notes: list[str]
) -> tuple[datetime | None, str]:
    """Extend a due date by the days a law-enforcement delay overlaps the notice period."""
    delay = incident.law_enforcement_delay
    if delay is None or due is None or delay.start > due:
        return due, ""
    if delay.end is None:
        notes.append(f"Law-enforcement delay requested by {delay.agency} has no end date: notice is due promptly once it ends.")
        return None, f"; held while {delay.agency} asks for delay (no end date yet)"
    overlap = min(delay.end, due) - max(delay.start, clock_at)
    if overlap.total_seconds() <= 0:
        return due, ""
    days = math.ceil(overlap.total_seconds() / 86400)
    notes.append(
        "Law-enforcement delay applied by pausing the clock; statutes say notice follows 'promptly' once the agency allows it."
    )
    return end_of_day(
        due.date() + timedelta(days=days), due
    ), f"; extended {days} day(s) for the delay requested by {delay.agency}"
