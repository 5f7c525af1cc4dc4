"""Is a group's exposed data personal information under a rule, and does the encryption safe harbor apply?

The encryption wording differs by statute and is a field of each rule (`safe_harbor.encryption_wording`):
- `either`: notice is owed when either the name or the data elements are not encrypted (Cal. Civ. Code
  1798.82(h)(1)): one group of the combination in clear is enough;
- `both`: only "if the name and the items are not encrypted" (Tex. Bus. & Com. Code 521.002(a)(2)(A)): every
  group must be in clear;
- `elements`: only the data elements matter: the identifying group (the name) may be encrypted or not, every other
  group must be in clear.
A credentials combination (user name or email + password) partly in clear is owed and flagged: whether an email in
clear with an encrypted password is "unencrypted" personal information is a legal judgment (review, scenario S9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from include.legal.inputs import AffectedGroup
from include.legal.rules import RuleSet

CARD_ALONE = ("name_account_number", "identifier_account_number", "account_number_alone", "name_card_number")


def _covers(requirement: str, element: str) -> bool:
    return element == requirement or element.startswith(requirement + ".")


def group_matched(requirements: list[str], elements: set[str]) -> bool:
    """True when one exposed element satisfies one of the alternatives (a name needs first and last, or full)."""
    for requirement in requirements:
        if requirement == "user.name":
            if "user.name" in elements or {"user.name.first", "user.name.last"} <= elements:
                return True
        elif any(_covers(requirement, element) for element in elements):
            return True
    return False


def combination_matches(combination: dict[str, Any], elements: set[str]) -> bool:
    """True when every requirement group of a combination is satisfied."""
    return all(group_matched(group, elements) for group in combination["all_of"])


def clear_enough(combination: dict[str, Any], exposed: set[str], clear: set[str], wording: str) -> bool:
    """Whether a combination matched in the exposed data counts as unencrypted under the rule's wording."""
    groups = combination["all_of"]
    if wording == "both" or len(groups) == 1:
        return all(group_matched(g, clear) for g in groups)
    if wording == "elements":
        return all(group_matched(g, exposed if "user.name" in g else clear) for g in groups)
    return any(group_matched(g, clear) for g in groups)


@dataclass(frozen=True)
class GroupAssessment:
    """How one affected group stands under one rule."""

    status: str  # notify | safe_harbor | not_personal_information
    credentials_only: bool
    matched: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


def _safe_elements(rule: dict[str, Any], group: AffectedGroup) -> set[str]:
    if group.key_compromised or not (rule.get("safe_harbor") or {}).get("encryption", False):
        return set()
    return set(group.data_elements) if group.encrypted else set(group.encrypted_elements)


def _conditional_notes(definition: dict[str, Any], matched: list[str]) -> list[str]:
    """Review notes when only conditional combinations (no name, card number alone) made the data personal information."""
    no_name = set(definition.get("no_name_combinations") or [])
    unconditional = [c for c in matched if c not in no_name and c not in CARD_ALONE]
    if unconditional:
        return []
    notes = []
    if any(c in no_name for c in matched) and definition.get("no_name_condition"):
        notes.append(f"Personal information without a name only if: {definition['no_name_condition'].strip()}")
    if any(c in CARD_ALONE for c in matched) and definition.get("card_number_alone_condition"):
        notes.append(f"A card or account number alone counts only {definition['card_number_alone_condition'].strip()}.")
    return notes


def assess_group(rule: dict[str, Any], rules: RuleSet, group: AffectedGroup) -> GroupAssessment:
    """Is this group's data personal information under the rule, and does the encryption safe harbor apply?"""
    definition = rule.get("personal_information") or {}
    wording = (rule.get("safe_harbor") or {}).get("encryption_wording", "either")
    exposed = set(group.data_elements)
    clear = exposed - _safe_elements(rule, group)
    general_names = list(dict.fromkeys([*definition.get("combinations", []), *definition.get("no_name_combinations", [])]))
    credential_names = [c for c in definition.get("credential_combinations", []) if c not in general_names]
    general = [c for c in general_names if combination_matches(rules.combinations[c], exposed)]
    credentials = [c for c in credential_names if combination_matches(rules.combinations[c], exposed)]
    if not general and not credentials:
        return GroupAssessment("not_personal_information", False, ())
    clear_general = [c for c in general if clear_enough(rules.combinations[c], exposed, clear, wording)]
    clear_credentials = [c for c in credentials if clear_enough(rules.combinations[c], exposed, clear, "either")]
    if not clear_general and not clear_credentials:
        return GroupAssessment("safe_harbor", False, tuple(general + credentials))
    notes = _conditional_notes(definition, clear_general) if clear_general else []
    partly = [c for c in clear_credentials if not clear_enough(rules.combinations[c], exposed, clear, "both")]
    if partly and not clear_general:
        notes.append(
            "Credentials partly encrypted (e.g. the email in clear, the password encrypted with the key safe): whether "
            "this is unencrypted personal information is a legal judgment; notice is listed as owed."
        )
    return GroupAssessment("notify", not clear_general, tuple(clear_general + clear_credentials), tuple(notes))
