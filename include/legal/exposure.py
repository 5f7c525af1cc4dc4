"""California's private right of action (Cal. Civ. Code 1798.150): which affected Californians it covers.

1798.150(a)(1) covers a consumer whose "nonencrypted and nonredacted personal information, as defined in
subparagraph (A) of paragraph (1) of subdivision (d) of Section 1798.81.5", or whose email address with a password or
security question and answer that would permit access to the account, was subject to unauthorized access and
exfiltration, theft or disclosure. The element list and wording are data in US-CA.yaml (`ccpa_private_action`).
"""

from __future__ import annotations

from typing import Any, TypedDict

from include.legal.assess import assess_group
from include.legal.inputs import Affected
from include.legal.rules import RuleSet


class CcpaExposure(TypedDict):
    """Who 1798.150 covers among an incident's affected Californians (counts only)."""

    california_residents: int
    consumers_counted: int
    credentials_only: int
    basis: str
    citation: str
    needs_legal_review: str | None


def ccpa_exposure(affected: Affected, rules: RuleSet) -> CcpaExposure:
    """The California residents 1798.150 covers (nonencrypted, nonredacted 1798.81.5(d)(1)(A) data or email + password)."""
    rule = rules.for_jurisdiction("US-CA")
    action: dict[str, Any] = rule["ccpa_private_action"]
    as_rule = {
        "personal_information": {
            "combinations": action["combinations"],
            "credential_combinations": action["credential_combinations"],
        },
        "safe_harbor": {"encryption": True, "encryption_wording": action["encryption_wording"]},
    }
    groups = [g for g in affected.groups if g.jurisdiction == "US-CA"]
    counted = credentials = 0
    for group in groups:
        assessment = assess_group(as_rule, rules, group)
        if assessment.status == "notify":
            counted += group.count
            credentials += group.count if assessment.credentials_only else 0
    return {
        "california_residents": sum(g.count for g in groups),
        "consumers_counted": counted,
        "credentials_only": credentials,
        "basis": action["basis"],
        "citation": action["citation"],
        "needs_legal_review": action.get("needs_legal_review"),
    }
