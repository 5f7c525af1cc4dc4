"""Risk-of-harm determinations, entity-type rules and the regimes outside the US, hand-computed with their sources.

Discovery is Monday 2 March 2026, 10:00 PST; the business counts in America/Los_Angeles.
"""

from __future__ import annotations

from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.notices.tasks import excused_jurisdictions

DISCOVERED = "2026-03-02T10:00:00-08:00"
NAME_SSN = ["user.name.first", "user.name.last", "user.government_id.national_identification_number"]
CARD, CVV = "user.financial.credit_card", "user.authorization.card_security_code"


def run(groups: list[dict], **incident) -> dict[str, dict]:
    document = {"incident_id": "INC-ENT", "discovered_at": DISCOVERED, "business_timezone": "America/Los_Angeles", **incident}
    result = obligations_document(parse_incident(document), parse_affected({"groups": groups}), load_rules())
    return {o["id"]: o for o in result["obligations"]}


def group(jurisdiction: str, count: int, elements: list[str] = NAME_SSN, **flags) -> dict:
    return {"jurisdiction": jurisdiction, "count": count, "data_elements": elements, **flags}


def determination(jurisdiction: str, at: str = "2026-03-10T12:00:00-05:00", **flags) -> dict:
    return {"jurisdiction": jurisdiction, "determined_at": at, **flags}


# -- risk-of-harm determinations -----------------------------------------------------------------------------------


def test_florida_no_harm_determination_files_with_the_department_and_keeps_the_record():
    """Fla. Stat. 501.171(4)(c): no notice after a written determination, kept 5 years, sent within 30 days."""
    o = run([group("US-FL", 600)], risk_of_harm_determinations=[determination("US-FL", "2026-03-10T12:00:00-04:00")])
    individuals = o["US-FL/individuals"]
    assert not individuals["required"] and individuals["needs_legal_review"] and individuals["determination"]
    assert "would be due 2026-04-01T23:59:59-04:00" in individuals["reason"]  # what was excused, for the record
    filing = o["US-FL/harm_determination_filing"]
    assert filing["required"] and filing["due"] == "2026-04-09T23:59:59-04:00"  # 10 Mar + 30
    record = o["US-FL/harm_determination_record"]
    assert record["required"] and record["retain_until"].startswith("2031-03-10")
    # 501.171(3): the Department notice of a breach of 500 or more does not depend on notifying people: still listed.
    department = o["US-FL/department_of_legal_affairs"]
    assert department["required"] and any("no-harm determination" in n for n in department["review_notes"])
    assert not o["US-FL/consumer_reporting_agencies"]["required"]  # 501.171(5) follows the residents' notice


def test_new_york_determination_goes_to_the_attorney_general_over_500_residents():
    """N.Y. Gen. Bus. Law 899-aa(2)(a): the written determination to the AG within 10 days if over 500 residents."""
    o = run([group("US-NY", 501)], risk_of_harm_determinations=[determination("US-NY", "2026-03-10T12:00:00-04:00")])
    assert not o["US-NY/individuals"]["required"]
    assert o["US-NY/harm_determination_filing"]["due"] == "2026-03-20T23:59:59-04:00"
    assert not o["US-NY/attorney_general"]["required"]  # (8)(a) is owed when residents are notified
    small = run([group("US-NY", 500)], risk_of_harm_determinations=[determination("US-NY")])
    assert not small["US-NY/harm_determination_filing"]["required"]


def test_a_determination_where_the_statute_allows_none_changes_nothing():
    """Tex. Bus. & Com. Code 521.053(b): acquisition alone triggers notice."""
    individuals = run([group("US-TX", 5)], risk_of_harm_determinations=[determination("US-TX")])["US-TX/individuals"]
    assert individuals["required"] and any("allows none" in n for n in individuals["review_notes"])


def test_an_undocumented_determination_is_flagged_where_writing_is_required():
    o = run([group("US-FL", 5)], risk_of_harm_determinations=[determination("US-FL", documented=False)])
    assert any("in writing" in note for note in o["US-FL/individuals"]["review_notes"])


def test_notices_are_not_built_for_a_jurisdiction_excused_by_a_determination():
    o = run([group("US-FL", 5), group("US-CA", 5)], risk_of_harm_determinations=[determination("US-FL")])
    assert excused_jurisdictions(list(o.values())) == {"US-FL"}


def test_gdpr_documented_no_risk_assessment_replaces_the_report_by_the_record():
    """GDPR Art. 33(1), (5): no report when unlikely to result in a risk; the breach is still recorded."""
    o = run(
        [group("EU-DE", 3, ["user.contact.email"])],
        risk_of_harm_determinations=[determination("EU-DE", "2026-03-03T10:00:00+01:00")],
    )
    assert not o["EU-DE/supervisory_authority"]["required"] and o["EU-DE/breach_record"]["required"]


# -- entity types --------------------------------------------------------------------------------------------------


def test_glba_exemptions_are_flagged_never_dropped():
    """Minn. Stat. 325E.61 subd. 4 exempts GLBA financial institutions; the notice stays listed until counsel confirms."""
    individuals = run([group("US-MN", 5)], entity_types=["glba_financial_institution"])["US-MN/individuals"]
    assert individuals["required"] and individuals["entity_rule"]["rule"] == "exempt"
    assert any("GLBA financial institution" in n for n in individuals["review_notes"])
    assert "entity_rule" not in run([group("US-MN", 5)])["US-MN/individuals"]


