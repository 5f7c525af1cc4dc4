"""Policy as data: the minimisation checks are generated from include/pii/policy.yaml, so changing `keep_when`
changes the findings (the suites used to hard-code `group_id == 4` and the policy's rule was never read)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd

from include.pii.map import MinimisationRule, load_policy
from include.scan.validation import FrameValidator, compose_suite, suite_document, suite_path

TABLE = "customer_grid_flat"


def dob_unexpected(policy) -> int:
    document = compose_suite(TABLE, json.loads(suite_path(TABLE).read_text()), policy)
    frame = pd.DataFrame(
        {
            "entity_id": [1, 2, 3, 4],
            "group_id": [1, 4, 1, 2],
            "dob": ["1980-01-01", "1975-05-05", None, "1990-09-09"],
            "taxvat": [None, "123-45-6789", None, None],
        }
    )
    return FrameValidator(TABLE, document).validate(frame)["dob:minimisation_policy"].unexpected_count


def with_rule(keep_when: str | None):
    policy = load_policy()
    rules = tuple(
        MinimisationRule(r.table, r.column, keep_when, r.reason) if (r.table, r.column) == (TABLE, "dob") else r
        for r in policy.minimisation
    )
    return dataclasses.replace(policy, minimisation=rules)


def test_suite_files_carry_no_minimisation_checks_of_their_own():
    for path in suite_path(TABLE).parent.glob("*.json"):
        checks = [e["meta"]["check"] for e in json.loads(path.read_text()).get("expectations", [])]
        assert "minimisation_policy" not in checks, path.name


def test_the_loaded_suite_follows_the_policy_file():
    generated = [e for e in suite_document(TABLE)["expectations"] if e["meta"]["check"] == "minimisation_policy"]
    rules = [r for r in load_policy().minimisation if r.table == TABLE]
    assert [(e["kwargs"]["column"], e["kwargs"].get("row_condition")) for e in generated] == [
        (r.column, f"not ({r.keep_when})") for r in rules
    ]


def test_changing_keep_when_changes_the_findings():
    assert dob_unexpected(load_policy()) == 2
    assert dob_unexpected(with_rule("group_id in [1, 4]")) == 1
    assert dob_unexpected(with_rule("group_id in [1, 2, 4]")) == 0
    assert dob_unexpected(with_rule(None)) == 3
