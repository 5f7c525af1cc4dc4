"""The breach_incident DAG's incident steps: accept the trigger, resolve a versioned scope, compute obligations."""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import sqlalchemy as sa

from include.config import DEMO_BUSINESS, Config, load_config
from include.incident.calendar import render_obligations_calendar
from include.incident.scope import Resolution, ScopeResolver, affected_groups, parse_scope_file
from include.incident.snapshots import SNAPSHOT_TABLES, snapshot_engine
from include.incident.trigger import IncidentTrigger, public_parameters, validate_trigger
from include.incident.versions import (
    changes_from,
    fingerprint,
    load_versions,
    save_versions,
    summarise_individuals,
    write_individuals,
)
from include.lake import crypto, keys
from include.lake.ledger import record_audit
from include.lake.store import Lake, StoredOutput, open_lake
from include.legal.filings import FilingFacts, filing_drafts, render_draft
from include.legal.inputs import Affected, Incident, InputError, parse_affected
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.magento.access_log import parse_lines, read_log_lines, records_read_by
from include.magento.source import SourceError, create_source_engine, url_from_connection
from include.pii.map import load_pii_map

log = logging.getLogger("airflow.task")
DAG_ID = "breach_incident"


class ScopeCounts(TypedDict):
    """Counts of a new version, for logs and XCom."""

    individuals: int
    by_jurisdiction: dict[str, int]
    by_channel: dict[str, int]
    unknown_residency: int


class ScopeResult(TypedDict):
    """What resolve_scope returns: the version to work on and whether it is new (counts only)."""

    version: int
    new_version: bool
    outputs: list[StoredOutput]
    timings: dict[str, float]
    source: str
    counts: NotRequired[ScopeCounts]


class ObligationsResult(TypedDict):
    """What compute_obligations returns (counts and the earliest due date, no personal data)."""

    outputs: list[StoredOutput]
    required: int
    needs_legal_review: int
    earliest_due: str | None
    filing_drafts: NotRequired[int]


def accept_trigger(conf: dict[str, Any], *, dag_run: Any = None, lake: Lake | None = None) -> dict[str, Any]:
    """Validate the trigger; on success record who triggered what (PCI DSS 10.2.2 fields), return its public form."""
    trigger = validate_trigger(conf)
    parameters = public_parameters(trigger)
    record_audit(
        lake or open_lake(),
        {
            "user_id": getattr(dag_run, "triggering_user_name", None) or "unknown",
            "event_type": "incident_triggered",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "outcome": "success",
            "origin": f"airflow {getattr(dag_run, 'run_type', 'manual')} run {getattr(dag_run, 'run_id', '')}".strip(),
            "affected_data": f"incident {trigger.incident_id}: tables {', '.join(trigger.compromised_tables)}",
            "component": f"{DAG_ID} DAG",
            "parameters": {**parameters, "notes_present": bool(trigger.notes)},
        },
    )
    log.info(
        "incident %s accepted: %d table(s), scope %s", trigger.incident_id, len(trigger.compromised_tables), trigger.scope_kind
    )
    return parameters


def access_log_keys(trigger: IncidentTrigger, config: Config | None = None) -> list[str]:
    """'customer:<id>' and 'order:<id>' for every record the trigger's client read in the access log (within the window)."""
    config = config or load_config()
    path = Path(str(trigger.access_log)).resolve()
    if not any(fnmatch(str(path), str(Path(pattern).resolve())) for pattern in config.access_logs) or not path.is_file():
        raise InputError("invalid trigger: access_log: not one of the configured access logs (DETECTION_ACCESS_LOGS)")
    customers, orders = records_read_by(
        parse_lines(read_log_lines(path)), str(trigger.access_log_client), trigger.window_start, trigger.window_end
    )
    return [f"customer:{c}" for c in sorted(customers)] + [f"order:{o}" for o in sorted(orders)]


