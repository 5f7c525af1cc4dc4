"""The report's headline band and charts: figures with their change since the last report, what needs doing today,
and charts that show a value with one run and stay readable with ninety."""

from __future__ import annotations

from include.reporting.charts import Series, line_chart
from include.reporting.headline import headline_tiles, todo_today

FIGURES = {"open_incidents": 2, "next_deadline_days": -1.5, "notified_share": 0.25, "critical_high": 3,
           "encryption_coverage": 0.9, "exposure_max_usd": 79_900}  # fmt: skip


def test_tiles_say_first_report_then_the_change():
    first = {t["name"]: t for t in headline_tiles(FIGURES, None)}
    assert first["next_deadline_days"]["value"] == "1.5 days overdue" and first["notified_share"]["value"] == "25%"
    assert {t["change"] for t in first.values()} == {"first report"}
    before = {"headline": {**FIGURES, "critical_high": 5, "notified_share": 0.1, "open_incidents": 2}}
    later = {t["name"]: t for t in headline_tiles(FIGURES, before)}
    assert later["critical_high"]["change"] == "−2 since the last report"
    assert later["notified_share"]["change"] == "+15% since the last report"
    assert later["open_incidents"]["change"] == "no change since the last report"


def test_what_needs_doing_is_one_line_per_incident_not_one_per_obligation():
    overdue = [{"overdue": True, "alert": True, "days_left": -d, "due": "2026-11-20T00:00:00+00:00", "jurisdiction": "US-CA",
                "obligation": f"US-CA/o{d}", "recipient": "individuals"} for d in range(1, 30)]  # fmt: skip
    metrics = {"incidents": [{"incident_id": "INC-1", "open_obligations": overdue}], "latest_scan": None, "drills": []}
    todo = todo_today(metrics)
    assert len(todo) == 1 and todo[0].startswith("INC-1: 29 obligation(s) overdue") and "(California)" in todo[0]


def test_one_run_draws_values_and_ninety_draw_lines_with_the_last_value_written():
    one = line_chart("c", "Findings", "desc", ["2026-11-01"], [Series("Critical", [4]), Series("High", [12])])
    assert "<polyline" not in one and ">4</text>" in one and ">12</text>" in one and "One run so far" in one
    ninety = line_chart("c", "Findings", "desc", [f"d{i}" for i in range(90)], [Series("Critical", [i % 5 for i in range(90)])])
    assert ninety.count("<polyline") == 1 and ninety.count("<circle") == 2  # the last value and the legend
    assert "Critical: 4 in the last run" in ninety
