"""The breach_drill DAG's task: one drill, its readiness checks and its report (counts and ids only in XCom)."""

from __future__ import annotations

from typing import TypedDict

from include.config import Config, load_config
from include.drill.report import build_report, headline, readiness_checks, write_report
from include.drill.run import run_drill
from include.drill.scenarios import scenario
from include.lake import keys
from include.lake.store import Lake, StoredOutput, open_lake


class DrillResult(TypedDict):
    """What a drill returns through XCom."""

    outputs: list[StoredOutput]
    headline: str
    incident_id: str
    time_to_ready_seconds: float
    bottleneck: str
    readiness_failed: list[str]


def drill(
    scenario_name: str, run_id: str, *, lake: Lake | None = None, url: str | None = None, config: Config | None = None
) -> DrillResult:
    """Run the scenario's drill, check readiness and write drills/<run>/report.json and report.html."""
    config = config or load_config()
    lake = lake or open_lake(config=config)
    run, own = run_drill(scenario(scenario_name), keys.run_key(run_id), lake=lake, url=url, config=config)
    report = build_report(run, own, config, readiness_checks(run, own, config, url))
    return DrillResult(
        outputs=write_report(lake, report),
        headline=headline(report),
        incident_id=run.incident_id,
        time_to_ready_seconds=report["time_to_ready_seconds"],
        bottleneck=report["bottleneck"],
        readiness_failed=[c["check"] for c in report["readiness"] if not c["ok"]],
    )
