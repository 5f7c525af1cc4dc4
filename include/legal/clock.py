"""Legal clocks: when a rule's clock starts, and the due moment N calendar days, business days or hours later.

Day counts run on a local calendar, never in the UTC offset someone typed: the clock moment is read as a date in
each candidate time zone (the business's own zone and the residents' state zones of the rule), the period is
counted there, and the period ends at 23:59:59 local time; the earliest end of all the candidates is the due moment
("when in doubt, the earlier end"). Hour periods run from the exact moment.

Business days skip Saturdays, Sundays and the days that are legal holidays under both federal law and the state's own
calendar, on their actual dates. Observed Fridays and Mondays and Juneteenth (not a legal holiday in every state)
count as business days. That is the conservative calendar: it never ends a period later than a state's real one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from include.legal.inputs import Incident

JUNETEENTH = "Juneteenth"


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision."""
    return moment.isoformat(timespec="seconds") if moment else None


FALLBACK_NOTES = {
    "determination": "No determination date was given; the determination clock runs from discovery (earlier, so conservative).",
    "awareness": (
        "No aware_at (when the business became reasonably certain of the breach) was given; the awareness clock runs "
        "from discovery (the earliest moment, so conservative)."
    ),
    "awareness_and_scope": "No scope-identified date was given; the clock runs from discovery (earlier, so conservative).",
}
UNKNOWN_UNTIL_KNOWN = ("individual_notice", "harm_determination", "receipt_of_request")


def clock_time(incident: Incident, event: str, notes: list[str]) -> datetime | None:
    """When a rule's clock starts (falling back to discovery, the earliest, when a date is missing); None if unknown."""
    given = {
        "discovery": incident.discovered_at,
        "determination": incident.determined_at,
        "awareness": incident.aware_at,
        "awareness_and_scope": incident.scope_identified_at,
        "materiality_determination": incident.materiality.determined_at if incident.materiality else None,
        "extortion_payment": incident.extortion_paid_at,
    }
    if event in UNKNOWN_UNTIL_KNOWN:
        return None
    if event not in given:
        raise ValueError(f"unknown clock event {event!r}")
    if given[event] is None and event in FALLBACK_NOTES:
        notes.append(FALLBACK_NOTES[event])
        return incident.discovered_at
    return given[event]


def zone_names(incident: Incident, rule: dict[str, Any]) -> list[str]:
    """The calendars a rule's days are counted in: the business's zone, then the rule's (residents') zones."""
    names = [incident.business_timezone] if incident.business_timezone else []
    names += [z for z in [rule.get("timezone"), *rule.get("timezones", [])] if z]
    return list(dict.fromkeys(names)) or ["UTC"]


