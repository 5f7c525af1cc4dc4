"""Jurisdiction rules (include/legal/jurisdictions/*.yaml) and the element combinations they refer to, as data."""

from __future__ import annotations

import fnmatch
import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).parent


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
        """The rule switched on by an entity type (NYDFS, FTC Safeguards)."""
        for rule in self.rules.values():
            if rule.get("entity_type") == entity_type:
                return rule
        raise KeyError(entity_type)

    def state_rules(self) -> list[dict[str, Any]]:
        """Rules of individual US states (not the default)."""
        return [r for j, r in sorted(self.rules.items()) if re.match(r"^US-[A-Z]{2}$", j)]


@cache
def load_rules(directory: Path = RULES_DIR) -> RuleSet:
    """Every rule file, with a version hash of their contents."""
    digest = hashlib.sha256()
    rules = {}
    for path in sorted((directory / "jurisdictions").glob("*.yaml")):
        text = path.read_text()
        digest.update(path.name.encode() + text.encode())
        rule = yaml.safe_load(text)
        rules[rule["jurisdiction"]] = rule
    elements = yaml.safe_load((directory / "elements.yaml").read_text())
    digest.update((directory / "elements.yaml").read_bytes())
    return RuleSet(rules, elements["combinations"], digest.hexdigest()[:16])
