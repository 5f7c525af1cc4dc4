"""The same rules in the SOC's SIEM: every rule converted by pySigma's Splunk, Elasticsearch (ES|QL) and Kusto backends.

Each target has a processing pipeline that maps the rules' field names to the schema the SIEM ingests the
access log with (Splunk's access_combined fields, Elastic Common Schema, column names of two Sentinel custom
tables) and names the index or table. The Kusto backend has no correlation support, so a correlation's base
query is converted by pySigma and its aggregation (`summarize ... by bin(TimeGenerated, span), client`) is added
here from the correlation's own type, group-by, timespan and condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

from sigma.backends.elasticsearch import ESQLBackend
from sigma.backends.kusto import KustoBackend
from sigma.backends.splunk import SplunkBackend
from sigma.collection import SigmaCollection
from sigma.conversion.base import Backend
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import FieldMappingTransformation, SetStateTransformation

from include.detection.rules import (
    RULES_DIR,
    admin_path_items,
    alerting_rules,
    load_collection,
    load_rules,
    store_source,
    web_source,
)

Target = Literal["splunk", "elasticsearch", "kusto"]
TARGETS: tuple[Target, ...] = ("splunk", "elasticsearch", "kusto")
WEB_FIELDS = ("c-ip", "cs-method", "cs-uri-stem", "cs-uri-query", "sc-status", "sc-bytes", "cs-referer", "cs-user-agent")
FIELD_MAPS: dict[Target, dict[str, str]] = {
    "splunk": dict(
        zip(WEB_FIELDS, ("clientip", "method", "uri_path", "uri_query", "status", "bytes", "referer", "useragent"), strict=True)
    ),
    "elasticsearch": dict(
        zip(
            WEB_FIELDS,
            (
                "source.ip",
                "http.request.method",
                "url.path",
                "url.query",
                "http.response.status_code",
                "http.response.body.bytes",
                "http.request.referrer",
                "user_agent.original",
            ),
            strict=True,
        )
    ),
    "kusto": {name: name.replace("-", "_") for name in WEB_FIELDS},
}
SPLUNK_SOURCES = {
    "webserver": 'index=magento sourcetype="access_combined"',
    "store_state": 'index=magento sourcetype="magento:store_state"',
}
ELASTIC_INDICES = {"webserver": "logs-magento.access-*", "store_state": "logs-magento.store_state-*"}
KUSTO_TABLES = {"webserver": "MagentoAccessLog_CL", "store_state": "MagentoStoreState_CL"}


@dataclass(frozen=True)
class ExportedRule:
    """One rule's query for one SIEM."""

    rule_id: str
    name: str
    title: str
    level: str
    category: str
    target: str
    query: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return self.__dict__.copy()


def target_pipeline(target: Target, admin_path: str = "admin") -> ProcessingPipeline:
    """Field names, index or table for one SIEM, and the store's admin path."""
    items: list[ProcessingItem] = [
        *admin_path_items(admin_path),  # before the field mapping renames cs-uri-stem
        ProcessingItem(
            identifier=f"magento_{target}_fields", transformation=FieldMappingTransformation(cast(Any, dict(FIELD_MAPS[target])))
        ),
    ]
    if target == "elasticsearch":
        items += [
            ProcessingItem(
                identifier="magento_web_index",
                transformation=SetStateTransformation("index", ELASTIC_INDICES["webserver"]),
                rule_conditions=[web_source()],
            ),
            ProcessingItem(
                identifier="magento_store_index",
                transformation=SetStateTransformation("index", ELASTIC_INDICES["store_state"]),
                rule_conditions=[store_source()],
            ),
        ]
    return ProcessingPipeline(name=f"magento for {target}", priority=20, items=items)


def _backend(target: Target, admin_path: str) -> Backend:
    pipeline = target_pipeline(target, admin_path)
    if target == "splunk":
        return SplunkBackend(processing_pipeline=pipeline)
    if target == "elasticsearch":
        return ESQLBackend(processing_pipeline=pipeline)
    return KustoBackend(processing_pipeline=cast(Any, pipeline))


def _referenced(sigma: SigmaCorrelationRule) -> list[Any]:
    return [ref.rule for ref in sigma.rules or []]


def _source(sigma: Any) -> str:
    rule: Any = _referenced(sigma)[0] if isinstance(sigma, SigmaCorrelationRule) else sigma
    return "webserver" if rule.logsource.category == "webserver" else "store_state"


def _kusto_aggregation(correlation: Any) -> str:
    groups = ", ".join(FIELD_MAPS["kusto"].get(g, g.replace("-", "_")) for g in correlation.group_by or [])
    span = f"{int(correlation.timespan.seconds)}s"
    condition = correlation.condition
    operator = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<", "eq": "=="}[condition.op.name.lower()]
    if correlation.type == SigmaCorrelationType.VALUE_COUNT:
        field = FIELD_MAPS["kusto"].get(str(condition.fieldref), str(condition.fieldref).replace("-", "_"))
        measure = f"value_count = dcount({field})"
    else:
        measure = "event_count = count()"
    name = measure.split(" ", 1)[0]
    return f"| summarize {measure} by bin(TimeGenerated, {span}), {groups}\n| where {name} {operator} {condition.count}"


def _kusto(backend: Any, sigma: Any) -> str:
    if isinstance(sigma, SigmaCorrelationRule):
        referenced = _referenced(sigma)[0]
        referenced._output = True  # a building block: convert its query although Sigma does not emit it alone
        base = backend.convert_rule(referenced)
        return f"{KUSTO_TABLES[_source(sigma)]}\n| where {base[0]}\n{_kusto_aggregation(sigma)}"
    return f"{KUSTO_TABLES[_source(sigma)]}\n| where {backend.convert_rule(sigma)[0]}"


def _query(target: Target, backend: Any, sigma: Any) -> str:
    if target == "kusto":
        return _kusto(backend, sigma)
    if isinstance(sigma, SigmaCorrelationRule):
        query = str(backend.convert(SigmaCollection([*_referenced(sigma), sigma]))[-1])
    else:
        query = str(backend.convert_rule(sigma)[0])
    return f"{SPLUNK_SOURCES[_source(sigma)]} {query}" if target == "splunk" else query


def export_rules(target: Target, admin_path: str = "admin") -> list[ExportedRule]:
    """Every alerting rule as a query for one SIEM (rules are re-read so each target's pipeline starts clean)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {', '.join(TARGETS)}")
    alerting = {rule.rule_id: rule for rule in alerting_rules(load_rules())}
    backend = _backend(target, admin_path)
    exported = []
    for sigma in load_collection(RULES_DIR).rules:
        rule = alerting.get(str(sigma.id))
        if rule is None:
            continue
        query = _query(target, backend, sigma)
        exported.append(ExportedRule(rule.rule_id, rule.name, rule.title, rule.level, rule.category, target, query))
    return sorted(exported, key=lambda e: e.rule_id)
