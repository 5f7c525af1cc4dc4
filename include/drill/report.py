"""The time-to-ready report of a drill (JSON and accessible HTML at drills/<run>/), and the readiness it checks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from include.config import Config
from include.drill import readiness
from include.drill.run import AFTER_READY, DrillRun
from include.incident.versions import read_individuals
from include.lake import keys
from include.lake.store import Lake, StoredOutput
from include.notices.business import named_business
from include.pages import render_page

TEMPLATES = Path(__file__).parent / "templates"


def readiness_checks(drill: DrillRun, lake: Lake, config: Config, url: str | None = None) -> list[readiness.Check]:
    """Every readiness check over what the drill resolved, the store it read and the configuration it ran with."""
    incident, version = drill.incident_id, drill.facts["version"]
    summary = json.loads(lake.get(keys.incident_summary(incident, version)))
    obligations = json.loads(lake.get(keys.obligations(incident, version)))["obligations"]
    languages = set(summary["by_language"]) | ({drill.scenario.language} if drill.scenario.language else set())
    return [
        readiness.contact_coverage(read_individuals(lake, keys.affected_people(incident, version))),
        readiness.translations(languages),
        readiness.business_contact(named_business(url, config)),
        readiness.regulator_contacts(obligations),
        readiness.lake_keys(lake),
        readiness.object_lock(lake),
        readiness.approvers(config),
        readiness.intake_senders(),
    ]


def shortest_deadline(obligations: list[dict[str, Any]]) -> dict[str, str] | None:
    """The owed obligation due first: its id and due date."""
    owed = [o for o in obligations if o.get("required") and o.get("due")]
    first = min(owed, key=lambda o: datetime.fromisoformat(o["due"]), default=None)
    return {"obligation": first["id"], "due": first["due"]} if first else None


def duration_text(seconds: float) -> str:
    """Seconds as a person reads them: 42 s, 3.5 min, 5.2 h."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def build_report(drill: DrillRun, lake: Lake, config: Config, checks: list[readiness.Check]) -> dict[str, Any]:
    """The report's content: stages, time to ready (to approved, batched notices) against the target and the
    shortest deadline, readiness."""
    obligations = json.loads(lake.get(keys.obligations(drill.incident_id, drill.facts["version"])))["obligations"]
    summary = json.loads(lake.get(keys.incident_summary(drill.incident_id, drill.facts["version"])))
    to_ready = [s for s in drill.stages if s["name"] not in AFTER_READY]
    total = round(sum(s["seconds"] for s in to_ready), 3)
    shortest = shortest_deadline(obligations)
    ready_at = drill.started_at + timedelta(seconds=total)
    target = config.drill_target_hours * 3600
    scenario = drill.scenario
    return {
        "drill": True,
        "run": drill.run_slug,
        "incident_id": drill.incident_id,
        "scenario": {"name": scenario.name, "title": scenario.title, "source": scenario.source, "days": scenario.days},
        "started_at": drill.started_at.isoformat(timespec="seconds"),
        "source_note": f"the chain starts at the {scenario.source} record of the suspected incident, as detection or "
        "intake writes it; triage and approval are answered by the drill where a person answers in a real incident.",
        "stages": drill.stages,
        "time_to_ready_seconds": total,
        "time_to_ready_text": duration_text(total),
        "target_seconds": target,
        "target_text": duration_text(target),
        "within_target": total <= target,
        "shortest_deadline": shortest,
        "ready_in_time": shortest is None or ready_at <= datetime.fromisoformat(shortest["due"]),
        "bottleneck": max(to_ready, key=lambda s: s["seconds"])["name"],
        "readiness": checks,
        "counts": {
            "individuals": summary["individuals"],
            "obligations": drill.facts["obligations"]["required"],
            "notices": drill.facts["batches"]["new_notices"],
        },
    }


def write_report(lake: Lake, report: dict[str, Any]) -> list[StoredOutput]:
    """report.json and report.html under drills/<run>/ of the configured lake."""
    html = render_page(TEMPLATES, "drill_report.html.j2", title=f"Drill {report['run']}", report=report)
    return [
        lake.put(keys.drill_report(report["run"]), json.dumps(report, indent=2).encode()).as_dict(),
        lake.put(keys.drill_report(report["run"], "html"), html.encode()).as_dict(),
    ]


def headline(report: dict[str, Any]) -> str:
    """One line for a terminal: time to ready, target, bottleneck, readiness."""
    passed = sum(c["ok"] for c in report["readiness"])
    failed = [c["check"] for c in report["readiness"] if not c["ok"]]
    return (
        f"drill {report['scenario']['name']}: ready in {report['time_to_ready_text']} "
        f"({'within' if report['within_target'] else 'over'} the {report['target_text']} target, bottleneck "
        f"{report['bottleneck']}); readiness {passed}/{len(report['readiness'])}"
        + (f", failing: {', '.join(failed)}" if failed else "")
    )