def scope_keys(lake: Lake, trigger: IncidentTrigger) -> list[str]:
    """The values of a lake_file scope; the file must be encrypted (InputError naming scope_file otherwise)."""
    if trigger.scope_kind == "access_log":
        return access_log_keys(trigger)
    if trigger.scope_kind != "lake_file" or trigger.scope_file is None or trigger.scope_file_kind is None:
        return []
    if not lake.exists(trigger.scope_file):
        raise InputError("scope_file: no such object in the lake (upload it with breachctl incident upload-scope)")
    try:
        data = crypto.decrypt(lake.get(trigger.scope_file), crypto.default_wrapper(), aad=trigger.scope_file)
        return parse_scope_file(data, trigger.scope_file_kind)
    except (crypto.DecryptionError, ValueError) as error:
        raise InputError(f"scope_file: {error}") from None


def resolve(trigger: IncidentTrigger, lake: Lake, url: str | None = None) -> tuple[Resolution, str]:
    """Resolve the scope against the store, or against the scan's snapshots when the store is unreachable."""
    source = "magento_db"
    try:
        engine = create_source_engine(url or url_from_connection())
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (SourceError, sa.exc.SQLAlchemyError) as error:
        log.warning("Magento source unreachable (%s); resolving from the scan's snapshots", type(error).__name__)
        source = "lake_snapshots"
        tables = sorted(set(trigger.compromised_tables) | set(SNAPSHOT_TABLES))
        engine = snapshot_engine(lake, tables, tempfile.mkstemp(suffix=".db")[1])
    try:
        return ScopeResolver(engine, load_pii_map(), trigger, scope_keys(lake, trigger)).resolve(), source
    finally:
        engine.dispose()


def resolve_scope(trigger: IncidentTrigger, run_id: str, *, url: str | None = None, lake: Lake | None = None) -> ScopeResult:
    """Resolve the affected individuals into a new version (or reuse the current one when nothing changed)."""
    lake = lake or open_lake()
    versions = load_versions(lake, trigger.incident_id)
    same_run = next((v for v in versions if v["run_id"] == run_id), None)
    resolution, source = resolve(trigger, lake, url)
    individuals = resolution.individuals
    print_ = fingerprint(individuals, trigger)
    latest = versions[-1] if versions else None
    if same_run is None and latest and latest["fingerprint"] == print_:
        log.info("scope unchanged since version %s: no new version", latest["version"])
        return {
            "version": latest["version"],
            "new_version": False,
            "outputs": [],
            "timings": resolution.timings,
            "source": source,
        }
    version = same_run["version"] if same_run else (latest["version"] + 1 if latest else 1)
    previous = latest["version"] if latest and latest["version"] != version else None
    summary, outputs = write_version(lake, trigger, version, run_id, resolution, source, previous)
    if same_run is None:
        versions.append({"version": version, "run_id": run_id, "fingerprint": print_, "created_at": summary["resolved_at"]})
        outputs.append(save_versions(lake, trigger.incident_id, versions))
    log.info(
        "incident %s v%d: %d individual(s), %d unknown residency",
        trigger.incident_id,
        version,
        summary["individuals"],
        summary["unknown_residency"],
    )
    return {
        "version": version,
        "new_version": True,
        "outputs": outputs,
        "timings": resolution.timings,
        "source": source,
        "counts": {
            "individuals": summary["individuals"],
            "by_jurisdiction": summary["by_jurisdiction"],
            "by_channel": summary["by_channel"],
            "unknown_residency": summary["unknown_residency"],
        },
    }


def write_version(
    lake: Lake,
    trigger: IncidentTrigger,
    version: int,
    run_id: str,
    resolution: Resolution,
    source: str,
    previous_version: int | None,
) -> tuple[dict[str, Any], list[StoredOutput]]:
    """The encrypted individuals, AFFECTED.json and summary.json of one version; returns the summary and the outputs."""
    incident_id, individuals = trigger.incident_id, resolution.individuals
    previous = json.loads(lake.get(keys.incident_summary(incident_id, previous_version))) if previous_version else None
    summary: dict[str, Any] = {
        "incident_id": incident_id,
        "version": version,
        "run_id": run_id,
        "source": source,
        "resolved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **summarise_individuals(individuals),
        "unlinked_tables": resolution.unlinked_tables,
        "compromised_tables": trigger.compromised_tables,
        "unreadable_values": resolution.unreadable_values,
    }
    if resolution.unreadable_values:
        log.warning("%d source value(s) were not valid UTF-8 and were read as missing", resolution.unreadable_values)
    summary["changes_from_previous"] = changes_from(previous, summary)
    groups = affected_groups(individuals, trigger)
    outputs = [
        write_individuals(lake, keys.affected_people(incident_id, version), individuals),
        lake.put(keys.affected_groups(incident_id, version), json.dumps({"groups": groups}, indent=1).encode()).as_dict(),
        lake.put(keys.incident_summary(incident_id, version), json.dumps(summary, indent=2).encode()).as_dict(),
    ]
    return summary, outputs


