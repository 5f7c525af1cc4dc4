"""Every US jurisdiction with its own rule: hand-computed scenarios for each fixed day count and regulator threshold.

Discovery is Monday 2 March 2026, 10:00 PST, no separate determination (the clock falls back to discovery), the
business counts in America/Los_Angeles. After 8 March the zones are on daylight time: Eastern -04:00, Central -05:00,
Mountain -06:00, Arizona and Pacific -07:00; Puerto Rico -04:00 all year. 2 Mar + 10 days = 12 Mar, + 30 = 1 Apr,
+ 45 = 16 Apr, + 60 = 1 May; a due date is 23:59:59 on that day in the earliest-ending zone (the state's, east of
California). "-" means the law sets no fixed period (due null).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules

DISCOVERED = "2026-03-02T10:00:00-08:00"
NAME_SSN = ["user.name.first", "user.name.last", "user.government_id.national_identification_number"]
STATES = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA"
STATES += " RI SC SD TN TX UT VT VA WA WV WI WY"
US_JURISDICTIONS = sorted([*STATES.split(), "DC", "PR", "GU", "VI"])


def run(jurisdiction: str, count: int) -> dict[str, dict]:
    incident = parse_incident(
        {"incident_id": "INC-STATE", "discovered_at": DISCOVERED, "business_timezone": "America/Los_Angeles"}
    )
    affected = parse_affected({"groups": [{"jurisdiction": jurisdiction, "count": count, "data_elements": NAME_SSN}]})
    return {o["id"]: o for o in obligations_document(incident, affected, load_rules())["obligations"]}


# (jurisdiction, residents, obligation, required, due) with the statute beside each.
CASES = [
    # Ala. Code 8-38-5(b): 45 days from the determination; 8-38-6: AG when more than 1,000, within 45 days; 8-38-7: CRAs.
    ("US-AL", 1001, "individuals", True, "2026-04-16T23:59:59-05:00"),
    ("US-AL", 1001, "attorney_general", True, "2026-04-16T23:59:59-05:00"),
    ("US-AL", 1000, "attorney_general", False, None),
    ("US-AL", 1001, "consumer_reporting_agencies", True, None),
    # Alaska Stat. 45.48.040: CRAs when more than 1,000.
    ("US-AK", 1001, "consumer_reporting_agencies", True, None),
    ("US-AK", 1000, "consumer_reporting_agencies", False, None),
    # Ark. Code 4-110-105(b)(2) (Act 1030 of 2019): AG when more than 1,000, with the residents or within 45 days.
    ("US-AR", 1001, "attorney_general", True, "2026-04-16T23:59:59-05:00"),
    ("US-AR", 1000, "attorney_general", False, None),
    # O.C.G.A. 10-1-912(d): CRAs when more than 10,000.
    ("US-GA", 10001, "consumer_reporting_agencies", True, None),
    ("US-GA", 10000, "consumer_reporting_agencies", False, None),
    # Haw. Rev. Stat. 487N-2(f): Office of Consumer Protection when more than 1,000.
    ("US-HI", 1001, "office_of_consumer_protection", True, None),
    ("US-HI", 1000, "office_of_consumer_protection", False, None),
    # 815 ILCS 530/10(e) (S.B. 1624): AG when more than 500, no later than the residents.
    ("US-IL", 501, "attorney_general", True, None),
    ("US-IL", 500, "attorney_general", False, None),
    # Ind. Code 24-4.9-3-3 (P.L.171-2022): 45 days from discovery; 24-4.9-4: AG for any number; CRAs over 1,000.
    ("US-IN", 1, "individuals", True, "2026-04-16T23:59:59-04:00"),
    ("US-IN", 1, "attorney_general", True, "2026-04-16T23:59:59-04:00"),
    ("US-IN", 1001, "consumer_reporting_agencies", True, "2026-04-16T23:59:59-04:00"),
    # Iowa Code 715C.2(8): AG within 5 business days after the residents' notice; statute "more than 500", AG page
    # "at least 500": 500 is treated as owed (flagged). The residents' notice has no fixed date, so neither has this.
    ("US-IA", 500, "attorney_general", True, None),
    ("US-IA", 499, "attorney_general", False, None),
    # Kan. Stat. 50-7a02(f): CRAs when more than 1,000.
    ("US-KS", 1001, "consumer_reporting_agencies", True, None),
    ("US-KS", 1000, "consumer_reporting_agencies", False, None),
    # Ky. Rev. Stat. 365.732: CRAs over 1,000 (sources differ on > or >=: the inclusive reading).
    ("US-KY", 1000, "consumer_reporting_agencies", True, None),
    ("US-KY", 999, "consumer_reporting_agencies", False, None),
    # La. R.S. 51:3074(E): 60 days from discovery; LAC 16:III.701: AG within 10 days of the residents' notice.
    ("US-LA", 1, "individuals", True, "2026-05-01T23:59:59-05:00"),
    ("US-LA", 1, "attorney_general", True, "2026-05-11T23:59:59-05:00"),
    ("US-LA", 1, "attorney_general_delay_reasons", False, None),
    # Mich. Comp. Laws 445.72(8): CRAs at 1,000 or more (conservative reading).
    ("US-MI", 1000, "consumer_reporting_agencies", True, None),
    ("US-MI", 999, "consumer_reporting_agencies", False, None),
    # Minn. Stat. 325E.61 subd. 2: CRAs within 48 hours when more than 500: 4 Mar 10:00 PST.
    ("US-MN", 501, "consumer_reporting_agencies", True, "2026-03-04T10:00:00-08:00"),
    ("US-MN", 500, "consumer_reporting_agencies", False, None),
    # Mo. Rev. Stat. 407.1500.2(8): AG and CRAs when more than 1,000 at one time.
    ("US-MO", 1001, "attorney_general", True, None),
    ("US-MO", 1000, "attorney_general", False, None),
    # Mont. Code 30-14-1704(8): the Office of Consumer Protection simultaneously, any number.
    ("US-MT", 1, "attorney_general", True, None),
    # Neb. Rev. Stat. 87-803(2): AG no later than the residents, any number.
    ("US-NE", 1, "attorney_general", True, None),
    # Nev. Rev. Stat. 603A.220: CRAs when more than 1,000.
    ("US-NV", 1001, "consumer_reporting_agencies", True, None),
    ("US-NV", 1000, "consumer_reporting_agencies", False, None),
    # RSA 359-C:20, I(b): AG before the residents, any number; VI(a): CRAs over 1,000.
    ("US-NH", 1, "attorney_general", True, None),
    ("US-NH", 1001, "consumer_reporting_agencies", True, None),
    ("US-NH", 1000, "consumer_reporting_agencies", False, None),
    # N.J. Stat. 56:8-163(c)(1): State Police before the customers; (f): CRAs over 1,000.
    ("US-NJ", 1, "state_police", True, None),
    ("US-NJ", 1001, "consumer_reporting_agencies", True, None),
    ("US-NJ", 1000, "consumer_reporting_agencies", False, None),
    # N.M. Stat. 57-12C-6: 45 days from discovery; 57-12C-10: AG and CRAs when more than 1,000, within 45 days (MDT).
    ("US-NM", 1, "individuals", True, "2026-04-16T23:59:59-06:00"),
    ("US-NM", 1001, "attorney_general", True, "2026-04-16T23:59:59-06:00"),
    ("US-NM", 1000, "attorney_general", False, None),
    # N.C. Gen. Stat. 75-65(e1): AG for any number; (f): CRAs over 1,000.
    ("US-NC", 1, "attorney_general", True, None),
    ("US-NC", 1001, "consumer_reporting_agencies", True, None),
    # N.D. Cent. Code 51-30-02: AG when more than 250.
    ("US-ND", 251, "attorney_general", True, None),
    ("US-ND", 250, "attorney_general", False, None),
    # Ohio Rev. Code 1349.19(B)(2): 45 days from discovery; (G): CRAs over 1,000.
    ("US-OH", 1, "individuals", True, "2026-04-16T23:59:59-04:00"),
    ("US-OH", 1001, "consumer_reporting_agencies", True, None),
    # 24 O.S. 163 (S.B. 626, in force 2026-01-01): AG at 500 or more, 60 days after the residents' notice.
    ("US-OK", 500, "attorney_general", True, None),
    ("US-OK", 499, "attorney_general", False, None),
    # 73 P.S. 2303 (Act 33 of 2024): AG concurrently when more than 500; CRAs at 500 or more.
    ("US-PA", 501, "attorney_general", True, None),
    ("US-PA", 500, "attorney_general", False, None),
    ("US-PA", 500, "consumer_reporting_agencies", True, None),
    # R.I. Gen. Laws 11-49.3-4(a)(2): 45 days (from confirmation; discovery here); AG and CRAs when more than 500.
    ("US-RI", 501, "individuals", True, "2026-04-16T23:59:59-04:00"),
    ("US-RI", 501, "attorney_general", True, "2026-04-16T23:59:59-04:00"),
    ("US-RI", 500, "attorney_general", False, None),
    # S.C. Code 39-1-90(K): Department of Consumer Affairs and CRAs over 1,000 (statute ">" vs Department ">="):
    # 1,000 is treated as owed (flagged).
    ("US-SC", 1000, "consumer_affairs", True, None),
    ("US-SC", 999, "consumer_affairs", False, None),
    # S.D. Codified Laws 22-40-20: 60 days from discovery; AG when more than 250 (no later than the residents);
    # 22-40-24: CRAs for every notifiable breach.
    ("US-SD", 251, "individuals", True, "2026-05-01T23:59:59-05:00"),
    ("US-SD", 251, "attorney_general", True, "2026-05-01T23:59:59-05:00"),
    ("US-SD", 250, "attorney_general", False, None),
    ("US-SD", 1, "consumer_reporting_agencies", True, None),
    # Tenn. Code 47-18-2107(b): 45 days from discovery; (f): CRAs over 1,000.
    ("US-TN", 1, "individuals", True, "2026-04-16T23:59:59-05:00"),
    ("US-TN", 1001, "consumer_reporting_agencies", True, None),
    # Utah Code 13-44-202(1)(c) (S.B. 127, 2023): AG and the Utah Cyber Center at 500 or more; CRAs at 1,000 or more.
    ("US-UT", 500, "attorney_general", True, None),
    ("US-UT", 500, "utah_cyber_center", True, None),
    ("US-UT", 499, "attorney_general", False, None),
    ("US-UT", 1000, "consumer_reporting_agencies", True, None),
    # Va. Code 18.2-186.6(B): AG for any number; (E): AG and CRAs when more than 1,000.
    ("US-VA", 1, "attorney_general", True, None),
    ("US-VA", 1001, "attorney_general_over_1000", True, None),
    ("US-VA", 1000, "attorney_general_over_1000", False, None),
    # W. Va. Code 46A-2A-102(f): CRAs over 1,000.
    ("US-WV", 1001, "consumer_reporting_agencies", True, None),
    ("US-WV", 1000, "consumer_reporting_agencies", False, None),
    # Wis. Stat. 134.98(3)(a): 45 days; (2)(br): CRAs at 1,000 or more (conservative reading).
    ("US-WI", 1, "individuals", True, "2026-04-16T23:59:59-05:00"),
    ("US-WI", 1000, "consumer_reporting_agencies", True, None),
    # D.C. Code 28-3852(b-1): AG at 50 or more; (c): CRAs over 1,000.
    ("US-DC", 50, "attorney_general", True, None),
    ("US-DC", 49, "attorney_general", False, None),
    ("US-DC", 1001, "consumer_reporting_agencies", True, None),
    # 10 L.P.R.A. 4052: DACO within a non-extendable 10 days of detection: 12 Mar, AST.
    ("US-PR", 1, "daco", True, "2026-03-12T23:59:59-04:00"),
]


@pytest.mark.parametrize(("jurisdiction", "count", "obligation", "required", "due"), CASES)
def test_state_thresholds_and_day_counts(jurisdiction, count, obligation, required, due):
    result = run(jurisdiction, count)[f"{jurisdiction}/{obligation}"]
    assert (result["required"], result["due"]) == (required, due)


def test_every_threshold_case_names_its_comparison_in_the_reason():
    reason = run("US-ND", 250)["US-ND/attorney_general"]["reason"]
    assert "below threshold" in reason and "more than 250" in reason


def test_georgia_notice_is_listed_with_its_coverage_limit():
    # O.C.G.A. 10-1-911(2)-(3): information brokers and government data collectors only; listed and flagged.
    individuals = run("US-GA", 1)["US-GA/individuals"]
    assert individuals["required"] and any("information brokers" in n for n in individuals["review_notes"])


def test_every_us_jurisdiction_has_its_own_rule_file():
    rules = load_rules()
    assert [r["jurisdiction"] for r in rules.state_rules()] == [f"US-{code}" for code in US_JURISDICTIONS]
    assert len(US_JURISDICTIONS) == 54


def test_breachctl_obligations_cites_each_jurisdictions_own_statute(tmp_path):
    """One resident of each of the 54 jurisdictions: an individuals obligation citing that jurisdiction's statute."""
    groups = [{"jurisdiction": f"US-{code}", "count": 1, "data_elements": NAME_SSN} for code in US_JURISDICTIONS]
    (tmp_path / "i.json").write_text(json.dumps({"incident_id": "INC-54", "discovered_at": DISCOVERED}))
    (tmp_path / "a.json").write_text(json.dumps({"groups": groups}))
    command = ["obligations", "--incident", str(tmp_path / "i.json"), "--affected", str(tmp_path / "a.json")]
    done = subprocess.run([sys.executable, "-m", "include.cli", *command], capture_output=True, text=True, check=True)
    printed = {o["id"]: o for o in json.loads(done.stdout)["obligations"]}
    rules = load_rules()
    default = rules.rules["US-DEFAULT"]["individual_notice"]["citation"]
    for code in US_JURISDICTIONS:
        individuals = printed[f"US-{code}/individuals"]
        rule = rules.rules[f"US-{code}"]
        assert individuals["required"], code
        assert individuals["citation"] == rule["individual_notice"]["citation"] != default, code
