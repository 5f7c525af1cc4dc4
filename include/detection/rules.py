"""The detection rules: Sigma files in include/detection/rules/, loaded with pySigma and checked for what triage needs.

Every rule carries an id, a title, a level, MITRE ATT&CK tags, a `category` (one of CATEGORIES), false-positive
notes, and (unless it is a correlation) a log source with product `magento`: category `webserver` for access-log
rules, service `store_state` for the events derived from the store's tables. Rules that a correlation references
are building blocks: they are evaluated only through the correlation (Sigma's `generate: false` default).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.processing.conditions import IncludeFieldCondition, LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import ReplaceStringTransformation, SetStateTransformation
from sigma.rule import SigmaRule

RULES_DIR = Path(__file__).resolve().parent / "rules"
Category = Literal[
    "skimmer_injection",
    "admin_account_change",
    "integration_token_created",
    "customer_enumeration",
    "admin_bruteforce",
    "config_weakened",
    "login_as_customer_use",
]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]
WEB_TABLE = "webserver"
STORE_TABLE = "store"


def web_source() -> LogsourceCondition:
    """The access-log rules' log source (a new condition each time: pySigma binds a condition to one pipeline)."""
    return LogsourceCondition(product="magento", category="webserver")


def store_source() -> LogsourceCondition:
    """The store-state rules' log source."""
    return LogsourceCondition(product="magento", service="store_state")


class RuleError(ValueError):
    """A rule file lacks what the pipeline needs; the message names the file and the field."""


@dataclass(frozen=True)
class Rule:
    """One rule as the engine and the exports use it."""

    rule_id: str
    name: str
    title: str
    level: str
    category: str
    source: str  # "webserver", "store_state" or "correlation"
    sigma: SigmaRule | SigmaCorrelationRule
    references: tuple[SigmaRule, ...] = ()

    @property
    def table(self) -> str:
        """The local engine's event table this rule reads."""
        source = self.source if self.source != "correlation" else _source_of(self.references[0])
        return WEB_TABLE if source == "webserver" else STORE_TABLE


def _source_of(rule: SigmaRule) -> str:
    logsource = rule.logsource
    return "webserver" if logsource.category == "webserver" else "store_state"


def _check(rule: SigmaRule | SigmaCorrelationRule) -> None:
    where = rule.source.path.name if rule.source and rule.source.path else (rule.title or "a rule")
    missing = [
        name
        for name, ok in (
            ("id", rule.id is not None),
            ("title", bool(rule.title)),
            ("level", rule.level is not None),
            ("falsepositives", bool(rule.falsepositives)),
            ("tags (attack.*)", any(tag.namespace == "attack" for tag in rule.tags)),
        )
        if not ok
    ]
    if missing:
        raise RuleError(f"{where}: missing {', '.join(missing)}")
    if rule.custom_attributes.get("category") not in CATEGORIES:
        raise RuleError(f"{where}: category must be one of {', '.join(CATEGORIES)}")
    if isinstance(rule, SigmaRule) and (rule.logsource.product != "magento" or not rule.logsource.definition):
        raise RuleError(f"{where}: logsource must have product magento and a definition")


def _rule(sigma: SigmaRule | SigmaCorrelationRule) -> Rule:
    references: tuple[SigmaRule, ...] = ()
    if isinstance(sigma, SigmaCorrelationRule):
        references = tuple(ref.rule for ref in sigma.rules or [] if isinstance(ref.rule, SigmaRule))
        source = "correlation"
    else:
        source = _source_of(sigma)
    return Rule(
        rule_id=str(sigma.id),
        name=sigma.name or str(sigma.id),
        title=sigma.title,
        level=sigma.level.name.lower() if sigma.level else "medium",
        category=str(sigma.custom_attributes["category"]),
        source=source,
        sigma=sigma,
        references=references,
    )


def load_collection(directory: Path = RULES_DIR) -> SigmaCollection:
    """Every rule file of a directory, parsed and with correlation references resolved (RuleError when one is bad)."""
    try:
        collection = SigmaCollection.load_ruleset([directory], collect_errors=False)
    except Exception as error:  # pySigma raises many SigmaError subclasses, all with a readable message
        raise RuleError(f"rules in {directory.name}: {str(error).splitlines()[0][:300]}") from None
    for rule in collection.rules:
        _check(rule)
    return collection


@cache
def load_rules(directory: Path = RULES_DIR) -> tuple[Rule, ...]:
    """Every rule, building blocks included, in id order."""
    return tuple(sorted((_rule(r) for r in load_collection(directory).rules), key=lambda r: r.rule_id))


def alerting_rules(rules: tuple[Rule, ...]) -> list[Rule]:
    """The rules that raise detections: correlations, and plain rules no correlation references."""
    referenced = {id(ref) for rule in rules for ref in rule.references}
    return [rule for rule in rules if id(rule.sigma) not in referenced]


def admin_path_items(admin_path: str) -> list[ProcessingItem]:
    """Rewrite the rules' '/admin' prefix to the store's backend frontName (app/etc/env.php backend.frontName)."""
    front = admin_path.strip("/") or "admin"
    if front == "admin":
        return []
    return [
        ProcessingItem(
            identifier="magento_admin_path",
            transformation=ReplaceStringTransformation(regex="^/admin", replacement=f"/{front}"),
            field_name_conditions=[IncludeFieldCondition(fields=["cs-uri-stem"])],
        )
    ]


def local_pipeline(admin_path: str = "admin") -> ProcessingPipeline:
    """The local engine's pipeline: one SQLite table per log source, and the store's admin path."""
    items: list[ProcessingItem] = [
        ProcessingItem(
            identifier="magento_web_table",
            transformation=SetStateTransformation("table", WEB_TABLE),
            rule_conditions=[web_source()],
        ),
        ProcessingItem(
            identifier="magento_store_table",
            transformation=SetStateTransformation("table", STORE_TABLE),
            rule_conditions=[store_source()],
        ),
        *admin_path_items(admin_path),
    ]
    return ProcessingPipeline(name="magento local engine", priority=20, items=items)


def rule_summary(rule: Rule) -> dict[str, Any]:
    """What breachctl and the docs list for a rule."""
    return {"rule_id": rule.rule_id, "name": rule.name, "title": rule.title, "level": rule.level, "category": rule.category}
