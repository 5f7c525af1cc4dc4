"""Jurisdictions by name, as legal and compliance read them (codes stay in the JSON)."""

from __future__ import annotations

from functools import cache

from babel import Locale

from include.legal.rules import load_rules

UNKNOWN_RESIDENCE = "Residence unknown"


@cache
def jurisdiction_name(code: str) -> str:
    """California for US-CA, Germany (EU) for EU-DE, the rule's own name for NYDFS; the code when nothing better."""
    territories = Locale("en").territories
    prefix, _, country = code.partition("-")
    rule = load_rules().rules.get(code)
    if code == "UNKNOWN":
        return UNKNOWN_RESIDENCE
    if prefix == "US" and rule and rule.get("name"):
        return str(rule["name"])
    if prefix == "EU" and country in territories:
        return f"{territories[country]} (EU)"
    if prefix == "OTHER" and country in territories:
        return str(territories[country])
    return str(rule["name"]) if rule and rule.get("name") else code
