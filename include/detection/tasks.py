"""The breach_detection and breach_triage DAGs' steps: a watermarked detection run, suspected incidents, triage.

Detection reads the store through read-only sessions and the configured access logs, evaluates every rule
once, and records each detection as a suspected incident (deduplicated across runs by source and dedupe key).
Triage records a person's decision in the lake and the audit ledger; a confirmed breach becomes the conf of a
breach_incident run with `discovered_at` at the earliest evidence and the scope the detection implies.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from include.config import Config, load_config
from include.detection.detect import History, detect
from include.detection.engine import Detection
from include.detection.suspects import Evidence, SuspectedIncident, append_sighting, record_suspect, suspect_key
from include.lake import crypto, keys
from include.lake.store import Lake, StoredOutput, open_lake
from include.magento.source import url_from_connection

log = logging.getLogger("airflow.task")
FIRST_RUN_LOOKBACK = timedelta(hours=24)
BASE_TABLES = ["customer_entity", "customer_address_entity", "sales_order", "sales_order_address"]
TABLES_BY_CATEGORY = {
    "skimmer_injection": ["sales_order", "sales_order_address", "sales_order_payment"],
    "customer_enumeration": BASE_TABLES,
    "login_as_customer_use": BASE_TABLES,
}
ALL_ACCESS_TABLES = [*BASE_TABLES, "sales_order_payment"]


class DetectionResult(TypedDict):
    """What a detection run returns (counts and ids only)."""

    outputs: list[StoredOutput]
    window_start: str | None
    window_end: str
    events: dict[str, int]
    detections: int
    new_suspects: list[str]
    timings: dict[str, float]


def access_log_paths(config: Config) -> list[Path]:
    """The configured access logs (DETECTION_ACCESS_LOGS: paths or globs), existing files only, in name order."""
    return sorted({Path(p) for pattern in config.access_logs for p in glob.glob(pattern) if Path(p).is_file()})


def to_suspect(detection: Detection) -> SuspectedIncident:
    """A detection as a suspected incident (the client address is kept only for an access-log enumeration)."""
    web = any("log_file" in item for item in detection.evidence)
    return SuspectedIncident(
        source="detection",
        dedupe_key=detection.dedupe_key,
        rule_id=detection.rule_id,
        category=detection.category,
        level=detection.level,  # type: ignore[arg-type]
        title=detection.title,
        first_seen=datetime.fromisoformat(detection.first_seen),
        last_seen=datetime.fromisoformat(detection.last_seen),
        count=detection.count,
        compromised_tables=TABLES_BY_CATEGORY.get(detection.category, ALL_ACCESS_TABLES),
        evidence=[Evidence.model_validate(item) for item in detection.evidence],
        client=detection.group if web and detection.category == "customer_enumeration" else None,
    )


def _window(lake: Lake, since: str | None, now: datetime) -> datetime:
    if since:
        return datetime.fromisoformat(since.replace("Z", "+00:00"))
    if lake.exists(keys.detection_watermark()):
        return datetime.fromisoformat(json.loads(lake.get(keys.detection_watermark()))["window_end"])
    return now - FIRST_RUN_LOOKBACK


def run_detection(
    run_id: str, since: str | None = None, *, lake: Lake | None = None, url: str | None = None, config: Config | None = None
) -> DetectionResult:
    """One watermarked detection run: new suspected incidents recorded, later sightings appended, history kept."""
    lake, config = lake or open_lake(), config or load_config()
    now = datetime.now(UTC).replace(microsecond=0)
    start = _window(lake, since, now)
    history = History.from_dict(json.loads(lake.get(keys.detection_history()))) if lake.exists(keys.detection_history()) else None
    run = detect(
        store_url=url or url_from_connection(),
        access_logs=access_log_paths(config),
        since=start,
        allowlist=config.script_allowlist,
        admin_path=config.admin_path,
        history=history,
        hasher=lambda value: crypto.pseudonym(value, "detection"),
    )
    new: list[str] = []
    seen: list[str] = []
    for detection in run.detections:
        suspect = to_suspect(detection)
        suspect_id, created = record_suspect(lake, suspect)
        (new if created else seen).append(suspect_id)
        if not created:
            append_sighting(lake, suspect)
    document = {
        "run_id": run_id,
        "window_start": start.isoformat(),
        "window_end": now.isoformat(),
        "events": run.events,
        "detections": [{**d.public(), "evidence": len(d.evidence)} for d in run.detections],
        "new_suspects": new,
        "known_suspects": seen,
    }
    outputs = [lake.put(keys.detection_run(run_id), json.dumps(document, indent=1).encode()).as_dict()]
    outputs += [_stored(lake, suspect_key(s)) for s in new]
    outputs.append(lake.put(keys.detection_history(), json.dumps(run.history.to_dict(), sort_keys=True).encode()).as_dict())
    watermark = {"window_end": now.isoformat(), "run_id": run_id}
    outputs.append(lake.put(keys.detection_watermark(), json.dumps(watermark).encode()).as_dict())
    log.info("detection %s..%s: %d detection(s), %d new suspected incident(s)", start, now, len(run.detections), len(new))
    return {
        "outputs": outputs,
        "window_start": start.isoformat(),
        "window_end": now.isoformat(),
        "events": run.events,
        "detections": len(run.detections),
        "new_suspects": new,
        "timings": run.timings,
    }


def _stored(lake: Lake, key: str) -> StoredOutput:
    data = lake.get(key)
    return {"path": key, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def triage_requests(result: DetectionResult) -> list[dict[str, Any]]:
    """One breach_triage run per new suspected incident (its run id makes a repeated request a no-op)."""
    return [{"trigger_run_id": f"triage__{s}", "conf": {"suspect_id": s}} for s in result["new_suspects"]]
