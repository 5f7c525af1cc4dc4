"""Sealing a run: the one teardown every DAG ends with, writing a manifest of what the run wrote into the ledger."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from include.lake import keys
from include.lake.ledger import seal_run
from include.lake.store import Lake, StoredOutput, open_lake
from include.legal.rules import load_rules
from include.notices.render import templates_version
from include.pii.map import load_pii_map
from include.scan.tasks import versions as scan_check_versions


class SealResult(TypedDict):
    """The ledger entry a sealed run got."""

    seq: int
    entry_hash: str
    manifest: str


def incident_versions() -> dict[str, str]:
    """Versions that decide an incident's outcome: rules, PII map and notice templates."""
    return {"rules": load_rules().version, "pii_map": load_pii_map().version, "templates": templates_version()}


VERSIONS: dict[str, Callable[[], dict[str, str]]] = {
    "magento_pii_scan": scan_check_versions,
    "breach_incident": incident_versions,
}

TaskResult = Mapping[str, Any] | Sequence[Mapping[str, Any] | None] | None


def _items(result: TaskResult) -> list[Mapping[str, Any]]:
    return [item or {} for item in result] if isinstance(result, Sequence) else [result or {}]


def task_outputs(results: Mapping[str, TaskResult]) -> list[dict[str, Any]]:
    """Every output and state object of the run's tasks, tagged with the task that wrote it (mapped tasks give lists)."""
    outputs: list[dict[str, Any]] = []
    for task_id, result in results.items():
        for item in _items(result):
            for output in [*item.get("outputs", []), *item.get("state", [])]:
                outputs.append(dict(output, task_id=task_id))
    return outputs


def task_removals(results: Mapping[str, TaskResult]) -> list[str]:
    """Every object the run's tasks removed on purpose (superseded snapshot buckets)."""
    return sorted({path for result in results.values() for item in _items(result) for path in item.get("removed", [])})


def seal(
    dag_id: str,
    run_id: str,
    results: Mapping[str, TaskResult],
    *,
    run_slug: str | None = None,
    started_at: str | None = None,
    lake: Lake | None = None,
) -> SealResult | None:
    """Manifest of everything the run's tasks wrote, chained into the ledger; None when the run wrote nothing."""
    outputs, removed = task_outputs(results), task_removals(results)
    if not outputs and not removed:
        return None
    entry = seal_run(
        lake or open_lake(),
        dag_id=dag_id,
        run_id=run_id,
        outputs=outputs,
        versions=VERSIONS.get(dag_id, dict)(),
        started_at=started_at,
        run_key=run_slug or keys.run_key(run_id),
        removed=removed,
    )
    return {"seq": entry["seq"], "entry_hash": entry["entry_hash"], "manifest": entry["manifest"]}


__all__ = ["SealResult", "StoredOutput", "seal", "task_outputs"]
