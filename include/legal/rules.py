"""Jurisdiction rules (include/legal/jurisdictions/*.yaml) and the element combinations they refer to, as data.

Every file is read with a YAML loader that refuses duplicate keys, checked against the rule schema
(include/legal/schema.py), and cross-checked: every combination a rule names exists in elements.yaml, and every
category a combination names is a known data category. A broken file fails loading with its name and field.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from include.legal.schema import validate_rule
from include.pii.map import fideslang_categories

RULES_DIR = Path(__file__).parent
COMBINATION_LISTS = ("combinations", "credential_combinations", "no_name_combinations")


class StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice (PyYAML keeps the last one silently)."""


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_yaml(path: Path) -> Any:
    """A YAML file, refusing duplicate keys; ValueError names the file and line."""
    try:
        # StrictLoader is a SafeLoader that also refuses duplicate keys
        return yaml.load(path.read_text(), StrictLoader)  # noqa: S506  # nosec B506
    except yaml.YAMLError as error:
        raise ValueError(f"{path.name}: {error}") from None


class RuleSet:
    """All jurisdiction rules plus the element combinations they refer to."""

    def __init__(self, rules: dict[str, dict[str, Any]], combinations: dict[str, dict[str, Any]], version: str):
        self.rules = rules
        self.combinations = combinations
        self.version = version

    def for_jurisdiction(self, jurisdiction: str) -> dict[str, Any]:
        """The rule for a resident's jurisdiction: an exact file, else the first pattern that applies."""
        if jurisdiction in self.rules:
            return self.rules[jurisdiction]
        for rule in self.rules.values():
            if rule.get("applies_to") and fnmatch.fnmatch(jurisdiction, rule["applies_to"]):
                return rule
        raise KeyError(jurisdiction)

    def for_entity_type(self, entity_type: str) -> dict[str, Any]:
        """The rule switched on by an entity type (NYDFS, FTC Safeguards, insurance, SEC, card brands)."""
        for rule in self.rules.values():
            if rule.get("entity_type") == entity_type:
                return rule
        raise KeyError(entity_type)

    def state_rules(self) -> list[dict[str, Any]]:
        """Rules of individual US jurisdictions (the 50 states, DC and the territories; not the default)."""
        return [r for j, r in sorted(self.rules.items()) if re.match(r"^US-[A-Z]{2}$", j)]


def check_references(rules: dict[str, dict[str, Any]], combinations: dict[str, dict[str, Any]]) -> None:
    """Every combination a rule names exists, and every category a combination uses is a known data category."""
    categories = fideslang_categories()
    for name, combination in combinations.items():
        for group in combination["all_of"]:
            unknown = [c for c in group if c not in categories]
            if unknown:
                raise ValueError(f"elements.yaml: {name}: unknown data category {unknown[0]}")
    for jurisdiction, rule in rules.items():
        definition = rule.get("personal_information") or {}
        for field in COMBINATION_LISTS:
            for name in definition.get(field) or []:
                if name not in combinations:
                    raise ValueError(f"{jurisdiction}: personal_information.{field}: unknown combination {name}")


@cache
def load_rules(directory: Path = RULES_DIR) -> RuleSet:
    """Every rule file, validated, with a version hash of their contents."""
    digest = hashlib.sha256()
    rules = {}
    for path in sorted((directory / "jurisdictions").glob("*.yaml")):
        text = path.read_text()
        digest.update(path.name.encode() + text.encode())
        rule = read_yaml(path)
        validate_rule(rule, path.name)
        if rule["jurisdiction"] != path.stem:
            raise ValueError(f"{path.name}: jurisdiction {rule['jurisdiction']} does not match the file name")
        rules[rule["jurisdiction"]] = rule
    elements = read_yaml(directory / "elements.yaml")
    digest.update((directory / "elements.yaml").read_bytes())
    check_references(rules, elements["combinations"])
    return RuleSet(rules, elements["combinations"], digest.hexdigest()[:16])
