"""The legal review of 2026-12-02 (../shared/research/legal-review-2.md): each confirmed error, its scenarios S1-S9
and its doubtful items, hand-computed with the statute cited beside each. Each error test failed on the engine before
the fix (see the report of issue 13 for the run against commit a592c5d).

The review's scenarios assume discovery on Monday 2 March 2026, 10:00 PST, and a business in California.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from include.config import Config, ConfigError
from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.notices.channels import substitute_decisions
from include.notices.content import is_credentials_only
from include.pii.map import load_pii_map

DISCOVERED = "2026-03-02T10:00:00-08:00"
LA = "America/Los_Angeles"
NAME_SSN = ["user.name.first", "user.name.last", "user.government_id.national_identification_number"]
SSN = "user.government_id.national_identification_number"
CARD, CVV, PASSWORD = "user.financial.credit_card", "user.authorization.card_security_code", "user.authorization.password"


def run(groups: list[dict], **incident) -> dict[str, dict]:
    document = {"incident_id": "INC-REVIEW", "discovered_at": DISCOVERED, "business_timezone": LA, **incident}
    result = obligations_document(parse_incident(document), parse_affected({"groups": groups}), load_rules())
    return {o["id"]: o for o in result["obligations"]}


def group(jurisdiction: str, count: int, elements: list[str] = NAME_SSN, **flags) -> dict:
    return {"jurisdiction": jurisdiction, "count": count, "data_elements": elements, **flags}


def delay(start: str, end: str | None, agency: str = "FBI") -> dict:
    return {"agency": agency, "start": start, **({"end": end} if end else {})}


# -- error 1: a law-enforcement delay never yields a due date inside the delay ----------------------------------


def test_s1_california_notice_follows_the_release_not_a_date_inside_the_delay():
    """S1. Cal. Civ. Code 1798.82(c): notice "promptly after" the agency says it no longer compromises the case."""
    o = run([group("US-CA", 600)], law_enforcement_delay=delay("2026-03-25T00:00:00-07:00", "2026-05-30T00:00:00-07:00"))
    individuals, sample = o["US-CA/individuals"], o["US-CA/attorney_general_sample"]
    # The old engine gave 9 Apr (individuals) and 24 Apr (sample), both inside the delay.
    assert individuals["required"] and individuals["due"] is None
    assert individuals["not_before"] == "2026-05-30T00:00:00-07:00" and "promptly" in individuals["reason"]
    assert sample["required"] and sample["due"] is None and sample["depends_on"] == "US-CA/individuals"


def test_maine_notice_is_due_7_business_days_after_the_release():
    """Error 5. 10 M.R.S. 1348(3): delayed "for no longer than 7 business days after" the agency's determination."""
    o = run([group("US-ME", 3)], law_enforcement_delay=delay("2026-03-25T00:00:00-04:00", "2026-04-30T12:00:00-04:00"))
    # Released Thu 30 Apr: Fri 1 May (1), 4-8 May (6), Mon 11 May (7).
    assert o["US-ME/individuals"]["due"] == "2026-05-11T23:59:59-04:00"


def test_maryland_gives_7_days_after_a_late_release_and_keeps_45_days_after_an_early_one():
    """Md. Code, Com. Law 14-3504(d)(2): 7 days after the release if the 45 days have run, else the 45 days."""
    late = run([group("US-MD", 3)], law_enforcement_delay=delay("2026-04-01T00:00:00-04:00", "2026-04-30T12:00:00-04:00"))
    assert late["US-MD/individuals"]["due"] == "2026-05-07T23:59:59-04:00"  # 30 Apr + 7
    early = run([group("US-MD", 3)], law_enforcement_delay=delay("2026-03-10T00:00:00-04:00", "2026-03-20T00:00:00-04:00"))
    assert early["US-MD/individuals"]["due"] == "2026-04-16T23:59:59-04:00"  # 2 Mar + 45