@cache
def _federal(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("US", years=[year], observed=False)
    return frozenset(day for day, name in calendar.items() if JUNETEENTH not in name)


@cache
def non_business_holidays(subdivision: str | None, year: int) -> frozenset[date]:
    """Holidays under both federal law and the state's calendar, on their actual dates (Juneteenth excluded)."""
    if subdivision is None:
        return _federal(year)
    try:
        state = holidays.country_holidays("US", subdiv=subdivision, years=[year], observed=False)
    except NotImplementedError:
        return _federal(year)
    return frozenset(day for day in _federal(year) if day in state)


def add_business_days(start: date, days: int, subdivision: str | None) -> date:
    """The date `days` business days after `start` (conservative calendar, see the module docstring)."""
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in non_business_holidays(subdivision, current.year):
            counted += 1
    return current


def subdivision_of(jurisdiction: str) -> str | None:
    """The `holidays` subdivision of a US jurisdiction (None elsewhere)."""
    return jurisdiction[3:] if jurisdiction.startswith("US-") and len(jurisdiction) == 5 else None


def local_end(at: datetime, deadline: dict[str, Any], zone: str, jurisdiction: str) -> datetime:
    """23:59:59 local time on the day a calendar or business-day period ends, counted in one zone."""
    tz = ZoneInfo(zone)
    day = at.astimezone(tz).date()
    if deadline["unit"] == "calendar":
        day += timedelta(days=deadline["days"])
    else:
        day = add_business_days(day, deadline["days"], subdivision_of(jurisdiction))
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def apply_deadline(
    at: datetime | None, deadline: dict[str, Any], jurisdiction: str, zones: Iterable[str] = ("UTC",)
) -> datetime | None:
    """The due moment of a deadline spec from a clock time (the earliest over the zones), or None without a fixed period."""
    unit = deadline.get("unit")
    if at is None or unit not in ("calendar", "business", "hours"):
        return None
    zones = list(zones)
    if unit == "hours":
        return (at + timedelta(hours=deadline["hours"])).astimezone(ZoneInfo(zones[0]))
    return min((local_end(at, deadline, zone, jurisdiction) for zone in zones), key=lambda d: d.astimezone(UTC))


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments given (None ignored)."""
    known = [m for m in moments if m is not None]
    return min(known, key=lambda d: d.astimezone(UTC)) if known else None


@dataclass
class Delayed:
    """A due date after a law-enforcement delay, and why."""

    due: datetime | None
    reason: str = ""
    not_before: datetime | None = None


def _after_release(due: datetime, end: datetime, agency: str, resume: dict[str, Any], where: tuple[str, list[str]]) -> Delayed:
    """A fixed period after the release (Maine's 7 business days, Maryland's 7 days, South Dakota's 30 days)."""
    after = apply_deadline(end, resume, *where)
    released = end.date().isoformat()
    if end > due:
        return Delayed(after, f"; {resume['days']} {resume['unit']} day(s) after {agency}'s release on {released}")
    if resume.get("if_released_before_original_due") == "original_period":
        return Delayed(due, f"; {agency} released the delay on {released}, before the original deadline")
    return Delayed(earliest(due, after), f"; {agency} released the delay on {released}")


def _promptly(due: datetime, end: datetime, agency: str, citation: str, notes: list[str]) -> Delayed:
    """'Promptly after' the release: no fixed date once the delay covers the deadline, never a date inside it."""
    if end > due:
        notes.append(
            f"The statute says notice follows 'promptly' once {agency} allows it ({citation}): no fixed date; send as soon "
            "as the delay ends."
        )
        return Delayed(None, f"; held while {agency} asks for delay until {end.date().isoformat()}; due promptly after", end)
    notes.append(f"{agency} released the delay before the deadline: the original date still applies.")
    return Delayed(due, f"; {agency}'s delay ended on {end.date().isoformat()}, before the deadline")


def law_enforcement(
    incident: Incident,
    clock_at: datetime,
    due: datetime | None,
    resume: dict[str, Any] | None,
    where: tuple[str, list[str]],
    notes: list[str],
) -> Delayed:
    """The due date under a law-enforcement delay: never inside the delay (review error 1), per the rule's resume kind."""
    delay = incident.law_enforcement_delay
    resume = resume or {"kind": "promptly", "citation": "the statute"}
    if delay is None:
        outcome = Delayed(due)
    elif due is not None and delay.start > due:
        notes.append(f"The delay requested by {delay.agency} began after the deadline and does not extend it.")
        outcome = Delayed(due)
    elif delay.end is None:
        notes.append(f"Law-enforcement delay requested by {delay.agency} has no end date: the notice follows its release.")
        outcome = Delayed(None, f"; held while {delay.agency} asks for delay (no end date yet)")
    elif due is None:
        notes.append(f"Notice follows {delay.agency}'s release ({resume['citation']}).")
        outcome = Delayed(None, f"; held while {delay.agency} asks for delay until {delay.end.date().isoformat()}", delay.end)
    elif resume["kind"] == "original_period":
        paused = math.ceil((delay.end - max(delay.start, clock_at)).total_seconds() / 86400)
        moved = apply_deadline(due, {"unit": "calendar", "days": paused}, *where)
        outcome = Delayed(moved, f"; clock paused {paused} day(s) for {delay.agency}")
    elif resume["kind"] == "period":
        outcome = _after_release(due, delay.end, delay.agency, resume, where)
    else:
        outcome = _promptly(due, delay.end, delay.agency, resume["citation"], notes)
    return outcome
