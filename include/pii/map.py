"""The PII map (include/pii/pii_map.yaml) as typed objects, plus the minimisation and retention policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PII_DIR = Path(__file__).parent
MAP_PATH = PII_DIR / "pii_map.yaml"
POLICY_PATH = PII_DIR / "policy.yaml"
CATEGORIES_PATH = PII_DIR / "fideslang_categories.txt"


@dataclass(frozen=True)
class ColumnSpec:
    """One personal column: its fideslang category and how it must be held."""

    name: str
    category: str
    encrypted: bool = False
    password_hash: bool = False
    free_text: bool = False
    custom_attribute: bool = False


@dataclass(frozen=True)
class ParentSpec:
    """How a child row reaches its parent row, and which parent columns it borrows."""

    table: str
    key: str
    parent_key: str
    context: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TableSpec:
    """One mapped table."""

    name: str
    primary_key: str
    columns: dict[str, ColumnSpec]
    context: tuple[str, ...] = ()
    incremental_column: str | None = None
    incremental_from_parent: bool = False
    parent: ParentSpec | None = None
    person: dict[str, str] = field(default_factory=dict)
    jurisdiction: dict[str, str] = field(default_factory=dict)

    @property
    def extract_columns(self) -> list[str]:
        """Columns an extract keeps: primary key, context, then personal columns (no duplicates)."""
        ordered = [self.primary_key, *self.context, *self.columns]
        return list(dict.fromkeys(ordered))

    @property
    def parent_context(self) -> dict[str, str]:
        """Extract column name -> parent column, for borrowed context."""
        return dict(self.parent.context) if self.parent else {}

    @property
    def parent_table(self) -> str:
        """The parent row's table (only tables that borrow context or their change time from a parent have one)."""
        if self.parent is None:
            raise ValueError(f"{self.name} has no parent in the PII map")
        return self.parent.table

    @property
    def mode(self) -> str:
        """'incremental', 'parent-incremental' or 'full'."""
        if self.incremental_column and self.incremental_from_parent:
            return "parent-incremental"
        return "incremental" if self.incremental_column else "full"


def _column(name: str, raw: dict[str, Any]) -> ColumnSpec:
    return ColumnSpec(
        name=name,
        category=raw["category"],
        encrypted=bool(raw.get("encrypted")),
        password_hash=bool(raw.get("password_hash")),
        free_text=bool(raw.get("free_text")),
        custom_attribute=bool(raw.get("custom_attribute")),
    )


def _table(name: str, raw: dict[str, Any]) -> TableSpec:
    incremental = raw.get("incremental") or {}
    parent = raw.get("parent")
    return TableSpec(
        name=name,
        primary_key=raw["primary_key"],
        columns={col: _column(col, spec) for col, spec in raw["columns"].items()},
        context=tuple(raw.get("context", ())),
        incremental_column=incremental.get("column") or incremental.get("parent_column"),
        incremental_from_parent="parent_column" in incremental,
        parent=ParentSpec(parent["table"], parent["key"], parent["parent_key"], dict(parent.get("context", {})))
        if parent
        else None,
        person=dict(raw.get("person", {})),
        jurisdiction=dict(raw.get("jurisdiction", {})),
    )


@dataclass(frozen=True)
class PiiMap:
    """All mapped tables plus the reviewed-out-of-scope list."""

    version: str
    tables: dict[str, TableSpec]
    reviewed_out_of_scope: dict[str, dict[str, Any]]

    def column(self, table: str, column: str) -> ColumnSpec | None:
        """The spec of table.column, or None when unmapped."""
        spec = self.tables.get(table)
        return spec.columns.get(column) if spec else None

    def is_reviewed(self, table: str, column: str) -> bool:
        """True when a core column was reviewed and deliberately left out of the scan."""
        for group in self.reviewed_out_of_scope.values():
            if table in group.get("tables", ()) or f"{table}.{column}" in group.get("columns", ()):
                return True
        return False

    def category_of(self, table: str, column: str) -> str:
        """fideslang category of a mapped column, or 'user' for anything else."""
        spec = self.column(table, column)
        return spec.category if spec else "user"


def parse_pii_map(raw: dict[str, Any]) -> PiiMap:
    """Build the map from its YAML data."""
    return PiiMap(
        version=str(raw["version"]),
        tables={name: _table(name, spec) for name, spec in raw["tables"].items()},
        reviewed_out_of_scope=dict(raw.get("reviewed_out_of_scope") or {}),
    )


@cache
def load_pii_map() -> PiiMap:
    """The project's PII map."""
    return parse_pii_map(yaml.safe_load(MAP_PATH.read_text()))


@cache
def fideslang_categories() -> frozenset[str]:
    """The fideslang keys the map may use."""
    lines = CATEGORIES_PATH.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class MinimisationRule:
    """An optional field and when (if ever) it may be kept."""

    table: str
    column: str
    keep_when: str | None
    reason: str


@dataclass(frozen=True)
class Policy:
    """Minimisation and retention policy."""

    version: str
    inactive_customer_days: int
    extract_retention_days: int
    minimisation: tuple[MinimisationRule, ...]
    kept: tuple[dict[str, Any], ...]


@cache
def load_policy(path: Path = POLICY_PATH) -> Policy:
    """The project's minimisation and retention policy."""
    raw = yaml.safe_load(path.read_text())
    return Policy(
        version=str(raw["version"]),
        inactive_customer_days=int(raw["retention"]["inactive_customer_days"]),
        extract_retention_days=int(raw["retention"]["extract_days"]),
        minimisation=tuple(
            MinimisationRule(r["table"], r["column"], r.get("keep_when"), r["reason"]) for r in raw["minimisation"]
        ),
        kept=tuple(raw.get("kept", ())),
    )
