"""Findings: one record per (table, column, check) that found something; counts and primary keys, never values."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from include.pii.map import PiiMap
from include.scan.drift import DriftItem
from include.scan.validation import CheckMeta, CheckStats

KINDS = (
    "plaintext_pan",
    "stored_cvv",
    "unencrypted_value",
    "legacy_cipher",
    "legacy_password_hash",
    "minimisation",
    "retention",
    "orphaned_pii",
    "schema_drift",
    "store_config",
    "audit_log_coverage",
)
SEVERITIES = ("critical", "high", "medium", "low")
DRIFT_REFERENCES = ("GDPR Art. 30", "PCI DSS 12.5.2", "include/pii/pii_map.yaml")


@dataclass(frozen=True)
class Finding:
    """What a check found in one column."""

    table: str
    column: str
    check: str
    kind: str
    category: str
    severity: str
    element_count: int
    unexpected_count: int
    sample_keys: list[Any] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def from_check(meta: CheckMeta, stats: CheckStats, pii_map: PiiMap) -> Finding:
    """A finding from one expectation's aggregated result."""
    return Finding(
        table=meta.table,
        column=meta.column,
        check=meta.check,
        kind=meta.kind,
        category=pii_map.category_of(meta.table, meta.column),
        severity=meta.severity,
        element_count=stats.element_count,
        unexpected_count=stats.unexpected_count,
        sample_keys=list(stats.sample_keys),
        references=list(meta.references),
        description=meta.description,
    )


def from_drift(item: DriftItem) -> Finding:
    """A schema-drift finding."""
    return Finding(
        table=item.table,
        column=item.column,
        check=item.check,
        kind="schema_drift",
        category="user",
        severity=item.severity,
        element_count=item.element_count,
        unexpected_count=item.unexpected_count,
        sample_keys=list(item.sample_keys),
        references=list(DRIFT_REFERENCES),
        description=item.reason,
    )


def severity_rank(severity: str) -> int:
    """0 for critical ... 3 for low."""
    return SEVERITIES.index(severity)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first, then by table, column and check."""
    return sorted(findings, key=lambda f: (severity_rank(f.severity), f.table, f.column, f.check))


def summarise(findings: list[Finding], checks_run: int, checks_passed: int) -> dict[str, Any]:
    """Counts per kind and severity for the run summary and the Asset event (no keys, no values)."""
    by_kind = Counter(f.kind for f in findings)
    by_severity = Counter(f.severity for f in findings)
    return {
        "findings": len(findings),
        "by_kind": {kind: by_kind.get(kind, 0) for kind in KINDS},
        "by_severity": {severity: by_severity.get(severity, 0) for severity in SEVERITIES},
        "affected_rows_by_kind": {kind: sum(f.unexpected_count for f in findings if f.kind == kind) for kind in KINDS},
        "checks_run": checks_run,
        "checks_passed": checks_passed,
    }
