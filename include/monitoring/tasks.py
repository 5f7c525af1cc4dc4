"""The incident_deadline_monitor DAG's steps: which incidents are open, and every obligation against the ledger."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from include.incident.versions import incident_ids
from include.lake import keys
from include.lake.store import Lake, StoredOutput, open_lake
from include.monitoring.deadlines import check_all


class DeadlineStatus(TypedDict):
    """What check_deadlines returns: the alerts (ids, dates, counts), how many obligations were checked, the output."""

    alerts: list[dict[str, Any]]
    checked: int
    outputs: list[StoredOutput]


def open_incidents(*, lake: Lake | None = None) -> list[str]:
    """Incidents with a resolved version."""
    return incident_ids(lake or open_lake())


def check_deadlines(run_id: str, warn_days: float, *, lake: Lake | None = None) -> DeadlineStatus:
    """Every required obligation against the ledger and fulfilments, written to alerts/<run>/deadlines.json."""
    lake = lake or open_lake()
    status = check_all(lake, warn_days=warn_days)
    stored = lake.put(keys.deadline_alerts(run_id), json.dumps(status, indent=2).encode()).as_dict()
    return {"alerts": status["alerts"], "checked": len(status["obligations"]), "outputs": [stored]}


def alert_message(status: DeadlineStatus) -> str | None:
    """The failure message when an unmet obligation is due within warn_days (None when nothing is at risk)."""
    if not status["alerts"]:
        return None
    lines = [
        f"{a['incident_id']} {a['obligation']}: due {a['due']} ({a['days_left']} days), {a['progress']}" for a in status["alerts"]
    ]
    return "deadlines at risk:\n" + "\n".join(lines)