def test_south_dakota_gives_30_days_after_the_release():
    """S.D. Codified Laws 22-40-22: notice within 30 days after law enforcement says it no longer impedes the case."""
    o = run([group("US-SD", 3)], law_enforcement_delay=delay("2026-03-10T00:00:00-05:00", "2026-05-15T12:00:00-05:00"))
    assert o["US-SD/individuals"]["due"] == "2026-06-14T23:59:59-05:00"  # 15 May + 30; the 60 days ended 1 May


def test_no_due_date_of_any_state_falls_inside_a_delay():
    """Error 1 for every US rule: the residents' notice and every notice dated from it, over a sweep of delays.

    A regulator notice with its own clock (Arkansas' 45 days, Vermont's 14 business days) keeps it and is flagged:
    the statutes' delays cover the residents' notice.
    """
    rules = load_rules()
    start0 = datetime.fromisoformat(DISCOVERED)
    for rule in rules.state_rules():
        if "law_enforcement" not in rule["individual_notice"]["delays"]:
            continue
        plain = run([group(rule["jurisdiction"], 2000)])[f"{rule['jurisdiction']}/individuals"]["due"]
        for offset in (0, 5, 20, 29, 40):
            for length in (1, 10, 45, 90):
                start, end = start0 + timedelta(days=offset), start0 + timedelta(days=offset + length)
                if plain and start > datetime.fromisoformat(plain):
                    continue  # asked for after the residents' deadline: it changes nothing
                o = run([group(rule["jurisdiction"], 2000)], law_enforcement_delay=delay(start.isoformat(), end.isoformat()))
                for obligation in o.values():
                    if obligation["recipient"] != "individuals" and obligation["clock"]["event"] != "individual_notice":
                        if obligation["due"] and start <= datetime.fromisoformat(obligation["due"]) <= end:
                            assert any("Due while law enforcement" in n for n in obligation["review_notes"])
                        continue
                    if obligation["due"]:
                        due = datetime.fromisoformat(obligation["due"])
                        assert not start <= due <= end, (obligation["id"], offset, length, obligation["due"])


# -- error 2: day counts on the local calendar ------------------------------------------------------------------


def test_s7_discovery_typed_in_utc_ends_on_the_local_date():
    """S7. 3 Mar 02:00Z is 2 Mar 18:00 in California: 30 days end on 1 Apr local (Cal. Civ. Code 1798.82(a)(2)(A))."""
    o = run([group("US-CA", 5)], discovered_at="2026-03-03T02:00:00Z")
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-07:00"  # the old engine: 2026-04-02T23:59:59Z


def test_never_the_offset_someone_typed():
    """A winter offset typed in March must not end an April deadline at 23:59:59-08:00 (00:59 PDT the next day)."""
    o = run([group("US-CA", 5)], business_timezone=None, discovered_at="2026-03-02T09:00:00-08:00")
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-07:00"


def test_the_earlier_end_of_the_business_and_the_residents_calendars_wins():
    # A business in New York, California residents: 1 Apr ends first in New York.
    o = run([group("US-CA", 5)], business_timezone="America/New_York")
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-04:00"
    # A business in Honolulu discovering at 22:30 on 2 Mar (already 3 Mar in California): Hawaii's 1 Apr ends first.
    o = run([group("US-CA", 5)], business_timezone="Pacific/Honolulu", discovered_at="2026-03-02T22:30:00-10:00")
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-10:00"


def test_business_days_count_from_the_local_date():
    # 6 Mar 04:30Z is Thu 5 Mar 23:30 in Vermont: 14 business days (9 V.S.A. 2435(b)(3)) from Thu 5 Mar end Wed 25 Mar.
    o = run([group("US-VT", 2)], discovered_at="2026-03-06T04:30:00Z")
    assert o["US-VT/attorney_general_preliminary"]["due"] == "2026-03-25T23:59:59-04:00"


