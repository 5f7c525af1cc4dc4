"""The scheduled scan's steps, one function per task of the magento_pii_scan DAG (the DAG only wires them)."""

from __future__ import annotations

import glob
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from include.lake import crypto, keys
from include.lake.ledger import record_deletion
from include.lake.store import Lake, open_lake
from include.magento.source import create_source_engine, engine_kwargs, read_only_url, url_from_connection
from include.pii.map import load_pii_map, load_policy
from include.scan.drift import detect_drift
from include.scan.extract import TableExtractor
from include.scan.findings import Finding, from_check, from_drift, sort_findings, summarise
from include.scan.validation import CheckMeta, CheckStats, check_metas, has_suite, run_relational_checks, suites_version

log = logging.getLogger("airflow.task")
DAG_ID = "magento_pii_scan"


def versions() -> dict[str, str]:
    """Versions that decide what a scan checks."""
    return {"pii_map": load_pii_map().version, "policy": load_policy().version, "suites": suites_version()}


def plan_tables(url: str | None = None) -> list[str]:
    """Mapped tables present in the source, in map order (one mapped task each)."""
    engine = create_source_engine(url or url_from_connection())
    try:
        existing = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    tables = [name for name in load_pii_map().tables if name in existing]
    missing = [name for name in load_pii_map().tables if name not in existing]
    if missing:
        log.warning("mapped tables absent from the source (reported as drift, not scanned): %s", ", ".join(missing))
    return tables


def scan_table(
    table: str,
    run_id: str,
    *,
    url: str | None = None,
    lake: Lake | None = None,
    full_refresh: bool = False,
    chunk_rows: int = 50_000,
    bucket_rows: int = 100_000,
) -> dict[str, Any]:
    """Extract one table incrementally, merge and validate; returns counts, cached check totals and outputs."""
    engine = create_source_engine(url or url_from_connection())
    try:
        extractor = TableExtractor(
            engine,
            lake or open_lake(),
            crypto.default_wrapper(),
            load_pii_map().tables[table],
            run_id,
            chunk_rows=chunk_rows,
            bucket_rows=bucket_rows,
            suites_version=suites_version(),
            full_refresh=full_refresh,
        )
        result = extractor.run().as_dict()
    finally:
        engine.dispose()
    log.info(
        "%s: mode=%s read=%d changed=%d deleted=%d buckets_written=%d",
        table,
        result["mode"],
        result["rows_read"],
        result["rows_changed"],
        result["rows_deleted"],
        result["buckets_written"],
    )
    return result


