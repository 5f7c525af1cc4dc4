"""Dates and counts as the pages and the approval request print them: local time with its zone, days left."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local_time(value: str | None, zone: str | None = None) -> str:
    """'Wed 4 Nov 2026, 18:00 CET' in the zone given (else the value's own offset); 'no fixed date' for None."""
    if not value:
        return "no fixed date"
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)  # a page shows what the lake holds, even when it is not a date
    if zone:
        moment = moment.astimezone(ZoneInfo(zone))
    label = moment.tzname() or moment.strftime("%z")
    return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M} {label}"


def days_left(value: str | None, now: datetime) -> int | None:
    """Whole days from now to the moment (negative once it has passed); None without a moment."""
    if not value:
        return None
    return int((datetime.fromisoformat(value) - now).total_seconds() // 86400)