def _obligations_result(document: dict[str, Any], outputs: list[StoredOutput]) -> ObligationsResult:
    required = [o for o in document["obligations"] if o["required"]]
    return {
        "outputs": outputs,
        "required": len(required),
        "needs_legal_review": sum(o["needs_legal_review"] for o in required),
        "earliest_due": min((o["due"] for o in required if o["due"]), default=None),
        "filing_drafts": sum(1 for o in required if o.get("filing_draft")),
    }


def with_business_timezone(trigger: IncidentTrigger, config: Config) -> Incident:
    """The incident with the configured business time zone when the trigger gives none."""
    if trigger.business_timezone or not config.business_timezone:
        return trigger
    return trigger.model_copy(update={"business_timezone": config.business_timezone})


def write_filings(lake: Lake, facts: FilingFacts, document: dict[str, Any], now: datetime) -> list[StoredOutput]:
    """A JSON and an HTML draft for every required regulator notice, and their index; marks each obligation."""
    incident_id, version = facts.incident.incident_id, facts.version
    outputs, index = [], []
    for draft in filing_drafts(facts):
        json_key = keys.filing_draft(incident_id, version, draft["obligation"], "json")
        html_key = keys.filing_draft(incident_id, version, draft["obligation"], "html")
        outputs.append(lake.put(json_key, json.dumps(draft, indent=2).encode()).as_dict())
        outputs.append(lake.put(html_key, render_draft(draft, now).encode()).as_dict())
        index.append(
            {"obligation": draft["obligation"], "form": draft["form"], "due": draft["due"], "json": json_key, "html": html_key}
        )
    for obligation in document["obligations"]:
        entry = next((i for i in index if i["obligation"] == obligation["id"]), None)
        if entry:
            obligation["filing_draft"] = {"json": entry["json"], "html": entry["html"]}
    summary = {"incident_id": incident_id, "version": version, "status_from": "breachctl incident fulfil", "drafts": index}
    outputs.append(lake.put(keys.filings_index(incident_id, version), json.dumps(summary, indent=2).encode()).as_dict())
    return outputs


def compute_obligations(
    trigger: IncidentTrigger, version: int, *, lake: Lake | None = None, new_version: bool = True, config: Config | None = None
) -> ObligationsResult:
    """obligations.json, the filing drafts and the obligations calendar for one version (a sealed version is never rewritten)."""
    lake, config = lake or open_lake(), config or load_config()
    incident_id = trigger.incident_id
    if not new_version:
        return _obligations_result(json.loads(lake.get(keys.obligations(incident_id, version))), [])
    affected: Affected = parse_affected(json.loads(lake.get(keys.affected_groups(incident_id, version))))
    incident = with_business_timezone(trigger, config)
    document = obligations_document(incident, affected, load_rules())
    document["version"] = version
    now = datetime.now(UTC)
    business = config.business or DEMO_BUSINESS
    facts = FilingFacts(incident, version, affected, document["obligations"], business, trigger.notice_description)
    outputs = write_filings(lake, facts, document, now)
    calendar = render_obligations_calendar(incident_id, version, document["obligations"], now, trigger.discovered_at)
    outputs += [
        lake.put(keys.obligations(incident_id, version), json.dumps(document, indent=2).encode()).as_dict(),
        lake.put(keys.obligations_calendar(incident_id, version), calendar.encode()).as_dict(),
    ]
    return _obligations_result(document, outputs)


__all__ = ["ObligationsResult", "ScopeResult", "accept_trigger", "compute_obligations", "resolve_scope"]
