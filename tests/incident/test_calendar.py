"""The obligations calendar reads as legal needs it: owed first by due day, names not codes, local times with their
zone, flagged items first, a timeline with a text alternative, and what is not owed folded away with its reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from include.incident.calendar import due_groups, render_obligations_calendar, timeline

NOW = datetime(2026, 11, 3, 12, tzinfo=UTC)


def obligation(id_: str, due: str | None, *, required: bool = True, flagged: bool = False, zone: str | None = None) -> dict:
    jurisdiction = id_.split("/", maxsplit=1)[0]
    return {"id": id_, "jurisdiction": jurisdiction, "name": f"Recipient {id_}", "required": required, "due": due,
            "reason": f"the full reason for {id_}, " + "with every word kept " * 8, "affected_count": 3,
            "citation": f"Citation of {id_}", "needs_legal_review": flagged, "review_notes": ["check this"],
            "timezones": [zone] if zone else [], "depends_on": None}  # fmt: skip


OBLIGATIONS = [
    obligation("US-CA/individuals", "2026-12-01T23:59:59-08:00", zone="America/Los_Angeles"),
    obligation("US-CA/attorney_general_sample", "2026-12-01T23:59:59-08:00", flagged=True, zone="America/Los_Angeles"),
    obligation("EU-DE/supervisory_authority", "2026-11-04T18:00:00+01:00", zone="Europe/Berlin"),
    obligation("US-TX/attorney_general", None, required=False),
    obligation("US-NY/attorney_general", None),
]


def test_owed_obligations_are_grouped_by_local_due_day_flagged_first_and_no_fixed_date_last():
    groups = due_groups([o for o in OBLIGATIONS if o["required"]], NOW)
    assert [g["label"] for g in groups] == ["Wed 4 Nov 2026", "Tue 1 Dec 2026", "No fixed date"]
    assert [e["name"] for e in groups[1]["entries"]] == ["Recipient US-CA/attorney_general_sample", "Recipient US-CA/individuals"]
    first = groups[0]["entries"][0]
    assert first["jurisdiction"] == "Germany (EU)" and first["due"] == "Wed 4 Nov 2026, 18:00 CET" and first["days_left"] == 1
    assert groups[1]["entries"][0]["due"] == "Tue 1 Dec 2026, 23:59 PST"


def test_the_page_puts_owed_first_and_folds_the_not_owed_with_their_reasons():
    html = render_obligations_calendar("INC-C", 2, OBLIGATIONS, NOW, datetime(2026, 11, 1, 9, tzinfo=UTC))
    owed, _, not_owed = html.partition("<h2>Considered and not owed</h2>")
    assert "Recipient US-TX/attorney_general" not in owed and "Recipient US-TX/attorney_general" in not_owed
    assert "<details>" in not_owed and "1 notices considered and not owed" in not_owed
    assert "the full reason for US-CA/individuals, " + "with every word kept " * 7 in owed
    assert owed.index("Needs legal review first") < owed.index("Owed, by due date")
    assert "<strong>4 notices owed</strong>" in owed and "California (US-CA)" in owed
    assert re.search(r'<svg class="timeline"[^>]*role="img"[^>]*aria-labelledby="timeline-heading timeline-text"', html)
    assert "@media print" in html and "Citation of EU-DE/supervisory_authority" in html


def test_the_timeline_runs_from_discovery_to_the_last_deadline_with_today_between():
    owed = [o for o in OBLIGATIONS if o["required"]]
    line = timeline(datetime(2026, 11, 1, 9, tzinfo=UTC), owed, NOW)
    assert line["start"] == 40 and line["end"] == 960 and line["start"] < line["today"] < line["marks"][-1] == line["end"]
    assert len(line["marks"]) == 2 and "3 deadlines on 2 days; 0 already passed" in line["text"]
    assert timeline(None, [obligation("US-NY/attorney_general", None)], NOW) is None