def test_business_timezone_comes_from_the_configuration_and_is_checked():
    assert Config.from_env({"BUSINESS_TIMEZONE": "America/Chicago"}).business_timezone == "America/Chicago"
    assert Config.from_env({}).business_timezone is None
    with pytest.raises(ConfigError, match="BUSINESS_TIMEZONE"):
        Config.from_env({"BUSINESS_TIMEZONE": "Pacific Time"})


# -- errors 3, 4, 6, 7, 8, 9 ------------------------------------------------------------------------------------


def test_s4_maryland_agencies_at_1000_or_more():
    """S4, error 3. Md. Code, Com. Law 14-3506: "1,000 or more individuals"."""
    assert run([group("US-MD", 1000)])["US-MD/consumer_reporting_agencies"]["required"]  # the old rule: > 1000
    assert not run([group("US-MD", 999)])["US-MD/consumer_reporting_agencies"]["required"]


def test_vermont_substitute_notice_on_cost_over_10000_or_missing_contact_only():
    """Error 4. 9 V.S.A. 2435(b)(6) as amended by Act 89 (S.110, 2020): lowest cost over $10,000; no head count."""
    rules, costs = load_rules(), {"email": 0.05, "postal": 1.20}
    cheap = pd.DataFrame({"jurisdiction": ["US-VT"] * 6000, "channel": ["email"] * 6000})  # $300
    assert not substitute_decisions(cheap, rules, costs)["US-VT"]["whole_jurisdiction"]  # the old rule: over 5,000 people
    dear = pd.DataFrame({"jurisdiction": ["US-VT"] * 9000, "channel": ["postal"] * 9000})  # $10,800
    assert substitute_decisions(dear, rules, costs)["US-VT"]["whole_jurisdiction"]


def test_s2_texas_name_in_clear_with_encrypted_ssn_is_not_sensitive_personal_information():
    """S2, error 6. Tex. Bus. & Com. Code 521.002(a)(2)(A): "if the name and the items are not encrypted"."""
    o = run([group("US-TX", 300, encrypted_elements=[SSN])])
    assert not o["US-TX/individuals"]["required"] and not o["US-TX/attorney_general"]["required"]
    # California's "either" wording (1798.82(h)(1)) owes notice for the same data.
    assert run([group("US-CA", 300, encrypted_elements=[SSN])])["US-CA/individuals"]["required"]


def test_encryption_wording_is_a_field_of_each_rule():
    name_encrypted = {"encrypted_elements": ["user.name.first", "user.name.last"]}
    # Texas "both": an encrypted name alone takes the data out (521.002(a)(2)(A)).
    assert not run([group("US-TX", 3, **name_encrypted)])["US-TX/individuals"]["required"]
    # Maryland "elements": only the elements count (14-3501(e)(1)(i)); an encrypted name does not help...
    assert run([group("US-MD", 3, **name_encrypted)])["US-MD/individuals"]["required"]
    # ...and an encrypted SSN beside a clear name is safe.
    assert not run([group("US-MD", 3, encrypted_elements=[SSN])])["US-MD/individuals"]["required"]


def test_the_store_password_hash_is_not_a_financial_account_code():
    """Error 7. Cal. Civ. Code 1798.82(h)(1)(C): the code must permit access to the financial account."""
    o = run([group("US-CA", 3, ["user.name", CARD, PASSWORD])])
    assert not o["US-CA/individuals"]["required"]  # the old engine: name + card + store password = (h)(1)(C)
    with_cvv = run([group("US-CA", 3, ["user.name", "user.contact.email", CARD, CVV])])["US-CA/individuals"]
    assert with_cvv["required"] and "security code" in with_cvv["reason"]


def test_the_cvv_is_a_card_security_code_not_a_login_credential():
    """Error 7. The CVV opens the card account; (h)(2) credentials open an online account."""
    columns = load_pii_map().tables["quote_payment"].columns
    assert columns["cc_cid_enc"].category == CVV
    assert load_pii_map().tables["customer_entity"].columns["password_hash"].category == PASSWORD
    assert not run([group("US-CA", 3, ["user.contact.email", CVV])])["US-CA/individuals"]["required"]  # not (h)(2)
    assert not is_credentials_only(["user.contact.email", CVV, CARD, "user.name"], load_rules())


