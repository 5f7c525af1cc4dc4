"""Great Expectations, called inside tasks: load the JSON suites strictly and validate with count-and-key-only results.

Great Expectations is imported lazily (it costs seconds and hundreds of MB), never at DAG parse time.
Results keep counts and primary keys only: `exclude_unexpected_values` drops the offending values, and
relational checks select nothing but the primary key.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from include.config import load_config
from include.pii.map import POLICY_PATH, Policy, load_pii_map, load_policy

SAMPLE_KEYS = 20
RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,
    "partial_unexpected_count": 0,
    "return_unexpected_index_query": False,
}


class SuiteError(RuntimeError):
    """A suite could not be loaded exactly as written (for example a custom expectation is not registered)."""


@dataclass(frozen=True)
class CheckMeta:
    """What a finding says about one expectation."""

    table: str
    column: str
    check: str
    kind: str
    severity: str
    references: tuple[str, ...]
    description: str


@dataclass
class CheckStats:
    """Counts and up to SAMPLE_KEYS primary keys of the rows a check found."""

    element_count: int = 0
    unexpected_count: int = 0
    sample_keys: list[Any] = field(default_factory=list)
    missing_count: int = 0

    def add(self, other: CheckStats) -> None:
        """Accumulate another batch's result."""
        self.element_count += other.element_count
        self.unexpected_count += other.unexpected_count
        self.missing_count += other.missing_count
        room = SAMPLE_KEYS - len(self.sample_keys)
        if room > 0:
            self.sample_keys.extend(other.sample_keys[:room])

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "element_count": self.element_count,
            "unexpected_count": self.unexpected_count,
            "sample_keys": self.sample_keys,
            "missing_count": self.missing_count,
        }


def suites_dir() -> Path:
    """Where the suites live (the `expectations_dir` setting, by default the project's expectations/ package)."""
    return load_config().suites_dir


def suite_path(table: str) -> Path:
    """Where a table's suite lives."""
    return suites_dir() / f"{table}.json"


def has_suite(table: str) -> bool:
    """True when the table has row-level checks (a suite file, or a minimisation rule of the policy)."""
    return suite_path(table).is_file() or any(rule.table == table for rule in load_policy().minimisation)


def policy_expectations(table: str, policy: Policy) -> list[dict[str, Any]]:
    """The minimisation expectations of one table, generated from the policy's rules (`keep_when` decides)."""
    expectations = []
    for rule in policy.minimisation:
        if rule.table != table:
            continue
        condition = {"row_condition": f"not ({rule.keep_when})", "condition_parser": "pandas"} if rule.keep_when else {}
        allowed = f"only where the policy allows ({rule.keep_when})" if rule.keep_when else "never (the policy allows no value)"
        expectations.append(
            {
                "type": "expect_column_values_to_be_null",
                "kwargs": {"column": rule.column, **condition},
                "meta": {
                    "check": "minimisation_policy",
                    "kind": "minimisation",
                    "severity": "medium",
                    "references": [
                        "GDPR Art. 5(1)(c)",
                        "Cal. Civ. Code 1798.100(c)",
                        f"include/pii/policy.yaml {policy.version}",
                    ],
                    "description": f"{table}.{rule.column} is kept {allowed}: {rule.reason}",
                },
            }
        )
    return expectations


def compose_suite(table: str, document: dict[str, Any] | None, policy: Policy) -> dict[str, Any]:
    """A suite file's checks plus the policy's minimisation checks (a suite file never carries its own)."""
    base = document or {
        "name": f"magento.{table}",
        "table": table,
        "primary_key": load_pii_map().tables[table].primary_key,
        "expectations": [],
    }
    kept = [e for e in base["expectations"] if e.get("meta", {}).get("check") != "minimisation_policy"]
    return {**base, "expectations": kept + policy_expectations(table, policy)}


@cache
def suite_document(table: str) -> dict[str, Any]:
    """A table's suite: its JSON file (if any) and the checks generated from the minimisation policy."""
    path = suite_path(table)
    return compose_suite(table, json.loads(path.read_text()) if path.is_file() else None, load_policy())


