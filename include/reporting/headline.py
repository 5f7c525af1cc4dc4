"""The report's headline band: what needs doing today, each figure with its change since the last report."""

from __future__ import annotations

from typing import Any

from include.legal.names import jurisdiction_name
from include.pages.text import local_time


def coverage_share(latest: dict[str, Any] | None) -> float | None:
    """Share of checked encrypted-column values held in the current cipher, over every column (None: nothing checked)."""
    columns = (latest or {}).get("coverage") or {}
    checked = sum(c["rows_checked"] for c in columns.values())
    return sum(c["current_cipher_rows"] for c in columns.values()) / checked if checked else None


def next_deadline_days(incidents: list[dict[str, Any]]) -> float | None:
    """Days to the earliest open deadline of any incident (negative when one has passed)."""
    days = [o["days_left"] for i in incidents for o in i["open_obligations"] if o.get("days_left") is not None]
    return min(days) if days else None


def notified_share(incidents: list[dict[str, Any]]) -> float | None:
    """Share of tracked notices that reached their person, over every incident."""
    attempted = sum(i["delivery"]["attempted"] for i in incidents)
    notified = sum((i["delivery"]["notified_rate"] or 0) * i["delivery"]["attempted"] for i in incidents)
    return notified / attempted if attempted else None


def headline_figures(metrics: dict[str, Any]) -> dict[str, float | int | None]:
    """The numbers of the band (kept in metrics.json so that the next report can say what changed)."""
    incidents, latest = metrics["incidents"], metrics["latest_scan"]
    severity = (latest or {}).get("by_severity") or {}
    return {
        "open_incidents": sum(1 for i in incidents if i["open_obligations"]),
        "next_deadline_days": next_deadline_days(incidents),
        "notified_share": notified_share(incidents),
        "critical_high": severity.get("critical", 0) + severity.get("high", 0) if latest else None,
        "encryption_coverage": coverage_share(latest),
        "exposure_max_usd": metrics["exposure_total"]["max_usd"],
    }


LABELS = {
    "open_incidents": ("Open incidents", "{:.0f}", False),
    "next_deadline_days": ("Next deadline", "{:.1f} days", True),
    "notified_share": ("Notices delivered", "{:.0%}", True),
    "critical_high": ("Critical and high findings", "{:.0f}", False),
    "encryption_coverage": ("Encryption coverage", "{:.1%}", True),
    "exposure_max_usd": ("Exposure estimate, up to", "US${:,.0f}", False),
}


def change_text(name: str, now: float | int | None, before: float | int | None) -> str:
    """'+2 since the last report', 'no change', or 'first report' (the headline of the previous metrics.json)."""
    if before is None or now is None:
        return "first report" if before is None else "not measured now"
    delta = now - before
    if abs(delta) < 1e-9:
        return "no change since the last report"
    _, pattern, _ = LABELS[name]
    shown = pattern.format(abs(delta)) if "%" in pattern or "US$" in pattern else f"{abs(delta):g}"
    return f"{'+' if delta > 0 else '−'}{shown} since the last report"


def headline_tiles(figures: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, str]]:
    """Each figure as a tile: label, value and change; 'none' where nothing is measured yet."""
    before = (previous or {}).get("headline") or {}
    tiles = []
    for name, (label, pattern, _) in LABELS.items():
        value = figures.get(name)
        shown = "none" if value is None else pattern.format(value)
        if name == "next_deadline_days" and value is not None and value < 0:
            shown = f"{-value:.1f} days overdue"
        change = "first report" if previous is None else change_text(name, value, before.get(name))
        tiles.append({"name": name, "label": label, "value": shown, "change": change})
    return tiles


def todo_today(metrics: dict[str, Any]) -> list[str]:
    """What needs doing today, per incident (overdue and due within three days), then critical findings, a missed drill."""
    items = []
    for incident in metrics["incidents"]:
        overdue = [o for o in incident["open_obligations"] if o.get("overdue")]
        soon = [o for o in incident["open_obligations"] if o.get("alert") and not o.get("overdue")]
        if overdue:
            first = min(overdue, key=lambda o: o["days_left"])
            items.append(
                f"{incident['incident_id']}: {len(overdue)} obligation(s) overdue, the oldest since {local_time(first['due'])} "
                f"({jurisdiction_name(first['jurisdiction'])}): file each and record it with `breachctl incident fulfil`."
            )
        if soon:
            items.append(f"{incident['incident_id']}: {len(soon)} obligation(s) due within three days.")
    latest = metrics["latest_scan"]
    if latest and latest["by_severity"]["critical"]:
        items.append(f"{latest['by_severity']['critical']} critical scan finding(s): see the latest scan below.")
    failing = [d for d in metrics["drills"][-1:] if not d["within_target"]]
    items.extend(f"The last drill ({d['scenario']}) missed its target." for d in failing)
    return items