def test_s3_colorado_card_and_code_without_a_name():
    """S3, error 8. C.R.S. 6-1-716(1)(g)(I)(C): an account or card number with its code, no name needed."""
    o = run([group("US-CO", 600, ["user.contact.email", CARD, CVV])])
    individuals, ag = o["US-CO/individuals"], o["US-CO/attorney_general"]
    assert individuals["required"] and "without a name" in individuals["reason"]
    assert not any("credential" in note.lower() for note in individuals["review_notes"])
    # 6-1-716(2)(f): 30 days after the determination (2 Mar) = 1 Apr, MDT. The review wrote 3 Apr, which is 30 days
    # after 4 Mar, not after the 2 Mar determination its scenario gives: we side with the statute's arithmetic.
    assert ag["required"] and ag["due"] == "2026-04-01T23:59:59-06:00" == individuals["due"]
    assert not o["US-CO/consumer_reporting_agencies"]["required"]  # 600 < 1,000


def test_maryland_attorney_general_before_and_connecticut_delaware_no_later_than_the_residents():
    """Error 9. Md. 14-3504(h) "prior to"; Conn. Gen. Stat. 36a-701b(b)(2) and 6 Del. C. 12B-102(d) "no later than"."""
    o = run([group("US-MD", 3), group("US-CT", 3), group("US-DE", 501)])
    assert o["US-MD/attorney_general"]["timing"] == "before_individuals"
    assert o["US-CT/attorney_general"]["timing"] == o["US-DE/attorney_general"]["timing"] == "no_later_than_individuals"
    for ag in ("US-MD/attorney_general", "US-CT/attorney_general", "US-DE/attorney_general"):
        assert o[ag]["depends_on"] == ag.split("/")[0] + "/individuals"


# -- scenarios S5, S6, S8, S9 -----------------------------------------------------------------------------------


def test_s5_new_york_name_and_card_number_is_flagged():
    """S5. N.Y. Gen. Bus. Law 899-aa(1)(b)(i)(4): a card number without a code counts if usable without one."""
    individuals = run([group("US-NY", 10, ["user.name", CARD])])["US-NY/individuals"]
    assert individuals["required"] and any("card or account number alone" in n for n in individuals["review_notes"])


def test_s6_vermont_preliminary_notice_over_the_year_end():
    """S6. 9 V.S.A. 2435(b)(3): 14 business days from Fri 18 Dec 2026; 25 Dec and 1 Jan are not business days."""
    o = run([group("US-VT", 3)], discovered_at="2026-12-18T10:00:00-08:00")
    # 21-24 Dec (4), 28-31 (8), 4-8 Jan (13), Mon 11 Jan (14).
    assert o["US-VT/attorney_general_preliminary"]["due"] == "2027-01-11T23:59:59-05:00"
    assert o["US-VT/individuals"]["due"] == "2027-02-01T23:59:59-05:00"  # 2435(b)(1): 45 days


def test_s8_texas_encrypted_card_and_store_password_hash_owe_nothing():
    """S8. 521.002(a)(2)(A)(iii) needs the financial account's own code; Texas has no online-credentials element."""
    elements = ["user.name", "user.contact.email", CARD, PASSWORD]
    assert not run([group("US-TX", 10, elements, encrypted_elements=[CARD])])["US-TX/individuals"]["required"]


def test_s9_california_email_in_clear_with_encrypted_password_is_flagged():
    """S9. 1798.82(h)(2): doubtful whether partly encrypted credentials are "unencrypted"; listed as owed, flagged."""
    elements = ["user.contact.email", PASSWORD]
    individuals = run([group("US-CA", 10, elements, encrypted_elements=[PASSWORD])])["US-CA/individuals"]
    assert individuals["required"] and any("partly encrypted" in n for n in individuals["review_notes"])


