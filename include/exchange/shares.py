"""Processors' shares of a breach: the part of an approved incident's affected list a processor already holds.

- A payment processor (registered with `payment_methods`) gets, for every order of an affected person paid with one
  of its methods: the order increment id, the payment method, the card's last 4 digits and the order date.
- A processor registered with `tables` gets the primary keys of affected people's rows in those of its tables that
  the incident compromised.

Nothing else: no names, emails or addresses. A share exists only for a version legal approved (read from the
ledger); it is JSON lines, gzip, sealed with HPKE (RFC 9180, as the mail-house outbox) to the processor's X25519
key, with a manifest signed by the merchant's Ed25519 key. The sealed bundle is kept under `exchange/shares/` so
every download of a version serves the same bytes, and every download is an audit entry in the ledger.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from include.exchange.bundle import ShareBundle, ShareError, seal_share
from include.exchange.registry import Processor, SigningKey, signing_key
from include.incident.approval import approved_versions
from include.incident.scope import normalise_email, table_link
from include.incident.snapshots import snapshot_engine
from include.incident.versions import load_versions, read_individuals
from include.lake import keys
from include.lake.ledger import now_iso, record_audit
from include.lake.store import Lake
from include.magento.source import SourceError, create_source_engine, quoted, url_from_connection
from include.pii.map import load_pii_map

STREAM_ROWS = 20_000


def _stream(engine: sa.Engine, sql: str, params: dict[str, Any]) -> Iterator[sa.Row]:
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True).execute(sa.text(sql), params)
        while rows := result.fetchmany(STREAM_ROWS):
            yield from rows


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return _iso(datetime.fromisoformat(str(value)))


def affected_keys(lake: Lake, incident_id: str, version: int) -> tuple[set[int], set[str]]:
    """The affected people of a version as customer ids and normalised emails (read, never written out)."""
    people = read_individuals(lake, keys.affected_people(incident_id, version))
    ids = {int(i) for ids in people["customer_ids"] for i in (ids if ids is not None else [])}
    emails = {e for e in (normalise_email(v) for v in people["email"]) if e}
    return ids, emails


def payment_rows(engine: sa.Engine, methods: tuple[str, ...], ids: set[int], emails: set[str]) -> list[dict[str, Any]]:
    """Orders of affected people paid with the processor's methods: increment id, method, last 4, date."""
    if not methods:
        return []
    params = {f"m{i}": m for i, m in enumerate(methods)}
    sql = (
        "SELECT o.increment_id, p.method, p.cc_last_4, o.created_at, o.customer_id, o.customer_email "
        "FROM sales_order o JOIN sales_order_payment p ON p.parent_id = o.entity_id "
        f"WHERE p.method IN ({', '.join(':' + k for k in params)})"
    )
    rows = []
    for increment_id, method, last4, created_at, customer_id, email in _stream(engine, sql, params):
        if (customer_id is not None and int(customer_id) in ids) or normalise_email(email) in emails:
            rows.append(
                {
                    "order_increment_id": str(increment_id),
                    "payment_method": method,
                    "cc_last_4": last4,
                    "order_date": _iso(created_at),
                }
            )
    return sorted(rows, key=lambda r: (r["order_increment_id"], r["payment_method"]))


def table_rows(engine: sa.Engine, tables: list[str], ids: set[int], emails: set[str]) -> list[dict[str, Any]]:
    """Primary keys of affected people's rows in the given PII-map tables."""
    pii = load_pii_map()
    rows: list[dict[str, Any]] = []
    for table in tables:
        spec = pii.tables[table]
        link = table_link(spec)
        if link is None:
            continue
        sql = (
            f"SELECT t.{quoted(engine, spec.primary_key)}, {link.customer or 'NULL'}, {link.email or 'NULL'} "
            f"FROM {quoted(engine, table)} t {link.via}"
        )
        for key, customer_id, email in _stream(engine, sql, {}):
            if (customer_id is not None and int(customer_id) in ids) or normalise_email(email) in emails:
                rows.append({"table": table, "primary_key": key})
    return sorted(rows, key=lambda r: (r["table"], str(r["primary_key"])))


def source_engine(lake: Lake, tables: list[str]) -> sa.Engine:
    """The store (read-only), or the scan's snapshots of the tables when the store is unreachable."""
    try:
        engine = create_source_engine(url_from_connection())
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return engine
    except (SourceError, sa.exc.SQLAlchemyError, ValueError):
        return snapshot_engine(lake, tables, tempfile.mkstemp(suffix=".db")[1])


def build_share(
    lake: Lake, incident_id: str, version: int, processor: Processor, key: SigningKey, engine: sa.Engine | None = None
) -> ShareBundle:
    """The processor's share of one version."""
    summary = json.loads(lake.get(keys.incident_summary(incident_id, version)))
    tables = [t for t in processor.tables if t in set(summary.get("compromised_tables") or [])]
    ids, emails = affected_keys(lake, incident_id, version)
    own = engine is None
    fallback = ["sales_order_payment"] if processor.payment_methods else tables
    engine = engine or source_engine(lake, sorted({"sales_order", *fallback}))
    try:
        if processor.payment_methods:
            rows, kind = payment_rows(engine, processor.payment_methods, ids, emails), "payments"
        else:
            rows, kind = table_rows(engine, tables, ids, emails), "tables"
    finally:
        if own:
            engine.dispose()
    return seal_share(rows, incident_id=incident_id, version=version, processor=processor, key=key, kind=kind)


def shareable_version(lake: Lake, incident_id: str) -> int:
    """The newest version of the incident that legal approved; 404 for an unknown incident, 403 before approval."""
    versions = {v["version"] for v in load_versions(lake, incident_id)}
    if not versions:
        raise ShareError("incident_id: no such incident", status=404)
    approved = versions & set(approved_versions(lake, incident_id))
    if not approved:
        raise ShareError("incident_id: no version of this incident is approved yet; shares follow legal approval")
    return max(approved)


def download_share(
    lake: Lake, incident_id: str, processor: Processor, *, key: SigningKey | None = None, engine: sa.Engine | None = None
) -> bytes:
    """The processor's sealed share of the newest approved version (built once), recorded in the audit ledger."""
    version = shareable_version(lake, incident_id)
    if not processor.payment_methods and not processor.tables:
        raise ShareError("processor: registered with neither payment_methods nor tables")
    cache = keys.processor_share(incident_id, version, processor.name, processor.recipient_fingerprint)
    if not lake.exists(cache):
        try:
            bundle = build_share(lake, incident_id, version, processor, key or signing_key(), engine)
        except (SourceError, sa.exc.SQLAlchemyError):
            raise ShareError("incident_id: the store and the scan's snapshots cannot be read; try later", 503) from None
        lake.put_if_absent(cache, bundle.model_dump_json().encode())
    data = lake.get(cache)
    manifest = json.loads(data)["manifest"]
    record_audit(
        lake,
        {
            "user_id": f"processor:{processor.name}",
            "event_type": "processor_share_downloaded",
            "timestamp": now_iso(),
            "outcome": "success",
            "origin": "breach exchange API GET /breach/v1/incidents/{id}/shares/{processor}",
            "affected_data": f"incident {incident_id} v{version} share for {processor.name}: {manifest['rows']} rows",
            "component": "exchange.shares",
            "bundle_sha256": hashlib.sha256(data).hexdigest(),
            "ciphertext_sha256": manifest["ciphertext_sha256"],
        },
    )
    return data
