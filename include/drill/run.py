"""One drill: the scenario's suspected incident through triage, the incident run and delivery to the sink, timed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypedDict

from include.config import Config, load_config
from include.detection.suspects import record_suspect
from include.detection.triage import record_triage
from include.drill.scenarios import Scenario, drill_id
from include.drill.sink import require_sinks, sink_adapters
from include.incident.approval import record_decision
from include.incident.tasks import accept_trigger, compute_obligations, resolve_scope
from include.incident.trigger import IncidentTrigger, validate_trigger
from include.lake import keys
from include.lake.store import Lake, open_lake
from include.notices.delivery.adapters import DeliveryAdapter
from include.notices.review import prepare_review
from include.notices.tasks import build, deliver

DRILL_RESPONDER = {"id": "drill", "name": "drill (automatic)"}
AFTER_READY = frozenset({"delivery"})  # timed and reported, but ready means approved and batched


class Stage(TypedDict):
    """One timed stage of the chain."""

    name: str
    seconds: float
    note: str


@dataclass
class DrillRun:
    """What a drill measured and produced (counts and ids only)."""

    scenario: Scenario
    run_slug: str
    started_at: datetime
    incident_id: str
    stages: list[Stage] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, note: str = "") -> Iterator[None]:
        """Time one stage of the chain."""
        started = time.monotonic()
        yield
        self.stages.append(Stage(name=name, seconds=round(time.monotonic() - started, 3), note=note))


def drill_answer(option: str, reason: str) -> dict[str, Any]:
    """The answer a drill gives where a person answers in a real incident."""
    return {
        "chosen_options": [option],
        "params_input": {"reason": f"[DRILL] {reason}"},
        "responded_by_user": DRILL_RESPONDER,
        "responded_at": datetime.now(UTC),
    }


def drill_lake(lake: Lake, run_slug: str) -> Lake:
    """The drill's own lake under drills/<run>/lake of the configured one."""
    return open_lake(f"{lake.url.rstrip('/')}/{keys.drill_lake(run_slug)}")


def open_incident(drill: DrillRun, lake: Lake) -> IncidentTrigger:
    """Suspected incident, triage confirmation and the accepted trigger of the drill incident."""
    scenario = drill.scenario
    with drill.stage("record", f"{scenario.source} record of the suspected incident"):
        suspect_id, _ = record_suspect(lake, scenario.suspect(drill.started_at, drill.incident_id))
    with drill.stage("triage", "confirmed by the drill"):
        record = record_triage(suspect_id, drill_answer("Confirm breach", scenario.title), drill.run_slug, lake=lake)
    conf = {**(record["incident_conf"] or {}), **scenario.conf_overrides(drill.started_at), "incident_id": drill.incident_id}
    conf["notes"] = f"[DRILL] {scenario.title} (scenario {scenario.name})"
    with drill.stage("trigger", "incident trigger validated and audited"):
        accept_trigger(conf, lake=lake)
    return validate_trigger(conf)


def run_incident(
    drill: DrillRun,
    lake: Lake,
    trigger: IncidentTrigger,
    url: str | None,
    adapters: dict[str, DeliveryAdapter],
    config: Config,
) -> None:
    """Scope, obligations, review, approval, batches and one unthrottled delivery round to the sink, all with the
    drill's store and configuration."""
    with drill.stage("scope", "affected individuals from the store"):
        version = resolve_scope(trigger, drill.run_slug, url=url, lake=lake)["version"]
    with drill.stage("obligations", "laws, deadlines and filing drafts"):
        obligations = compute_obligations(trigger, version, lake=lake, config=config)
    with drill.stage("review", "samples and the approval request"):
        prepare_review(trigger, version, lake=lake, url=url, config=config)
    with drill.stage("approval", "approved by the drill (a real incident waits for legal)"):
        record_decision(trigger, version, drill_answer("Approve", "drill approval"), drill.run_slug, lake=lake)
    with drill.stage("batches", "notices rendered, encrypted and batched"):
        batches = build(trigger, version, lake=lake, url=url, config=config)
    require_sinks(adapters)
    with drill.stage("delivery", "one round to the sink, unthrottled (after ready, not counted)"):
        unthrottled = replace(config, notice_send_rate=0.0)  # the sink reaches no one, so no provider limit applies
        delivered = deliver(trigger.incident_id, drill.run_slug, lake=lake, adapters=adapters, config=unthrottled)
    drill.facts.update(version=version, obligations=obligations, batches=batches["counts"], delivery=delivered["summary"])


def run_drill(
    scenario: Scenario,
    run_slug: str,
    *,
    lake: Lake | None = None,
    url: str | None = None,
    config: Config | None = None,
    adapters: Callable[[], dict[str, DeliveryAdapter]] = sink_adapters,
) -> tuple[DrillRun, Lake]:
    """Run the whole chain for one scenario in the drill's own lake; the run and that lake."""
    config = config or load_config()
    own = drill_lake(lake or open_lake(config=config), run_slug)
    drill = DrillRun(scenario, run_slug, datetime.now(UTC), drill_id(run_slug))
    trigger = open_incident(drill, own)
    run_incident(drill, own, trigger, url, adapters(), config)
    return drill, own
