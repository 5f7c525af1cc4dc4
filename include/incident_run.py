"""The breach_incident DAG's steps: versioned scope resolution, obligations and their calendar (no Airflow imports)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from include import evidence, lake_crypto
from include.extract import read_encrypted_table
from include.incident import IncidentTrigger, public_parameters, trigger_from, validate_trigger
from include.lake import Lake, open_lake
from include.magento.geography import US_REGIONS
from include.obligations import obligations_document
from include.pii_map import load_pii_map
from include.reports import render_page
from include.rules import Affected, load_rules, parse_affected
from include.scope import ScopeResolver, affected_groups, parse_scope_file
from include.source import SourceError, create_source_engine, url_from_connection

log = logging.getLogger("airflow.task")
DAG_ID = "breach_incident"
SNAPSHOT_TABLES = (
    "customer_entity",
    "customer_address_entity",
    "sales_order",
    "sales_order_address",
    "customer_visitor",
    "customer_log",
)


def incident_prefix(incident_id: str, version: int | None = None) -> str:
    """Where an incident (or one version of it) lives in the lake."""
    return f"incidents/{incident_id}" + (f"/v{version}" if version else "")


def _state_key(incident_id: str) -> str:
    return f"state/incidents/{incident_id}/versions.json"


def load_versions(lake: Lake, incident_id: str) -> list[dict[str, Any]]:
    """Versions recorded for an incident, oldest first."""
    key = _state_key(incident_id)
    return json.loads(lake.get(key))["versions"] if lake.exists(key) else []


def fingerprint(individuals: pd.DataFrame, trigger: IncidentTrigger) -> str:
    """Identifies a resolution: who, where, what, under which facts (changes make a new version)."""
    digest = hashlib.sha256(json.dumps(trigger.model_dump(mode="json", exclude={"notes"}), sort_keys=True).encode())
    for row in individuals.sort_values("person")[
        ["person", "jurisdiction", "data_elements", "encrypted_elements", "email_valid", "postal_valid"]
    ].itertuples(index=False):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def snapshot_engine(lake: Lake, tables: list[str], path: str) -> sa.Engine:
    """When the store is unreachable: an SQLite copy of the scan's encrypted snapshots of the tables a scope needs."""
    engine = sa.create_engine(f"sqlite:///{path}")
    wrapper = lake_crypto.default_wrapper()
    for table in tables:
        index_key = f"state/snapshots/{table}/index.json"
        if not lake.exists(index_key):
            raise SourceError(f"store unreachable and no snapshot of {table} in the lake")
        index = json.loads(lake.get(index_key))
        for entry in index["buckets"].values():
            frame = read_encrypted_table(lake, entry["key"], wrapper).drop_columns(["_row_hash"]).to_pandas()
            frame.to_sql(table, engine, if_exists="append", index=False)
    regions = pd.DataFrame([{"region_id": i, "country_id": "US", "code": c, "default_name": n} for i, c, n in US_REGIONS])
    regions.to_sql("directory_country_region", engine, if_exists="replace", index=False)
    return engine


def _scope_keys(lake: Lake, trigger: IncidentTrigger) -> list[str]:
    if trigger.scope_kind != "lake_file":
        return []
    data = lake.get(trigger.scope_file)
    if lake_crypto.is_encrypted(data):
        data = lake_crypto.decrypt(data, lake_crypto.default_wrapper(), aad=trigger.scope_file)
    return parse_scope_file(data, trigger.scope_file_kind)


