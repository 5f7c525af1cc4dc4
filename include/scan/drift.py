"""Schema drift: personal-looking columns and custom attributes in the live store that the PII map does not cover.

The live catalogue (information_schema, or SQLite's pragmas) is compared with the map, the reviewed list and the
real Magento 2.4.8 schema. Unknown columns are judged by name and by a small sample of values; the sampled
values are tested in memory and only booleans and counts leave this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from expectations.checks import contains_pan
from include.magento.schema import TEXT_TYPES, magento_tables
from include.magento.source import fetch_all, quoted
from include.pii.map import PiiMap

PERSONAL_NAME = re.compile(
    r"(^|_)(e?mail|phone|telephone|mobile|fax|firstname|lastname|middlename|surname|fullname|nickname|street|address|"
    r"city|postcode|zip|dob|birth|birthdate|gender|ssn|social_security|tax_?vat|taxvat|vat_id|passport|licen[cs]e|"
    r"national_id|iban|account_number|card|cc|cvv|cvc|pan|password|passwd|secret|token|ip|remote_ip|forwarded|maiden|"
    r"owner|sender|recipient|comment|note|notes|message|login|username|user_name|name)($|_)"
)
VALUE_PATTERNS = {
    "email": re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"),
    "us_ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "phone": re.compile(r"^(?!\d{4}-\d{2}-\d{2})\+?\(?\d{1,4}\)?[\s.-]?\d{2,4}[\s.-]?\d{3,4}[\s.-]?\d{3,4}$"),
    "passport_like": re.compile(r"^[A-Z]{1,2}\d{6,9}$"),
    "iban": re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$"),
}
SAMPLE_ROWS = 200
EAV_VALUE_TABLES = {"varchar", "int", "text", "datetime", "decimal"}


@dataclass
class DriftItem:
    """One unmapped personal-looking column or attribute; counts and keys only."""

    table: str
    column: str
    check: str
    severity: str
    reason: str
    element_count: int = 0
    unexpected_count: int = 0
    sample_keys: list[Any] = field(default_factory=list)


def looks_personal_by_name(column: str) -> bool:
    """True when a column or attribute name suggests personal data."""
    if column.endswith("_id") and not re.search(r"(vat|national|tax)_id$", column):
        return False
    return bool(PERSONAL_NAME.search(column.lower()))


def looks_personal_by_value(values: list[Any]) -> list[str]:
    """Names of the value patterns that match at least 10% of the sampled non-empty values."""
    texts = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values if v not in (None, "")]
    if not texts:
        return []
    matched = [name for name, pattern in VALUE_PATTERNS.items() if sum(bool(pattern.search(t)) for t in texts) * 10 >= len(texts)]
    if sum(contains_pan(t) for t in texts):
        matched.append("card_number")
    return matched


def live_columns(engine: sa.Engine) -> dict[str, dict[str, str]]:
    """Every table of the live store with its columns and data types."""
    if engine.dialect.name == "sqlite":
        tables = [
            r[0] for r in fetch_all(engine, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {
            t: {r[1]: (r[2] or "").lower() for r in fetch_all(engine, f"PRAGMA table_info({quoted(engine, t)})")} for t in tables
        }
    rows = fetch_all(
        engine,
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    catalogue: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        catalogue.setdefault(table, {})[column] = str(data_type).lower()
    return catalogue


def _primary_key(engine: sa.Engine, table: str) -> str | None:
    keys = sa.inspect(engine).get_pk_constraint(table).get("constrained_columns") or []
    return keys[0] if len(keys) == 1 else None


def _sample(engine: sa.Engine, table: str, column: str, key: str | None) -> tuple[int, int, list[Any], list[Any]]:
    """Rows in table, rows holding a value, up to 20 keys of such rows, and a value sample (kept in memory only)."""
    q = lambda name: quoted(engine, name)  # noqa: E731
    total, filled = fetch_all(engine, f"SELECT COUNT(*), COUNT(NULLIF({q(column)}, '')) FROM {q(table)}")[0]
    keys = []
    if key and filled:
        keys = [
            r[0]
            for r in fetch_all(
                engine,
                f"SELECT {q(key)} FROM {q(table)} WHERE {q(column)} IS NOT NULL AND {q(column)} <> '' ORDER BY {q(key)} LIMIT 20",
            )
        ]
    values = [
        r[0] for r in fetch_all(engine, f"SELECT {q(column)} FROM {q(table)} WHERE {q(column)} IS NOT NULL LIMIT {SAMPLE_ROWS}")
    ]
    return int(total), int(filled), keys, values


def detect_column_drift(engine: sa.Engine, pii_map: PiiMap) -> list[DriftItem]:
    """Unmapped columns: custom/third-party ones that look personal (high), unreviewed core ones that do (low)."""
    magento = magento_tables()
    items = []
    for table, columns in sorted(live_columns(engine).items()):
        mapped = pii_map.tables.get(table)
        mapped_columns = set(mapped.extract_columns) if mapped else set()
        core = magento.get(table)
        key = None
        for column, data_type in columns.items():
            if column in mapped_columns or pii_map.is_reviewed(table, column):
                continue
            is_core = core is not None and column in core.columns
            by_name = looks_personal_by_name(column)
            if is_core:
                if by_name:
                    items.append(
                        DriftItem(
                            table,
                            column,
                            "unmapped_core_column",
                            "low",
                            "core Magento column that looks personal is neither mapped nor reviewed",
                        )
                    )
                continue
            if key is None:
                key = _primary_key(engine, table) or ""
            textual = any(t in data_type for t in ("char", "text", "blob", "binary")) or data_type in TEXT_TYPES
            total, filled, keys, values = _sample(engine, table, column, key or None)
            by_value = looks_personal_by_value(values) if textual else []
            if by_name or by_value:
                reason = (
                    "custom or third-party column "
                    + ("named like personal data" if by_name else "")
                    + ((" and " if by_name else "") + "holding values like " + ", ".join(by_value) if by_value else "")
                )
                items.append(DriftItem(table, column, "unmapped_column", "high", reason.strip(), total, filled, keys))
    return items


def detect_attribute_drift(engine: sa.Engine, pii_map: PiiMap) -> list[DriftItem]:
    """Non-static customer and address attributes (values in *_entity_<type> tables) nobody mapped."""
    q = lambda name: quoted(engine, name)  # noqa: E731
    inspector = sa.inspect(engine)
    if not (inspector.has_table("eav_attribute") and inspector.has_table("eav_entity_type")):
        return []
    rows = fetch_all(
        engine,
        "SELECT a.attribute_id, a.attribute_code, a.backend_type, t.entity_type_code FROM eav_attribute a "
        "JOIN eav_entity_type t ON t.entity_type_id = a.entity_type_id "
        "WHERE t.entity_type_code IN ('customer', 'customer_address') AND a.backend_type <> 'static'",
    )
    mapped = {c.name for spec in pii_map.tables.values() for c in spec.columns.values() if c.custom_attribute}
    items = []
    for attribute_id, code, backend_type, entity_type in rows:
        if code in mapped or backend_type not in EAV_VALUE_TABLES:
            continue
        value_table = f"{'customer' if entity_type == 'customer' else 'customer_address'}_entity_{backend_type}"
        where = f"WHERE attribute_id = {int(attribute_id)}"
        total = int(fetch_all(engine, f"SELECT COUNT(*) FROM {q(value_table)}")[0][0])
        filled = int(fetch_all(engine, f"SELECT COUNT(*) FROM {q(value_table)} {where} AND value IS NOT NULL")[0][0])
        keys = [r[0] for r in fetch_all(engine, f"SELECT value_id FROM {q(value_table)} {where} ORDER BY value_id LIMIT 20")]
        values = [r[0] for r in fetch_all(engine, f"SELECT value FROM {q(value_table)} {where} LIMIT {SAMPLE_ROWS}")]
        by_value = looks_personal_by_value(values)
        severity = "high" if looks_personal_by_name(code) or by_value else "medium"
        items.append(
            DriftItem(
                value_table,
                f"attribute:{code}",
                "unmapped_custom_attribute",
                severity,
                f"{entity_type} attribute '{code}' ({backend_type}) is not in the PII map",
                total,
                filled,
                keys,
            )
        )
    return items


def detect_drift(engine: sa.Engine, pii_map: PiiMap) -> list[DriftItem]:
    """Every drift item of the live store. A catalogue the scan cannot read becomes one finding, never a crash."""
    try:
        return detect_column_drift(engine, pii_map) + detect_attribute_drift(engine, pii_map)
    except Exception as error:
        return [
            DriftItem(
                "information_schema",
                "*",
                "catalogue_unreadable",
                "medium",
                f"schema catalogue could not be read ({type(error).__name__})",
            )
        ]