def relational_checks(*, url: str | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """Retention and orphaned-grid checks, run as SQL in the source; returns findings as dicts."""
    url = url or url_from_connection()
    engine = create_source_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    results = run_relational_checks(
        read_only_url(url),
        engine_kwargs(url),
        inactive_days=load_policy().inactive_customer_days,
        now=now or datetime.now(UTC).replace(tzinfo=None),
        tables=tables,
    )
    pii_map = load_pii_map()
    return [
        {"meta": meta.__dict__, "stats": stats.as_dict(), "category": pii_map.category_of(meta.table, meta.column)}
        for meta, stats in results
    ]


def schema_drift(*, url: str | None = None) -> list[dict[str, Any]]:
    """Drift findings as dicts."""
    engine = create_source_engine(url or url_from_connection())
    try:
        return [from_drift(item).as_dict() for item in detect_drift(engine, load_pii_map())]
    finally:
        engine.dispose()


def store_security(*, url: str | None = None, now: datetime | None = None) -> list[dict[str, Any]]:
    """Store configuration and audit-log coverage findings as dicts."""
    from include.config import load_config  # noqa: PLC0415 (read at run time, not import time)
    from include.scan.store_security import audit_findings, config_findings  # noqa: PLC0415

    config = load_config()
    logs = sorted({Path(p) for pattern in config.access_logs for p in glob.glob(pattern) if Path(p).is_file()})
    engine = create_source_engine(url or url_from_connection())
    try:
        moment = now or datetime.now(UTC).replace(tzinfo=None)
        findings = config_findings(engine, config.admin_path) + audit_findings(engine, logs, moment)
    finally:
        engine.dispose()
    return [finding.as_dict() for finding in findings]


def collect_findings(
    table_results: list[dict[str, Any]], relational: list[dict[str, Any]], drift: list[dict[str, Any]]
) -> tuple[list[Finding], int, int]:
    """All findings of a run, plus how many checks ran and passed."""
    pii_map = load_pii_map()
    findings: list[Finding] = []
    checks_run = checks_passed = 0
    for result in table_results:
        if not has_suite(result["table"]):
            continue
        totals = result["checks"]
        for meta in check_metas(result["table"]):
            stats = CheckStats(**totals.get(f"{meta.column}:{meta.check}", {}))
            checks_run += 1
            if stats.unexpected_count:
                findings.append(from_check(meta, stats, pii_map))
            else:
                checks_passed += 1
    for item in relational:
        checks_run += 1
        stats = CheckStats(**item["stats"])
        if stats.unexpected_count:
            meta = CheckMeta(**{**item["meta"], "references": tuple(item["meta"]["references"])})
            findings.append(from_check(meta, stats, pii_map))
        else:
            checks_passed += 1
    findings.extend(Finding(**item) for item in drift)
    return sort_findings(findings), checks_run, checks_passed


def write_scan_outputs(
    run_id: str,
    table_results: list[dict[str, Any]],
    relational: list[dict[str, Any]],
    drift: list[dict[str, Any]],
    *,
    lake: Lake | None = None,
) -> dict[str, Any]:
    """findings.json and summary.json for the run; returns the summary (counts only) and the stored outputs."""
    lake = lake or open_lake()
    findings, checks_run, checks_passed = collect_findings(table_results, relational, drift)
    summary = {
        "run_id": run_id,
        "scanned_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **summarise(findings, checks_run, checks_passed),
        "tables": {
            r["table"]: {k: r[k] for k in ("mode", "rows_read", "rows_changed", "rows_deleted", "total_rows")}
            for r in table_results
        },
        "coverage": coverage(table_results),
        "versions": versions(),
    }
    outputs = [
        lake.put(keys.scan_findings(run_id), json.dumps([f.as_dict() for f in findings], indent=2).encode()).as_dict(),
        lake.put(keys.scan_summary(run_id), json.dumps(summary, indent=2).encode()).as_dict(),
    ]
    return {"summary": summary, "outputs": outputs}


def coverage(table_results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per encrypted column: rows checked and rows holding proper (current-cipher) ciphertext."""
    pii_map = load_pii_map()
    out = {}
    for result in table_results:
        spec = pii_map.tables[result["table"]]
        for column in spec.columns.values():
            totals = result["checks"]
            encrypted = totals.get(f"{column.name}:encrypted_any_cipher")
            if not encrypted:
                continue
            legacy = totals.get(f"{column.name}:current_cipher", {}).get("unexpected_count", 0)
            checked = encrypted["element_count"] - encrypted.get("missing_count", 0)
            good = max(0, checked - encrypted["unexpected_count"] - legacy)
            out[f"{spec.name}.{column.name}"] = {  # over values present: an empty column is not plaintext
                "rows_checked": checked,
                "current_cipher_rows": good,
                "coverage": round(good / checked, 4) if checked else 1.0,
            }
    return out


def purge_expired_extracts(*, lake: Lake | None = None, now: datetime | None = None) -> list[str]:
    """Delete extract runs older than the policy's retention, recording the deletion in the ledger first."""
    lake = lake or open_lake()
    cutoff = (now or datetime.now(UTC)) - timedelta(days=load_policy().extract_retention_days)
    expired: list[str] = []
    for key, _ in lake.list(keys.EXTRACTS):
        if not key.endswith("/_manifest.json"):
            continue
        manifest = json.loads(lake.get(key))
        if datetime.fromisoformat(manifest["extracted_at"]) < cutoff:
            expired.extend(part["path"] for part in manifest["parts"])
            expired.append(key)
    if expired:
        record_deletion(
            lake, expired, f"extract retention ({load_policy().extract_retention_days} days, include/pii/policy.yaml)"
        )
        for key in expired:
            lake.delete(key)
    return expired
