"""Channel planning: who must be told (per the rules), and how: email, postal letter, or substitute notice.

One idempotency key per person per incident (a keyed hash of the incident and the person), so a person
already batched in an earlier version of the incident is never batched again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from include.lake import crypto
from include.legal.inputs import AffectedGroup
from include.legal.obligations import assess_group
from include.legal.rules import RuleSet
from include.notices.addresses import is_valid_mailbox
from include.notices.content import is_credentials_only


def notice_key(incident_id: str, person: str) -> str:
    """The idempotency key of one person's notice for one incident (pseudonymous, stable across versions)."""
    return crypto.pseudonym(f"{incident_id}:{person}", purpose="notice")


@dataclass(frozen=True)
class ChannelPlan:
    """Channels chosen for everyone in a version, plus the substitute-notice decisions (counts only)."""

    people: pd.DataFrame
    substitute: dict[str, dict[str, Any]]


def rule_for(jurisdiction: str, rules: RuleSet) -> dict[str, Any]:
    """The rule a person's notice follows (California's for unknown residency)."""
    return rules.for_jurisdiction("US-CA" if jurisdiction == "UNKNOWN" else jurisdiction)


def notify_verdicts(people: pd.DataFrame, key_compromised: bool, rules: RuleSet) -> tuple[list[bool], list[bool]]:
    """Per person: is notice owed, and is it a credentials-only notice (decided once per distinct element set)."""
    signature = list(
        zip(people["jurisdiction"], map(tuple, people["data_elements"]), map(tuple, people["encrypted_elements"]), strict=True)
    )
    verdicts: dict[tuple[Any, ...], bool] = {}
    for jurisdiction, elements, encrypted in set(signature):
        group = AffectedGroup(
            jurisdiction=jurisdiction,
            count=1,
            data_elements=list(elements),
            key_compromised=key_compromised,
            encrypted_elements=list(encrypted),
        )
        verdicts[(jurisdiction, elements, encrypted)] = (
            assess_group(rule_for(jurisdiction, rules), rules, group).status == "notify"
        )
    credentials_only = {elements: is_credentials_only(list(elements), rules) for _, elements, _ in set(signature)}
    return [verdicts[s] for s in signature], [credentials_only[elements] for _, elements, _ in signature]


def substitute_steps(jurisdiction: str, rules: RuleSet) -> list[str]:
    """What a substitute notice consists of besides the emails, each recorded as `<J>/substitute_notice/<step>`.

    A rule may list its steps (`substitute_notice.steps`); otherwise a US rule needs the website posting and the
    statewide media notice (Cal. Civ. Code 1798.82(j)(3)), a GDPR rule the public communication (a posting,
    Art. 34(3)(c)), and any rule with a regulator term its regulator filing too.
    """
    terms = rule_for(jurisdiction, rules).get("substitute_notice") or {}
    if isinstance(terms.get("steps"), list):
        return [str(step) for step in terms["steps"]]
    public_only = jurisdiction.startswith("EU-") or bool(terms.get("disproportionate_effort"))
    steps = ["posting"] if public_only else ["posting", "media"]
    if terms.get("regulator") or terms.get("regulator_notice"):
        steps.append("regulator")
    return steps


def substitute_step_id(jurisdiction: str, step: str) -> str:
    """The obligation id under which `breachctl incident fulfil` records one substitute-notice step."""
    return f"{jurisdiction}/substitute_notice/{step}"


def substitute_decisions(
    to_notify: pd.DataFrame, rules: RuleSet, cost_per_notice: Mapping[str, float]
) -> dict[str, dict[str, Any]]:
    """Per jurisdiction: whether the substitute notice covers everyone, and why (costs, head counts, missing contact)."""
    substitute: dict[str, dict[str, Any]] = {}
    for jurisdiction, group in to_notify.groupby("jurisdiction"):
        rule_terms = rule_for(str(jurisdiction), rules).get("substitute_notice") or {}
        cost = float(sum(cost_per_notice.get(c, cost_per_notice["postal"]) for c in group["channel"]))
        reasons = []
        if rule_terms.get("people_over") is not None and len(group) > rule_terms["people_over"]:
            reasons.append(f"more than {rule_terms['people_over']} people to notify")
        if rule_terms.get("cost_over") is not None and cost > rule_terms["cost_over"]:
            reasons.append(f"estimated cost {cost:,.0f} over {rule_terms['cost_over']:,}")
        no_contact = int((group["channel"] == "none").sum())
        if no_contact:
            reasons.append(f"{no_contact} without usable contact details")
        substitute[str(jurisdiction)] = {
            "whole_jurisdiction": bool(reasons and not (len(reasons) == 1 and no_contact)),
            "reasons": reasons,
            "people": len(group),
            "estimated_cost": round(cost, 2),
            "needs_legal_review": bool(reasons) and bool(rule_terms.get("needs_legal_review")),
            "citation": rule_terms.get("citation"),
        }
    return substitute


def plan_channels(
    individuals: pd.DataFrame,
    incident_id: str,
    key_compromised: bool,
    rules: RuleSet,
    already_batched: set[str],
    cost_per_notice: Mapping[str, float],
) -> ChannelPlan:
    """Who must be told (per the rules), and how: email, postal letter, or substitute notice."""
    people = individuals.copy()
    people["key"] = [notice_key(incident_id, p) for p in people["person"]]
    people["notify"], people["credentials_only"] = notify_verdicts(people, key_compromised, rules)
    people["already_batched"] = people["key"].isin(already_batched)
    # The store's flag is not trusted: every address goes through the one strict parser (one mailbox, no lists).
    strict = people["email"].map(is_valid_mailbox).astype(bool) if "email" in people else False
    email_ok = people["email_valid"].astype(bool) & strict & ~people["credentials_only"]
    postal_ok = people["postal_valid"].astype(bool)
    people["channel"] = "none"
    people.loc[postal_ok, "channel"] = "postal"
    people.loc[email_ok, "channel"] = "email"
    substitute = substitute_decisions(people[people["notify"]], rules, cost_per_notice)
    people["substitute"] = (people["channel"] == "none") | people["jurisdiction"].map(
        lambda j: substitute.get(j, {}).get("whole_jurisdiction", False)
    )
    return ChannelPlan(people, substitute)