def suites_version() -> str:
    """A hash of every suite file, the policy and the checks' code: cached results from another version are recomputed."""
    digest = hashlib.sha256()
    directory = suites_dir()
    for path in sorted(directory.glob("*.json")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(POLICY_PATH.read_bytes())
    for code in (directory.parent / "custom.py", directory.parent / "checks.py", Path(__file__)):
        digest.update(code.read_bytes())
    return digest.hexdigest()[:16]


def check_metas(table: str, document: dict[str, Any] | None = None) -> list[CheckMeta]:
    """One CheckMeta per expectation, in suite order."""
    document = document or suite_document(table)
    metas = []
    for expectation in document["expectations"]:
        meta = expectation["meta"]
        metas.append(
            CheckMeta(
                table=meta.get("table", table),
                column=meta.get("column") or expectation["kwargs"].get("column", ""),
                check=meta["check"],
                kind=meta["kind"],
                severity=meta["severity"],
                references=tuple(meta["references"]),
                description=meta["description"],
            )
        )
    return metas


@cache
def _quiet_context() -> Any:
    """One ephemeral GX context per process (each new one leaves a temp docs folder behind)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # noqa: PLC0415 (GX costs seconds and hundreds of MB: only in tasks that validate)
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: PLC0415

    import expectations.custom  # noqa: F401, PLC0415 (registers the custom expectations with GX, after GX)

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def build_suite(name: str, configs: list[dict[str, Any]]) -> Any:
    """An ExpectationSuite holding exactly these expectations, or SuiteError naming what could not be built."""
    import great_expectations as gx  # noqa: PLC0415 (GX costs seconds and hundreds of MB: only in tasks that validate)
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration  # noqa: PLC0415

    import expectations.custom  # noqa: F401, PLC0415 (registers the custom expectations with GX, after GX)

    suite = gx.ExpectationSuite(name=name)
    failed = []
    for config in configs:
        try:
            # "runtime" matching keeps two checks of one column apart (the default "domain" silently merges them)
            suite.add_expectation_configuration(
                ExpectationConfiguration(**config), match_type="runtime", overwrite_existing=False
            )
        except Exception as error:
            failed.append(f"{config.get('type')} ({type(error).__name__})")
    if failed or len(suite.expectations) != len(configs):
        raise SuiteError(
            f"suite {name}: {len(suite.expectations)} of {len(configs)} expectations loaded; "
            f"not loaded: {', '.join(failed) or 'unknown'}"
        )
    return suite


def _raised(result: Any) -> bool:
    """True when GX caught an exception evaluating the expectation (it nests them per metric)."""
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _sample_keys(result: dict[str, Any]) -> list[Any]:
    """Primary keys from an unexpected-index list or a relational check's rows, at most SAMPLE_KEYS."""
    keys: list[Any] = []
    for entry in result.get("unexpected_index_list") or []:
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            keys.extend(value if isinstance(value, list) else [value])
    for row in (result.get("details") or {}).get("unexpected_rows") or []:
        keys.extend(row.values() if isinstance(row, dict) else [row])
    return [int(float(k)) if isinstance(k, numbers.Real) else str(k) for k in keys[:SAMPLE_KEYS]]


class FrameValidator:
    """Validates DataFrames of one table against its suite; build once, call per batch."""

    def __init__(self, table: str, document: dict[str, Any] | None = None):
        document = document or suite_document(table)
        self.table = table
        self.primary_key = document["primary_key"]
        self.metas = check_metas(table, document)
        self.context = _quiet_context()
        self.suite = build_suite(document["name"], document["expectations"])
        name = f"frames_{table}"
        if name in self.context.data_sources.all():
            self.context.data_sources.delete(name)
        asset = self.context.data_sources.add_pandas(name).add_dataframe_asset(table)
        self.batch_definition = asset.add_batch_definition_whole_dataframe("bucket")

    def validate(self, frame: Any) -> dict[str, CheckStats]:
        """Stats per check key (`column:check`) for one DataFrame."""
        result_format = {**RESULT_FORMAT, "unexpected_index_column_names": [self.primary_key]}
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        outcome = batch.validate(self.suite, result_format=result_format)
        by_key = {(r.expectation_config.kwargs.get("column"), r.expectation_config.meta["check"]): r for r in outcome.results}
        stats = {}
        for meta in self.metas:
            result = by_key[(meta.column, meta.check)]
            if _raised(result):
                raise SuiteError(f"{self.table}.{meta.column} {meta.check} could not be evaluated")
            body = result.result or {}
            stats[f"{meta.column}:{meta.check}"] = CheckStats(
                element_count=int(body.get("element_count") or 0),
                unexpected_count=int(body.get("unexpected_count") or 0),
                sample_keys=_sample_keys(body),
                missing_count=int(body.get("missing_count") or 0),
            )
        return stats


def relational_document(cutoff: datetime) -> dict[str, Any]:
    """The relational suite with the retention cutoff filled in."""
    document = json.loads(suite_path("relational").read_text())
    literal = cutoff.strftime("%Y-%m-%d %H:%M:%S")
    for expectation in document["expectations"]:
        kwargs = expectation["kwargs"]
        kwargs["unexpected_rows_query"] = kwargs["unexpected_rows_query"].replace(":cutoff", literal)
    return document


def run_relational_checks(
    url: str, engine_kwargs: dict[str, Any], *, inactive_days: int, now: datetime, tables: set[str]
) -> list[tuple[CheckMeta, CheckStats]]:
    """Cross-table checks run as SQL in the source (retention, orphaned grid rows), through GX's SQL datasource."""
    document = relational_document(now - timedelta(days=inactive_days))
    context = _quiet_context()
    if "magento" in context.data_sources.all():
        context.data_sources.delete("magento")
    source = context.data_sources.add_sql("magento", connection_string=url, kwargs=engine_kwargs)
    metas = check_metas("relational", document)
    results = []
    for meta, config in zip(metas, document["expectations"], strict=True):
        if meta.table not in tables:
            continue
        suite = build_suite(f"relational.{meta.table}.{meta.check}", [config])
        asset = source.add_table_asset(f"{meta.table}_{meta.check}", table_name=meta.table)
        batch = asset.add_batch_definition_whole_table("all").get_batch()
        result = batch.validate(suite, result_format={"result_format": "COMPLETE"}).results[0]
        if _raised(result) or "observed_value" not in (result.result or {}):
            raise SuiteError(f"relational check {meta.table}.{meta.check} failed to run")
        body = result.result or {}
        results.append(
            (
                meta,
                CheckStats(
                    element_count=0,
                    unexpected_count=int(body.get("observed_value") or 0),
                    sample_keys=_sample_keys(body),
                ),
            )
        )
    return results
