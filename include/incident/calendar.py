"""The obligations calendar: every obligation of a version by due date, as a self-contained accessible page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from include.pages import render_page

TEMPLATES = Path(__file__).parent / "templates"


def render_obligations_calendar(incident_id: str, version: int, obligations: list[dict[str, Any]], now: datetime) -> str:
    """Self-contained, accessible HTML: every required obligation by due date, with days left."""
    rows = []
    for obligation in sorted(obligations, key=lambda o: (not o["required"], o["due"] or "9999", o["id"])):
        due = datetime.fromisoformat(obligation["due"]) if obligation["due"] else None
        days_left = (due - now).total_seconds() / 86400 if due else None
        rows.append({**obligation, "days_left": None if days_left is None else int(days_left // 1)})
    return render_page(
        TEMPLATES,
        "obligations_calendar.html.j2",
        title=f"Obligations calendar: incident {incident_id} v{version}",
        incident_id=incident_id,
        version=version,
        obligations=rows,
        generated_at=now.isoformat(timespec="minutes"),
    )