def write_individuals(lake: Lake, key: str, individuals: pd.DataFrame) -> dict[str, Any]:
    """The affected individuals, encrypted client-side (only the columns notices need)."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(individuals, preserve_index=False), buffer, compression="zstd")
    return lake.put(key, lake_crypto.encrypt(buffer.getvalue(), lake_crypto.default_wrapper(), aad=key)).as_dict()


def read_individuals(lake: Lake, key: str) -> pd.DataFrame:
    """Read back write_individuals."""
    return read_encrypted_table(lake, key, lake_crypto.default_wrapper()).to_pandas()


def summarise_individuals(individuals: pd.DataFrame) -> dict[str, Any]:
    """Counts only: by jurisdiction, data element, channel, residency source and language."""
    elements = Counter(e for els in individuals["data_elements"] for e in els)
    email = individuals["email_valid"].astype(bool)
    postal = individuals["postal_valid"].astype(bool)
    return {
        "individuals": len(individuals),
        "by_jurisdiction": dict(sorted(Counter(individuals["jurisdiction"]).items())),
        "by_data_element": dict(sorted(elements.items())),
        "by_channel": {
            "email": int(email.sum()),
            "postal": int(postal.sum()),
            "email_and_postal": int((email & postal).sum()),
            "none": int((~email & ~postal).sum()),
        },
        "by_residency_source": dict(sorted(Counter(individuals["residency_source"]).items())),
        "unknown_residency": int((individuals["jurisdiction"] == "UNKNOWN").sum()),
        "by_language": dict(sorted(Counter(individuals["language"]).items())),
        "credentials_exposed": int(individuals["credentials_exposed"].astype(bool).sum()),
    }


def _changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any] | None:
    if not previous:
        return None
    jurisdictions = set(previous["by_jurisdiction"]) | set(current["by_jurisdiction"])
    return {
        "from_version": previous["version"],
        "individuals": current["individuals"] - previous["individuals"],
        "by_jurisdiction": {
            j: current["by_jurisdiction"].get(j, 0) - previous["by_jurisdiction"].get(j, 0)
            for j in sorted(jurisdictions)
            if current["by_jurisdiction"].get(j, 0) != previous["by_jurisdiction"].get(j, 0)
        },
    }


def resolve_scope(trigger: IncidentTrigger, run_id: str, *, url: str | None = None, lake: Lake | None = None) -> dict[str, Any]:
    """Resolve the affected individuals into a new version (or reuse the current one when nothing changed)."""
    lake = lake or open_lake()
    versions = load_versions(lake, trigger.incident_id)
    same_run = next((v for v in versions if v["run_id"] == run_id), None)
    source = "magento_db"
    try:
        engine = create_source_engine(url or url_from_connection())
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (SourceError, sa.exc.SQLAlchemyError) as error:
        log.warning("Magento source unreachable (%s); resolving from the scan's snapshots", type(error).__name__)
        import tempfile

        source = "lake_snapshots"
        tables = sorted(set(trigger.compromised_tables) | set(SNAPSHOT_TABLES))
        engine = snapshot_engine(lake, tables, tempfile.mkstemp(suffix=".db")[1])
    try:
        result = ScopeResolver(engine, load_pii_map(), trigger, _scope_keys(lake, trigger)).resolve()
    finally:
        engine.dispose()
    individuals = result.individuals
    print_ = fingerprint(individuals, trigger)
    latest = versions[-1] if versions else None
    if same_run is None and latest and latest["fingerprint"] == print_:
        log.info("scope unchanged since version %s: no new version", latest["version"])
        return {"version": latest["version"], "new_version": False, "outputs": [], "timings": result.timings, "source": source}
    version = same_run["version"] if same_run else (latest["version"] + 1 if latest else 1)
    prefix = incident_prefix(trigger.incident_id, version)
    groups = affected_groups(individuals, trigger)
    previous_summary = None
    if latest and latest["version"] != version:
        previous_summary = json.loads(lake.get(f"{incident_prefix(trigger.incident_id, latest['version'])}/summary.json"))
    summary = {
        "incident_id": trigger.incident_id,
        "version": version,
        "run_id": run_id,
        "source": source,
        "resolved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **summarise_individuals(individuals),
        "unlinked_tables": result.unlinked_tables,
        "compromised_tables": trigger.compromised_tables,
    }
    summary["changes_from_previous"] = _changes(previous_summary, summary)
    outputs = [
        write_individuals(lake, f"{prefix}/affected.parquet.enc", individuals),
        lake.put(f"{prefix}/affected.json", json.dumps({"groups": groups}, indent=1).encode()).as_dict(),
        lake.put(f"{prefix}/summary.json", json.dumps(summary, indent=2).encode()).as_dict(),
    ]
    if same_run is None:
        versions.append({"version": version, "run_id": run_id, "fingerprint": print_, "created_at": summary["resolved_at"]})
        lake.put(_state_key(trigger.incident_id), json.dumps({"versions": versions}, indent=1).encode())
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
        "timings": result.timings,
        "source": source,
        "counts": {k: summary[k] for k in ("individuals", "by_jurisdiction", "by_channel", "unknown_residency")},
    }


def compute_obligations(
    trigger: IncidentTrigger, version: int, *, lake: Lake | None = None, new_version: bool = True
) -> dict[str, Any]:
    """obligations.json and the accessible obligations calendar for one version (a sealed version is never rewritten)."""
    lake = lake or open_lake()
    prefix = incident_prefix(trigger.incident_id, version)
    if not new_version:
        document = json.loads(lake.get(f"{prefix}/obligations.json"))
        required = [o for o in document["obligations"] if o["required"]]
        return {
            "outputs": [],
            "required": len(required),
            "needs_legal_review": sum(o["needs_legal_review"] for o in required),
            "earliest_due": min((o["due"] for o in required if o["due"]), default=None),
        }
    affected: Affected = parse_affected(json.loads(lake.get(f"{prefix}/affected.json")))
    document = obligations_document(trigger, affected, load_rules())
    document["version"] = version
    calendar = render_obligations_calendar(trigger.incident_id, version, document["obligations"], datetime.now(UTC))
    outputs = [
        lake.put(f"{prefix}/obligations.json", json.dumps(document, indent=2).encode()).as_dict(),
        lake.put(f"{prefix}/obligations.html", calendar.encode()).as_dict(),
    ]
    required = [o for o in document["obligations"] if o["required"]]
    earliest = min((o["due"] for o in required if o["due"]), default=None)
    return {
        "outputs": outputs,
        "required": len(required),
        "needs_legal_review": sum(o["needs_legal_review"] for o in required),
        "earliest_due": earliest,
    }


def render_obligations_calendar(incident_id: str, version: int, obligations: list[dict[str, Any]], now: datetime) -> str:
    """Self-contained, accessible HTML: every required obligation by due date, with days left."""
    rows = []
    for obligation in sorted(obligations, key=lambda o: (not o["required"], o["due"] or "9999", o["id"])):
        due = datetime.fromisoformat(obligation["due"]) if obligation["due"] else None
        days_left = (due - now).total_seconds() / 86400 if due else None
        rows.append({**obligation, "days_left": None if days_left is None else int(days_left // 1)})
    return render_page(
        "obligations_calendar.html.j2",
        title=f"Obligations calendar: incident {incident_id} v{version}",
        incident_id=incident_id,
        version=version,
        obligations=rows,
        generated_at=now.isoformat(timespec="minutes"),
    )


def versions() -> dict[str, str]:
    """Versions that decide an incident's outcome."""
    from include.notices.render import templates_version

    return {"rules": load_rules().version, "pii_map": load_pii_map().version, "templates": templates_version()}