def test_insurance_licensee_notifies_the_commissioner_of_each_adopting_state():
    """NAIC Model #668 s. 6 as adopted: Alabama, 250 or more residents, 3 business days from the determination."""
    o = run([group("US-AL", 250), group("US-CA", 900)], entity_types=["insurance_licensee"], determined_at=DISCOVERED)
    commissioner = o["INSURANCE-DATA-SECURITY/commissioner_al"]
    assert commissioner["required"] and commissioner["due"] == "2026-03-05T23:59:59-06:00"  # Tue 3, Wed 4, Thu 5 Mar
    assert commissioner["needs_legal_review"]
    assert "INSURANCE-DATA-SECURITY/commissioner_ca" not in o  # California has not adopted the Model
    assert not run([group("US-AL", 249)], entity_types=["insurance_licensee"])["INSURANCE-DATA-SECURITY/commissioner_al"][
        "required"
    ]


def test_pennsylvania_attorney_general_exemption_for_insurance_licensees_is_flagged():
    ag = run([group("US-PA", 501)], entity_types=["insurance_licensee"])["US-PA/attorney_general"]
    assert ag["required"] and any("insurance_licensee" in n for n in ag["review_notes"])


def test_sec_form_8k_four_business_days_after_the_materiality_determination():
    """Form 8-K Item 1.05, General Instruction B.1: four business days after the materiality determination."""
    pending = run([group("US-CA", 1)], entity_types=["sec_registrant"])["SEC-8K/form_8k_item_105"]
    assert pending["required"] and pending["due"] is None and "pending" in pending["reason"]
    material = {"material": True, "determined_at": "2026-03-05T16:00:00-05:00"}  # Thursday
    o = run([group("US-CA", 1)], entity_types=["sec_registrant"], materiality=material)
    assert o["SEC-8K/form_8k_item_105"]["due"] == "2026-03-11T23:59:59-04:00"  # Fri 6, Mon 9, Tue 10, Wed 11 Mar
    immaterial = {"material": False, "determined_at": "2026-03-05T16:00:00-05:00"}
    assert not run([group("US-CA", 1)], entity_types=["sec_registrant"], materiality=immaterial)["SEC-8K/form_8k_item_105"][
        "required"
    ]


def test_card_brands_and_acquirer_when_card_data_was_exposed():
    """PCI DSS 12.10.1; Mastercard ADC: 24 hours; Visa: incident report within 3 business days (contractual, flagged)."""
    o = run([group("US-CA", 10, ["user.name", CARD, CVV], encrypted_elements=[CARD, CVV])], entity_types=["card_merchant"])
    assert o["PCI-DSS/mastercard"]["due"] == "2026-03-03T10:00:00-08:00"
    assert o["PCI-DSS/visa_incident_report"]["due"] == "2026-03-05T23:59:59-05:00"
    assert all(
        o[k]["required"] and o[k]["needs_legal_review"] for k in ("PCI-DSS/acquirer", "PCI-DSS/visa", "PCI-DSS/other_brands")
    )
    none = run([group("US-CA", 10)], entity_types=["card_merchant"])
    assert not none["PCI-DSS/acquirer"]["required"]


# -- outside the US and the EEA ------------------------------------------------------------------------------------


def test_united_kingdom_ico_within_72_hours_of_awareness():
    """UK GDPR Art. 33(1): the ICO within 72 hours of awareness (discovery when no aware_at is given)."""
    o = run([group("OTHER-GB", 4, ["user.contact.email"])])
    assert o["OTHER-GB/ico"]["required"] and o["OTHER-GB/ico"]["due"] == "2026-03-05T10:00:00-08:00"
    assert o["OTHER-GB/ico"]["needs_legal_review"]


def test_canada_switzerland_australia_have_no_fixed_period_and_no_encryption_exemption():
    for jurisdiction, report in (("OTHER-CA", "opc"), ("OTHER-CH", "fdpic"), ("OTHER-AU", "oaic")):
        o = run([group(jurisdiction, 4, ["user.contact.email"], encrypted=True)])
        assert o[f"{jurisdiction}/{report}"]["required"] and o[f"{jurisdiction}/{report}"]["due"] is None, jurisdiction
        assert o[f"{jurisdiction}/{report}"]["needs_legal_review"], jurisdiction


def test_australia_assessment_within_30_days_of_suspicion():
    """Privacy Act 1988 s. 26WH(2): a reasonable assessment within 30 days of suspecting an eligible data breach."""
    o = run([group("OTHER-AU", 4, ["user.contact.email"])])
    assert o["OTHER-AU/assessment"]["required"] and o["OTHER-AU/assessment"]["due"] == "2026-04-01T23:59:59-07:00"
    assert not run([group("OTHER-AU", 4, ["user.contact.email"])], determined_at=DISCOVERED)["OTHER-AU/assessment"]["required"]


def test_other_countries_fall_to_the_default_and_are_flagged():
    o = run([group("OTHER-BR", 2, ["user.contact.email"])])
    assert o["OTHER-BR/individuals"]["required"] and o["OTHER-BR/data_protection_authority"]["needs_legal_review"]