# -- doubtful items ---------------------------------------------------------------------------------------------


def test_no_credit_reporting_agency_notice_in_washington_connecticut_or_delaware():
    o = run([group("US-WA", 2000), group("US-CT", 2000), group("US-DE", 2000)])
    assert not {
        "US-WA/consumer_reporting_agencies",
        "US-CT/consumer_reporting_agencies",
        "US-DE/consumer_reporting_agencies",
    } & set(o)


def test_card_number_alone_in_new_york_vermont_and_maine():
    for state in ("US-NY", "US-VT", "US-ME"):
        individuals = run([group(state, 2, ["user.name", CARD])])[f"{state}/individuals"]
        assert individuals["required"] and individuals["needs_legal_review"], state


def test_elements_without_a_name_in_washington_oregon_and_maine_are_flagged():
    for state, elements in (("US-WA", ["user.government_id"]), ("US-OR", ["user.government_id"]), ("US-ME", [SSN])):
        individuals = run([group(state, 2, elements)])[f"{state}/individuals"]
        assert individuals["required"], state
        assert any("without a name only if" in n for n in individuals["review_notes"]), state


def test_maine_pairs_the_name_with_passwords_and_access_codes():
    """10 M.R.S. 1347(6)(D): name + account passwords, PINs or other access codes; email + password only via (E)."""
    assert run([group("US-ME", 2, ["user.name", PASSWORD])])["US-ME/individuals"]["required"]
    no_name = run([group("US-ME", 2, ["user.contact.email", PASSWORD])])["US-ME/individuals"]
    assert no_name["required"] and any("without a name only if" in n for n in no_name["review_notes"])


def test_unknown_residency_counts_toward_the_thresholds_it_could_tip():
    """400 Californians + 200 of unknown residency could be more than 500 (Cal. Civ. Code 1798.82(f)): flagged."""
    o = run([group("US-CA", 400), group("UNKNOWN", 200)])
    sample = o["US-CA/attorney_general_sample"]
    assert sample["required"] and sample["unknown_residency_counted"] == 200 and sample["needs_legal_review"]
    assert sample["affected_count"] == 400
    assert not run([group("US-CA", 400), group("UNKNOWN", 50)])["US-CA/attorney_general_sample"]["required"]


def test_vermont_second_attorney_general_notice_with_the_consumer_notice():
    notice = run([group("US-VT", 3)])["US-VT/attorney_general_consumer_notice"]
    assert notice["required"] and notice["timing"] == "with_individuals"  # 9 V.S.A. 2435(b)(3)(B)


def test_massachusetts_requires_the_identity_theft_offer_in_the_notice():
    assert "identity_theft_offer" in load_rules().rules["US-MA"]["content"]["required"]  # 93H § 3(b)(iv), § 3A


def test_ftc_law_enforcement_delay_does_not_move_the_filing():
    """16 CFR 314.4(j)(1)(vi): the delay is of the FTC's publication, not of the 30-day filing."""
    o = run(
        [group("US-CA", 600)],
        entity_types=["glba_financial_institution"],
        law_enforcement_delay=delay("2026-03-05T00:00:00-08:00", "2026-06-01T00:00:00-07:00"),
    )
    assert o["FTC-SAFEGUARDS/ftc_notification_event"]["due"] == "2026-04-01T23:59:59-04:00"


def test_nydfs_extortion_payment_notices():
    """23 NYCRR 500.17(c): notice within 24 hours of an extortion payment, an explanation within 30 days."""
    o = run([group("US-NY", 1)], entity_types=["nydfs_covered"], extortion_paid_at="2026-03-04T15:00:00-05:00")
    assert o["NYDFS/extortion_payment_notice"]["due"] == "2026-03-05T12:00:00-08:00"
    assert o["NYDFS/extortion_payment_explanation"]["due"] == "2026-04-03T23:59:59-04:00"