def accept_trigger(conf: dict[str, Any], *, dag_run: Any = None, lake: Lake | None = None) -> dict[str, Any]:
    """Validate the trigger; on success record who triggered what (PCI DSS 10.2.2 fields), return its public form."""
    trigger = validate_trigger(conf)
    parameters = public_parameters(trigger)
    lake = lake or open_lake()
    evidence.record_audit(
        lake,
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


def record_decision(
    trigger: IncidentTrigger, version: int, decision: dict[str, Any] | None, run_id: str, *, lake: Lake | None = None
) -> dict[str, Any]:
    """The approval or rejection of a version's notices, in the audit trail."""
    from include.notice_run import approval_record

    record = approval_record(decision)
    lake = lake or open_lake()
    evidence.record_audit(
        lake,
        {
            "user_id": record["by"] or "unknown",
            "event_type": "notices_approved" if record["approved"] else "notices_rejected",
            "timestamp": record["at"] or datetime.now(UTC).isoformat(timespec="seconds"),
            "outcome": "success" if record["approved"] else "failure",
            "origin": f"Airflow human-in-the-loop response, run {run_id}",
            "affected_data": f"incident {trigger.incident_id} v{version} notices",
            "component": f"{DAG_ID}.legal_approval",
            "reason": record["reason"],
        },
    )
    return record


def seal(
    trigger: dict[str, Any] | None,
    run_id: str,
    task_results: dict[str, dict[str, Any] | None],
    *,
    started_at: str | None = None,
    lake: Lake | None = None,
) -> dict[str, Any] | None:
    """Manifest of the run's outputs (if it wrote any), chained into the ledger."""
    outputs = [dict(o, task_id=task) for task, result in task_results.items() if result for o in result.get("outputs", [])]
    if trigger is None or not outputs:
        return None
    from include.extract import run_key

    lake = lake or open_lake()
    entry = evidence.seal_run(
        lake,
        dag_id=DAG_ID,
        run_id=run_id,
        outputs=outputs,
        versions=versions(),
        started_at=started_at,
        run_key=f"{trigger['incident_id']}-{run_key(run_id)}",
    )
    return {"seq": entry["seq"], "entry_hash": entry["entry_hash"]}


__all__ = ["accept_trigger", "compute_obligations", "record_decision", "resolve_scope", "seal", "trigger_from"]
