"""The rule files as data: every file loads strictly, cites its statute and sources, and uses one name per combination."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from include.legal.rules import RULES_DIR, load_rules, read_yaml
from include.legal.schema import validate_rule

FILES = sorted((RULES_DIR / "jurisdictions").glob("*.yaml"))
MERGED_NAMES = (
    "name_account_with_financial_code",
    "name_account_with_access_code",
    "name_account_with_security_code",
    "account_with_financial_code",
    "account_with_security_code",
    "card_with_security_code",
    "name_drivers_license_or_state_id",
    "name_password_or_access_code",
    "name_online_credentials_financial",
    "name_card_with_expiry",
    "card_number_alone_no_name",
    "identifier_with_health",
)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_rule_file_validates_and_cites_its_statute(path: Path):
    rule = read_yaml(path)
    validate_rule(rule, path.name)
    assert rule["jurisdiction"] == path.stem and rule["statute"] and rule["sources"]
    for regulator in rule.get("regulators") or []:
        assert regulator["citation"], (path.stem, regulator["id"])
    if rule.get("individual_notice"):
        assert rule["individual_notice"]["citation"]


def test_rule_files_use_one_name_per_combination():
    text = "\n".join(path.read_text() for path in FILES)
    for name in MERGED_NAMES:
        assert not re.search(rf"\b{name}\b", text), name
    assert "new_combinations" not in text


def test_every_combination_used_is_defined_and_uses_known_categories():
    rules = load_rules()
    used = {
        name
        for rule in rules.rules.values()
        for field in ("combinations", "credential_combinations", "no_name_combinations")
        for name in (rule.get("personal_information") or {}).get(field) or []
    }
    assert used <= set(rules.combinations)


def test_the_password_hash_never_counts_as_a_financial_account_code():
    combinations = load_rules().combinations
    for name in ("name_account_with_code", "account_with_code", "identifier_account_with_code", "name_financial_access_code"):
        assert not any("user.authorization.password" in group for group in combinations[name]["all_of"]), name


def test_a_duplicate_key_fails_loading(tmp_path):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR / "jurisdictions", folder / "jurisdictions")
    shutil.copy(RULES_DIR / "elements.yaml", folder / "elements.yaml")
    path = folder / "jurisdictions" / "US-CA.yaml"
    path.write_text(path.read_text() + "timezone: America/New_York\n")
    with pytest.raises(ValueError, match=r"US-CA\.yaml.*duplicate key 'timezone'"):
        load_rules.__wrapped__(folder)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('comparison: ">"}', 'comparison: "gt"}'), "comparison"),
        (("deadline: {days: 30, unit: calendar, clock: discovery}", "deadline: {days: 30, unit: calendar}"), "days and clock"),
        (("timezone: America/Los_Angeles", "timezone: America/Hollywood"), "IANA"),
        (("combinations: [name_ssn,", "combinations: [name_ssm,"), "unknown combination name_ssm"),
    ],
)
def test_a_broken_rule_fails_loading_naming_the_file_and_field(tmp_path, change, message):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR / "jurisdictions", folder / "jurisdictions")
    shutil.copy(RULES_DIR / "elements.yaml", folder / "elements.yaml")
    path = folder / "jurisdictions" / "US-CA.yaml"
    old, new = change
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(ValueError, match=message) as error:
        load_rules.__wrapped__(folder)
    assert "US-CA" in str(error.value)


def test_what_stays_unclear_is_flagged_not_decided():
    rules = load_rules()
    # Conflicting sources on a threshold: the inclusive reading, flagged on the notice itself.
    assert rules.rules["US-IA"]["regulators"][0]["threshold"] == {"count": 500, "comparison": ">="}
    assert rules.rules["US-IA"]["regulators"][0]["needs_legal_review"]
    # Unconfirmed substitute-notice figures are not used: direct notice, flagged.
    assert rules.rules["US-TN"]["substitute_notice"]["cost_over"] is None
    # Every state rule keeps its own review list and open questions.
    assert all(rule.get("review") for rule in rules.state_rules())
