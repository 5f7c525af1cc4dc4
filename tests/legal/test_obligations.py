"""The obligations engine against hand-computed expectations (dates worked out on a calendar, not by the code).

Unless a test says otherwise the business counts in America/Los_Angeles (its `business_timezone`) and discovery is
Monday 2 March 2026, 09:00 PST. Day counts run on the local calendar of the business and of the residents' state,
and the earlier end wins: 30 days after 2 March ends on 1 April 23:59:59 local time (PDT, -07:00, in California;
EDT, -04:00, in New York). US daylight saving time starts on 8 March 2026.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules

pytestmark = pytest.mark.unit

DISCOVERED = "2026-03-02T09:00:00-08:00"  # a Monday
LA = "America/Los_Angeles"
NAME_SSN = ["user.name.first", "user.name.last", "user.government_id.national_identification_number"]
CREDENTIALS = ["user.contact.email", "user.authorization.password"]


def obligations(groups: list[dict], **incident) -> dict[str, dict]:
    document = {"incident_id": "INC-TEST", "discovered_at": DISCOVERED, "business_timezone": LA, **incident}
    result = obligations_document(parse_incident(document), parse_affected({"groups": groups}), load_rules())
    return {o["id"]: o for o in result["obligations"]}


def group(jurisdiction: str, count: int, elements: list[str] = NAME_SSN, **flags) -> dict:
    return {"jurisdiction": jurisdiction, "count": count, "data_elements": elements, **flags}


# -- California (Cal. Civ. Code 1798.82 as amended by SB 446) -------------------------------------------------------


def test_ca_500_residents_individuals_30_days_no_attorney_general():
    o = obligations([group("US-CA", 500)])
    # 1798.82(a)(2)(A): within 30 calendar days of discovery: 2 Mar + 30 = 1 Apr, 23:59:59 PDT.
    assert o["US-CA/individuals"]["required"] and o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-07:00"
    assert o["US-CA/individuals"]["clock"] == {"event": "discovery", "at": DISCOVERED}
    assert o["US-CA/individuals"]["timezones"] == [LA]
    sample = o["US-CA/attorney_general_sample"]
    assert not sample["required"] and "below threshold" in sample["reason"] and "more than 500" in sample["reason"]


def test_ca_501_residents_sample_to_attorney_general_15_days_after_notice():
    ag = obligations([group("US-CA", 501)])["US-CA/attorney_general_sample"]
    # 1798.82(f): more than 500 residents; within 15 calendar days of notifying them: 1 Apr + 15 = 16 Apr.
    assert ag["required"] and ag["depends_on"] == "US-CA/individuals" and ag["timing"] == "after_individuals"
    assert ag["due"] == "2026-04-16T23:59:59-07:00" and ag["recipient"] == "attorney_general"
    assert ag["after_dependency"] == {"days": 15, "unit": "calendar"}


def test_ca_499_residents_no_sample():
    assert not obligations([group("US-CA", 499)])["US-CA/attorney_general_sample"]["required"]


def test_ca_encrypted_with_safe_key_is_safe_harbor():
    o = obligations([group("US-CA", 800, encrypted=True)])
    assert not o["US-CA/individuals"]["required"] and "safe harbor" in o["US-CA/individuals"]["reason"]
    assert not o["US-CA/attorney_general_sample"]["required"]


def test_ca_encrypted_but_key_compromised_must_notify():
    o = obligations([group("US-CA", 800, encrypted=True, key_compromised=True)])
    assert o["US-CA/individuals"]["required"] and o["US-CA/attorney_general_sample"]["required"]


def test_ca_name_in_clear_with_encrypted_ssn_must_notify():
    # 1798.82(h)(1): "when either the name or the data elements are not encrypted".
    o = obligations([group("US-CA", 10, encrypted_elements=["user.government_id.national_identification_number"])])
    assert o["US-CA/individuals"]["required"]


def test_ca_credentials_only_breach_is_personal_information_and_flagged():
    individuals = obligations([group("US-CA", 20, CREDENTIALS)])["US-CA/individuals"]
    assert individuals["required"] and individuals["needs_legal_review"]
    assert any("would permit access" in note for note in individuals["review_notes"])


def test_ca_name_and_email_only_is_not_personal_information():
    o = obligations([group("US-CA", 20, ["user.name.first", "user.name.last", "user.contact.email"])])
    assert not o["US-CA/individuals"]["required"] and "not personal information" in o["US-CA/individuals"]["reason"]


def test_ca_first_name_alone_is_not_a_name():
    o = obligations([group("US-CA", 20, ["user.name.first", "user.government_id.national_identification_number"])])
    assert not o["US-CA/individuals"]["required"]


def test_ca_delay_released_before_the_deadline_keeps_the_original_date():
    # 1798.82(c): notice "promptly after" the agency's release; a release on 20 Mar leaves the 1 Apr deadline running.
    delay = {"agency": "FBI", "start": "2026-03-10T00:00:00-08:00", "end": "2026-03-20T00:00:00-07:00"}
    o = obligations([group("US-CA", 501)], law_enforcement_delay=delay)
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-07:00" and o["US-CA/individuals"]["needs_legal_review"]
    assert "FBI" in o["US-CA/individuals"]["reason"]
    assert o["US-CA/attorney_general_sample"]["due"] == "2026-04-16T23:59:59-07:00"


def test_open_ended_law_enforcement_delay_leaves_no_fixed_date():
    o = obligations(
        [group("US-CA", 501)], law_enforcement_delay={"agency": "Secret Service", "start": "2026-03-05T00:00:00-08:00"}
    )
    assert o["US-CA/individuals"]["due"] is None and o["US-CA/individuals"]["required"]
    assert o["US-CA/attorney_general_sample"]["due"] is None


def test_delay_after_the_deadline_changes_nothing():
    o = obligations(
        [group("US-CA", 5)],
        law_enforcement_delay={"agency": "FBI", "start": "2026-04-05T00:00:00-07:00", "end": "2026-04-20T00:00:00-07:00"},
    )
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-07:00"


def test_ca_scope_delay_is_never_applied_silently():
    # 1798.82(a)(2)(B) allows a delay to determine the scope; open-ended, so it is a review note, not a later date.
    individuals = obligations([group("US-CA", 5)])["US-CA/individuals"]
    assert individuals["due"] == "2026-04-01T23:59:59-07:00"
    assert any("determine the scope" in note for note in individuals["review_notes"])


# -- the other states of the original rule set -------------------------------------------------------------------


def test_tx_250_residents_attorney_general_30_days_from_determination():
    o = obligations([group("US-TX", 250)], determined_at="2026-03-05T10:00:00-06:00")
    # Tex. Bus. & Com. Code 521.053(i): at least 250 residents, 30 days after the determination: 5 Mar + 30 = 4 Apr,
    # 23:59:59 in Chicago (CDT, -05:00) ends before 23:59:59 in Los Angeles.
    assert o["US-TX/attorney_general"]["required"] and o["US-TX/attorney_general"]["due"] == "2026-04-04T23:59:59-05:00"
    # 521.053(b): 60 days after the determination: 5 Mar + 60 = 4 May.
    assert o["US-TX/individuals"]["due"] == "2026-05-04T23:59:59-05:00"
    assert o["US-TX/individuals"]["clock"]["event"] == "determination"


def test_tx_249_residents_no_attorney_general():
    o = obligations([group("US-TX", 249)], determined_at="2026-03-05T10:00:00-06:00")
    assert not o["US-TX/attorney_general"]["required"] and "at least 250" in o["US-TX/attorney_general"]["reason"]


def test_missing_determination_date_falls_back_to_discovery_and_is_flagged():
    individuals = obligations([group("US-TX", 5)])["US-TX/individuals"]
    assert individuals["due"] == "2026-05-01T23:59:59-05:00" and individuals["needs_legal_review"]  # 2 Mar + 60
    assert any("No determination date" in note for note in individuals["review_notes"])


def test_tx_credentials_only_is_not_personal_information():
    assert not obligations([group("US-TX", 20, CREDENTIALS)])["US-TX/individuals"]["required"]


def test_wa_500_versus_501_attorney_general():
    assert not obligations([group("US-WA", 500)])["US-WA/attorney_general"]["required"]
    o = obligations([group("US-WA", 501)])
    # RCW 19.255.010(7): more than 500 residents, within 30 days of discovery.
    assert o["US-WA/attorney_general"]["required"] and o["US-WA/attorney_general"]["due"] == "2026-04-01T23:59:59-07:00"


def test_wa_name_and_date_of_birth_is_personal_information():
    assert obligations([group("US-WA", 3, ["user.name", "user.demographic.date_of_birth"])])["US-WA/individuals"]["required"]


def test_co_attorney_general_at_500_and_credit_reporting_agencies_at_1000():
    o = obligations([group("US-CO", 500)])
    # C.R.S. 6-1-716(2)(f): 500 or more Coloradans, 30 days after the determination (discovery when none is given).
    assert o["US-CO/attorney_general"]["required"] and o["US-CO/attorney_general"]["due"] == "2026-04-01T23:59:59-06:00"
    assert not o["US-CO/consumer_reporting_agencies"]["required"]
    # 6-1-716(2)(d): sources differ between "more than 1,000" and "1,000 or more": the inclusive reading is used.
    cra = obligations([group("US-CO", 1000)])["US-CO/consumer_reporting_agencies"]
    assert cra["required"] and "without unreasonable delay" in cra["reason"]


def test_fl_500_department_of_legal_affairs_and_1000_no_agencies():
    o = obligations([group("US-FL", 1000)], determined_at="2026-03-03T08:00:00-05:00")
    # Fla. Stat. 501.171(3)(a): 500 or more, 30 days after the determination: 3 Mar + 30 = 2 Apr, EDT.
    assert o["US-FL/department_of_legal_affairs"]["due"] == "2026-04-02T23:59:59-04:00"
    assert not o["US-FL/consumer_reporting_agencies"]["required"]  # 501.171(5): more than 1,000
    assert any("Extension available" in note for note in o["US-FL/individuals"]["review_notes"])


def test_ny_any_resident_notifies_attorney_general_department_of_state_and_state_police_with_the_notice():
    o = obligations([group("US-NY", 1)])
    # N.Y. Gen. Bus. Law 899-aa(2): 30 days after discovery; (8)(a): the three agencies, for any number.
    assert o["US-NY/individuals"]["due"] == "2026-04-01T23:59:59-04:00"
    for agency in ("attorney_general", "department_of_state", "state_police"):
        notice = o[f"US-NY/{agency}"]
        assert notice["required"] and notice["due"] == o["US-NY/individuals"]["due"]
        assert notice["depends_on"] == "US-NY/individuals" and notice["timing"] == "with_individuals"
    assert not o["US-NY/consumer_reporting_agencies"]["required"]
    assert obligations([group("US-NY", 5001)])["US-NY/consumer_reporting_agencies"]["required"]  # (8)(b): more than 5,000


def test_ma_has_no_fixed_period_and_notifies_two_regulators():
    o = obligations([group("US-MA", 2, ["user.name", "user.financial.credit_card"])])
    assert o["US-MA/individuals"]["required"] and o["US-MA/individuals"]["due"] is None
    assert "as soon as practicable" in o["US-MA/individuals"]["reason"]
    assert o["US-MA/attorney_general"]["required"] and o["US-MA/ocabr"]["recipient"] == "consumer_affairs"


def test_vt_preliminary_notice_counts_business_days_on_the_conservative_calendar():
    o = obligations([group("US-VT", 3)])
    # 9 V.S.A. 2435(b)(3): 14 business days after discovery. Conservative calendar: Town Meeting Day (3 Mar, a
    # Vermont-only holiday) counts as a business day: 3-6 Mar (4), 9-13 (9), 16-20 (14) = Fri 20 Mar, EDT.
    assert o["US-VT/attorney_general_preliminary"]["due"] == "2026-03-20T23:59:59-04:00"
    assert o["US-VT/individuals"]["due"] == "2026-04-16T23:59:59-04:00"  # 2435(b)(1): 45 days


def test_vt_business_days_count_juneteenth():
    o = obligations([group("US-VT", 3)], incident_id="INC-JUNE", discovered_at="2026-06-05T10:00:00-04:00")
    # Juneteenth is not a Vermont legal holiday (1 V.S.A. 371(a)): 8-12 Jun (5), 15-19 (10), 22-25 (14) = 25 Jun.
    assert o["US-VT/attorney_general_preliminary"]["due"] == "2026-06-25T23:59:59-04:00"


def test_ct_attorney_general_no_later_than_residents_60_days():
    o = obligations([group("US-CT", 7)])
    # Conn. Gen. Stat. 36a-701b(b)(1): 60 days after discovery: 2 Mar + 60 = 1 May; (b)(2): the AG no later.
    assert o["US-CT/individuals"]["due"] == "2026-05-01T23:59:59-04:00"
    ag = o["US-CT/attorney_general"]
    assert ag["due"] == "2026-05-01T23:59:59-04:00" and ag["depends_on"] and ag["timing"] == "no_later_than_individuals"
    assert "US-CT/consumer_reporting_agencies" not in o  # doubtful item: no CRA provision in 36a-701b


def test_md_45_days_from_discovery():
    o = obligations([group("US-MD", 4)])
    # Md. Code, Com. Law 14-3504(b)(3): not later than 45 days after discovery: 2 Mar + 45 = 16 Apr.
    assert o["US-MD/individuals"]["due"] == "2026-04-16T23:59:59-04:00" and o["US-MD/individuals"]["needs_legal_review"]


def test_az_over_1000_notifies_attorney_general_homeland_security_and_agencies():
    o = obligations([group("US-AZ", 1001)], determined_at="2026-03-04T12:00:00-07:00")
    # A.R.S. 18-552(B), (J): more than 1,000 residents, 45 days after the determination: 4 Mar + 45 = 18 Apr, MST.
    for obligation_id in ("US-AZ/attorney_general", "US-AZ/department_of_homeland_security", "US-AZ/consumer_reporting_agencies"):
        assert o[obligation_id]["required"] and o[obligation_id]["due"] == "2026-04-18T23:59:59-07:00"
    assert not obligations([group("US-AZ", 1000)])["US-AZ/attorney_general"]["required"]


def test_or_more_than_250():
    assert not obligations([group("US-OR", 250)])["US-OR/attorney_general"]["required"]
    # ORS 646A.604(1)(b), (3): more than 250 consumers, 45 days after discovery: 16 Apr, PDT.
    assert obligations([group("US-OR", 251)])["US-OR/attorney_general"]["due"] == "2026-04-16T23:59:59-07:00"


def test_de_attorney_general_over_500_no_later_than_the_residents():
    o = obligations([group("US-DE", 501)])
    # 6 Del. C. 12B-102(c)-(d): 60 days after the determination (discovery here); the AG no later than the residents.
    ag = o["US-DE/attorney_general"]
    assert ag["required"] and ag["timing"] == "no_later_than_individuals" and ag["due"] == "2026-05-01T23:59:59-04:00"
    assert not obligations([group("US-DE", 500)])["US-DE/attorney_general"]["required"]


def test_me_clock_runs_from_awareness_not_a_later_scope_date():
    o = obligations([group("US-ME", 2)], scope_identified_at="2026-03-10T09:00:00-08:00")
    # 10 M.R.S. 1348(1): 30 days after becoming aware; the earlier reading (awareness, here discovery) is used.
    assert o["US-ME/individuals"]["due"] == "2026-04-01T23:59:59-04:00"
    assert o["US-ME/individuals"]["clock"]["event"] == "awareness"


def test_jurisdiction_without_a_statute_gets_the_default_and_a_review_flag():
    individuals = obligations([group("US-AS", 2)])["US-AS/individuals"]
    assert individuals["required"] and individuals["due"] is None and individuals["needs_legal_review"]
    assert individuals["citation"] == load_rules().rules["US-DEFAULT"]["individual_notice"]["citation"]


# -- GDPR, unknown residency, entity types ------------------------------------------------------------------


def test_gdpr_72_hours_from_awareness_and_no_fixed_period_for_people():
    o = obligations([group("EU-DE", 4, ["user.contact.email"])], aware_at="2026-03-03T10:00:00+01:00")
    # GDPR Art. 33(1): 72 hours from awareness: 6 Mar 10:00 CET = 01:00 PST (shown in the business's zone).
    assert o["EU-DE/supervisory_authority"]["due"] == "2026-03-06T01:00:00-08:00"
    assert o["EU-DE/individuals"]["due"] is None and o["EU-DE/individuals"]["needs_legal_review"]
    assert o["EU-DE/breach_record"]["required"]  # Art. 33(5)


def test_gdpr_awareness_defaults_to_discovery_not_a_later_determination():
    o = obligations([group("EU-DE", 4, ["user.contact.email"])], determined_at="2026-03-03T10:00:00+01:00")
    authority = o["EU-DE/supervisory_authority"]
    # EDPB 9/2022: awareness may come before the formal determination; without aware_at the earliest moment is used.
    assert authority["due"] == "2026-03-05T09:00:00-08:00" and any("aware_at" in n for n in authority["review_notes"])


def test_gdpr_encrypted_data_is_a_documented_judgment():
    o = obligations([group("EU-FR", 4, ["user.contact.email"], encrypted=True)])
    assert not o["EU-FR/supervisory_authority"]["required"] and o["EU-FR/supervisory_authority"]["needs_legal_review"]
    assert not o["EU-FR/individuals"]["required"]


def test_gdpr_ignores_a_law_enforcement_delay():
    o = obligations(
        [group("EU-IE", 1, ["user.contact.email"])],
        aware_at="2026-03-03T10:00:00+00:00",
        law_enforcement_delay={"agency": "Garda", "start": "2026-03-03T11:00:00+00:00", "end": "2026-03-10T11:00:00+00:00"},
    )
    assert o["EU-IE/supervisory_authority"]["due"] == "2026-03-06T02:00:00-08:00"  # 6 Mar 10:00 GMT


def test_unknown_residency_is_counted_flagged_and_held_to_the_earliest_deadline():
    unknown = obligations([group("UNKNOWN", 3)])["UNKNOWN/individuals"]
    assert unknown["required"] and unknown["affected_count"] == 3 and unknown["needs_legal_review"]
    # The earliest fixed individual deadline of any state: 30 days from discovery, ending first in the Eastern zone
    # (Florida 501.171(4)(a) from the determination, here discovery; also Maine and New York): 1 Apr 23:59:59 EDT.
    assert unknown["due"] == "2026-04-01T23:59:59-04:00"


def test_several_states_in_one_incident():
    o = obligations(
        [group("US-CA", 600), group("US-TX", 300), group("US-NY", 10), group("US-CA", 5, CREDENTIALS)],
        determined_at="2026-03-03T09:00:00-08:00",
    )
    assert o["US-CA/individuals"]["affected_count"] == 605 and o["US-CA/attorney_general_sample"]["required"]
    assert o["US-TX/attorney_general"]["required"] and o["US-NY/attorney_general"]["required"]
    assert o["US-TX/individuals"]["due"] == "2026-05-02T23:59:59-05:00"  # 3 Mar + 60, CDT


def test_nydfs_72_hours_from_determination():
    o = obligations([group("US-CA", 1)], determined_at="2026-03-03T10:00:00-05:00", entity_types=["nydfs_covered"])
    # 23 NYCRR 500.17(a)(1): 72 hours after determining: 6 Mar 10:00 EST = 07:00 PST.
    assert o["NYDFS/superintendent"]["required"] and o["NYDFS/superintendent"]["due"] == "2026-03-06T07:00:00-08:00"
    assert not o["NYDFS/extortion_payment_notice"]["required"]


def test_ftc_safeguards_at_least_500_unencrypted_consumers():
    ftc = "FTC-SAFEGUARDS/ftc_notification_event"
    o = obligations([group("US-CA", 300), group("US-TX", 200)], entity_types=["glba_financial_institution"])
    # 16 CFR 314.4(j)(1): 500 or more consumers, no later than 30 days after discovery: 1 Apr, in New York or LA.
    assert o[ftc]["required"] and o[ftc]["due"] == "2026-04-01T23:59:59-04:00"
    assert not obligations([group("US-CA", 499)], entity_types=["glba_financial_institution"])[ftc]["required"]
    assert not obligations([group("US-CA", 600, encrypted=True)], entity_types=["glba_financial_institution"])[ftc]["required"]


def test_credit_monitoring_months_follow_the_state():
    assert obligations([group("US-CT", 1)])["US-CT/individuals"]["credit_monitoring_months"] == 24  # 36a-701b(b)(2)(B)
    assert obligations([group("US-MA", 1)])["US-MA/individuals"]["credit_monitoring_months"] == 18  # 93H § 3A
    assert obligations([group("US-DC", 1)])["US-DC/individuals"]["credit_monitoring_months"] == 18  # D.C. Code 28-3852(a)(2)
    assert obligations([group("US-PA", 1)])["US-PA/individuals"]["credit_monitoring_months"] == 12  # Act 33 of 2024
    assert "credit_monitoring_months" not in obligations([group("US-TX", 1)])["US-TX/individuals"]


RECIPIENTS = {
    "individuals",
    "attorney_general",
    "state_regulator",
    "state_police",
    "consumer_affairs",
    "consumer_reporting_agencies",
    "supervisory_authority",
    "privacy_commissioner",
    "other_organization",
    "records",
    "ftc",
    "nydfs",
    "sec",
    "acquirer",
    "card_brand",
}


def test_output_fields_match_the_documented_shape():
    document = obligations_document(
        parse_incident({"incident_id": "INC-1", "discovered_at": DISCOVERED}),
        parse_affected({"groups": [group("US-CA", 501), group("US-NY", 3), group("EU-DE", 2, ["user.contact.email"])]}),
        load_rules(),
    )
    for obligation in document["obligations"]:
        assert {
            "jurisdiction",
            "recipient",
            "required",
            "reason",
            "affected_count",
            "due",
            "clock",
            "depends_on",
            "citation",
            "needs_legal_review",
            "review_notes",
            "timing",
            "timezones",
        } <= set(obligation)
        assert obligation["recipient"] in RECIPIENTS and obligation["citation"]


def breachctl_obligations(folder, *, check: bool) -> subprocess.CompletedProcess:
    """`breachctl obligations` on the i.json and a.json in folder."""
    command = ["obligations", "--incident", str(folder / "i.json"), "--affected", str(folder / "a.json")]
    return subprocess.run([sys.executable, "-m", "include.cli", *command], capture_output=True, text=True, check=check)


@pytest.mark.parametrize(
    ("incident", "affected", "field"),
    [
        ({"discovered_at": DISCOVERED}, {"groups": []}, "incident_id"),
        ({"incident_id": "INC-1", "discovered_at": "2026-03-02T09:00:00"}, {"groups": []}, "discovered_at"),
        ({"incident_id": "INC-1", "discovered_at": DISCOVERED, "business_timezone": "PST"}, {"groups": []}, "business_timezone"),
        (
            {"incident_id": "INC-1", "discovered_at": DISCOVERED},
            {"groups": [{"jurisdiction": "CA", "count": 1, "data_elements": []}]},
            "groups.0.jurisdiction",
        ),
        (
            {"incident_id": "INC-1", "discovered_at": DISCOVERED},
            {"groups": [{"jurisdiction": "US-CA", "count": -1, "data_elements": []}]},
            "groups.0.count",
        ),
        (
            {"incident_id": "INC-1", "discovered_at": DISCOVERED},
            {"groups": [{"jurisdiction": "US-CA", "count": 1, "data_elements": ["ssn"]}]},
            "groups.0.data_elements",
        ),
    ],
)
def test_cli_rejects_malformed_files_naming_the_field(tmp_path, incident, affected, field):
    (tmp_path / "i.json").write_text(json.dumps(incident))
    (tmp_path / "a.json").write_text(json.dumps(affected))
    done = breachctl_obligations(tmp_path, check=False)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and field in done.stderr


def test_cli_prints_the_engine_output(tmp_path):
    (tmp_path / "i.json").write_text(json.dumps({"incident_id": "INC-1", "discovered_at": DISCOVERED}))
    (tmp_path / "a.json").write_text(json.dumps({"groups": [group("US-CA", 501)]}))
    done = breachctl_obligations(tmp_path, check=True)
    printed = {o["id"]: o for o in json.loads(done.stdout)["obligations"]}
    assert printed["US-CA/attorney_general_sample"]["due"] == "2026-04-16T23:59:59-07:00"
