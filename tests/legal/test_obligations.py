"""The obligations engine against hand-computed expectations (dates worked out on a calendar, not by the code)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules

DISCOVERED = "2026-03-02T09:00:00-08:00"  # a Monday
NAME_SSN = ["user.name.first", "user.name.last", "user.government_id.national_identification_number"]
CREDENTIALS = ["user.contact.email", "user.authorization.password"]


def obligations(groups: list[dict], **incident) -> dict[str, dict]:
    document = {"incident_id": "INC-TEST", "discovered_at": DISCOVERED, **incident}
    result = obligations_document(parse_incident(document), parse_affected({"groups": groups}), load_rules())
    return {o["id"]: o for o in result["obligations"]}


def group(jurisdiction: str, count: int, elements: list[str] = NAME_SSN, **flags) -> dict:
    return {"jurisdiction": jurisdiction, "count": count, "data_elements": elements, **flags}


# -- California ---------------------------------------------------------------------------------------------


def test_ca_500_residents_individuals_30_days_no_attorney_general():
    o = obligations([group("US-CA", 500)])
    assert o["US-CA/individuals"]["required"] and o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-08:00"
    assert o["US-CA/individuals"]["clock"] == {"event": "discovery", "at": DISCOVERED}
    assert not o["US-CA/attorney_general_sample"]["required"]
    assert (
        "below threshold" in o["US-CA/attorney_general_sample"]["reason"]
        and "more than 500" in o["US-CA/attorney_general_sample"]["reason"]
    )


def test_ca_501_residents_sample_to_attorney_general_15_days_after_notice():
    o = obligations([group("US-CA", 501)])
    ag = o["US-CA/attorney_general_sample"]
    assert ag["required"] and ag["depends_on"] == "US-CA/individuals"
    assert ag["due"] == "2026-04-16T23:59:59-08:00" and ag["recipient"] == "attorney_general"


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
    o = obligations([group("US-CA", 10, encrypted_elements=["user.government_id.national_identification_number"])])
    assert o["US-CA/individuals"]["required"]


def test_ca_credentials_only_breach_is_personal_information_and_flagged():
    o = obligations([group("US-CA", 20, CREDENTIALS)])
    individuals = o["US-CA/individuals"]
    assert individuals["required"] and individuals["needs_legal_review"]
    assert any("would permit access" in note for note in individuals["review_notes"])


def test_ca_name_and_email_only_is_not_personal_information():
    o = obligations([group("US-CA", 20, ["user.name.first", "user.name.last", "user.contact.email"])])
    assert not o["US-CA/individuals"]["required"] and "not personal information" in o["US-CA/individuals"]["reason"]


def test_ca_first_name_alone_is_not_a_name():
    o = obligations([group("US-CA", 20, ["user.name.first", "user.government_id.national_identification_number"])])
    assert not o["US-CA/individuals"]["required"]


def test_ca_law_enforcement_delay_pauses_the_clock_and_moves_the_sample():
    delay = {"agency": "FBI", "start": "2026-03-10T00:00:00-08:00", "end": "2026-03-20T00:00:00-08:00"}
    o = obligations([group("US-CA", 501)], law_enforcement_delay=delay)
    assert o["US-CA/individuals"]["due"] == "2026-04-11T23:59:59-08:00" and o["US-CA/individuals"]["needs_legal_review"]
    assert "FBI" in o["US-CA/individuals"]["reason"]
    assert o["US-CA/attorney_general_sample"]["due"] == "2026-04-26T23:59:59-08:00"


def test_open_ended_law_enforcement_delay_leaves_no_fixed_date():
    o = obligations(
        [group("US-CA", 501)], law_enforcement_delay={"agency": "Secret Service", "start": "2026-03-05T00:00:00-08:00"}
    )
    assert o["US-CA/individuals"]["due"] is None and o["US-CA/individuals"]["required"]
    assert o["US-CA/attorney_general_sample"]["due"] is None


def test_delay_after_the_deadline_changes_nothing():
    o = obligations(
        [group("US-CA", 5)],
        law_enforcement_delay={"agency": "FBI", "start": "2026-04-05T00:00:00-08:00", "end": "2026-04-20T00:00:00-08:00"},
    )
    assert o["US-CA/individuals"]["due"] == "2026-04-01T23:59:59-08:00"


# -- other states -------------------------------------------------------------------------------------------


def test_tx_250_residents_attorney_general_30_days_from_determination():
    o = obligations([group("US-TX", 250)], determined_at="2026-03-05T10:00:00-06:00")
    assert o["US-TX/attorney_general"]["required"] and o["US-TX/attorney_general"]["due"] == "2026-04-04T23:59:59-06:00"
    assert o["US-TX/individuals"]["due"] == "2026-05-04T23:59:59-06:00"
    assert o["US-TX/individuals"]["clock"]["event"] == "determination"


def test_tx_249_residents_no_attorney_general():
    o = obligations([group("US-TX", 249)], determined_at="2026-03-05T10:00:00-06:00")
    assert not o["US-TX/attorney_general"]["required"] and "at least 250" in o["US-TX/attorney_general"]["reason"]


def test_missing_determination_date_falls_back_to_discovery_and_is_flagged():
    o = obligations([group("US-TX", 5)])
    assert o["US-TX/individuals"]["due"] == "2026-05-01T23:59:59-08:00" and o["US-TX/individuals"]["needs_legal_review"]


def test_tx_credentials_only_is_not_personal_information():
    assert not obligations([group("US-TX", 20, CREDENTIALS)])["US-TX/individuals"]["required"]


def test_wa_500_versus_501_attorney_general():
    assert not obligations([group("US-WA", 500)])["US-WA/attorney_general"]["required"]
    o = obligations([group("US-WA", 501)])
    assert o["US-WA/attorney_general"]["required"] and o["US-WA/attorney_general"]["due"] == "2026-04-01T23:59:59-08:00"


def test_wa_name_and_date_of_birth_is_personal_information():
    o = obligations([group("US-WA", 3, ["user.name", "user.demographic.date_of_birth"])])
    assert o["US-WA/individuals"]["required"]


def test_co_500_attorney_general_and_1001_credit_reporting_agencies():
    o = obligations([group("US-CO", 500)])
    assert o["US-CO/attorney_general"]["required"] and not o["US-CO/consumer_reporting_agencies"]["required"]
    o = obligations([group("US-CO", 1001)])
    cra = o["US-CO/consumer_reporting_agencies"]
    assert cra["required"] and cra["due"] is None and "without unreasonable delay" in cra["reason"]


def test_fl_500_department_of_legal_affairs_and_1000_no_agencies():
    o = obligations([group("US-FL", 1000)], determined_at="2026-03-03T08:00:00-05:00")
    assert o["US-FL/department_of_legal_affairs"]["due"] == "2026-04-02T23:59:59-05:00"
    assert not o["US-FL/consumer_reporting_agencies"]["required"]


def test_ny_any_resident_notifies_attorney_general_with_the_individual_notice():
    o = obligations([group("US-NY", 1)])
    ag = o["US-NY/attorney_general_dos_state_police"]
    assert ag["required"] and ag["due"] == o["US-NY/individuals"]["due"] == "2026-04-01T23:59:59-08:00"
    assert ag["depends_on"] == "US-NY/individuals" and ag["needs_legal_review"]
    assert not o["US-NY/consumer_reporting_agencies"]["required"]
    assert obligations([group("US-NY", 5001)])["US-NY/consumer_reporting_agencies"]["required"]


def test_ma_has_no_fixed_period_and_notifies_two_regulators():
    o = obligations([group("US-MA", 2, ["user.name", "user.financial.credit_card"])])
    assert o["US-MA/individuals"]["required"] and o["US-MA/individuals"]["due"] is None
    assert "as soon as practicable" in o["US-MA/individuals"]["reason"]
    assert o["US-MA/attorney_general"]["required"] and o["US-MA/ocabr"]["recipient"] == "state_regulator"


def test_vt_preliminary_notice_counts_business_days_and_town_meeting_day():
    o = obligations([group("US-VT", 3)])
    assert o["US-VT/attorney_general_preliminary"]["due"] == "2026-03-23T23:59:59-08:00"  # 3 March 2026 is Town Meeting Day
    assert o["US-VT/individuals"]["due"] == "2026-04-16T23:59:59-08:00"


def test_vt_business_days_skip_weekends_and_juneteenth():
    o = obligations([group("US-VT", 3)], incident_id="INC-JUNE", discovered_at="2026-06-05T10:00:00-04:00")
    assert o["US-VT/attorney_general_preliminary"]["due"] == "2026-06-26T23:59:59-04:00"


def test_ct_attorney_general_no_later_than_residents_60_days():
    o = obligations([group("US-CT", 7)])
    assert o["US-CT/individuals"]["due"] == "2026-05-01T23:59:59-08:00"
    assert o["US-CT/attorney_general"]["due"] == "2026-05-01T23:59:59-08:00" and o["US-CT/attorney_general"]["depends_on"]


def test_md_45_days_flagged_for_the_start_point_conflict():
    o = obligations([group("US-MD", 4)])
    assert o["US-MD/individuals"]["due"] == "2026-04-16T23:59:59-08:00" and o["US-MD/individuals"]["needs_legal_review"]


def test_az_over_1000_notifies_attorney_general_homeland_security_and_agencies():
    o = obligations([group("US-AZ", 1001)], determined_at="2026-03-04T12:00:00-07:00")
    for obligation_id in ("US-AZ/attorney_general", "US-AZ/department_of_homeland_security", "US-AZ/consumer_reporting_agencies"):
        assert o[obligation_id]["required"] and o[obligation_id]["due"] == "2026-04-18T23:59:59-07:00"
    assert not obligations([group("US-AZ", 1000)])["US-AZ/attorney_general"]["required"]


def test_or_more_than_250():
    assert not obligations([group("US-OR", 250)])["US-OR/attorney_general"]["required"]
    assert obligations([group("US-OR", 251)])["US-OR/attorney_general"]["due"] == "2026-04-16T23:59:59-08:00"


def test_de_attorney_general_timing_unconfirmed_is_flagged():
    o = obligations([group("US-DE", 501)])
    assert o["US-DE/attorney_general"]["required"] and o["US-DE/attorney_general"]["needs_legal_review"]
    assert not obligations([group("US-DE", 500)])["US-DE/attorney_general"]["required"]


def test_me_clock_runs_from_scope_identification():
    o = obligations([group("US-ME", 2)], scope_identified_at="2026-03-10T09:00:00-08:00")
    assert o["US-ME/individuals"]["due"] == "2026-04-09T23:59:59-08:00"
    assert o["US-ME/individuals"]["clock"]["event"] == "awareness_and_scope"


def test_state_without_a_rule_gets_the_default_and_a_review_flag():
    o = obligations([group("US-NV", 2)])
    assert o["US-NV/individuals"]["required"] and o["US-NV/individuals"]["due"] is None
    assert o["US-NV/individuals"]["needs_legal_review"]


# -- GDPR, unknown residency, entity types ------------------------------------------------------------------


def test_gdpr_72_hours_from_awareness_and_no_fixed_period_for_people():
    o = obligations([group("EU-DE", 4, ["user.contact.email"])], determined_at="2026-03-03T10:00:00+01:00")
    assert o["EU-DE/supervisory_authority"]["due"] == "2026-03-06T10:00:00+01:00"
    assert o["EU-DE/individuals"]["due"] is None and o["EU-DE/individuals"]["needs_legal_review"]


def test_gdpr_encrypted_data_is_a_documented_judgment():
    o = obligations([group("EU-FR", 4, ["user.contact.email"], encrypted=True)])
    assert not o["EU-FR/supervisory_authority"]["required"] and o["EU-FR/supervisory_authority"]["needs_legal_review"]
    assert not o["EU-FR/individuals"]["required"]


def test_gdpr_ignores_a_law_enforcement_delay():
    o = obligations(
        [group("EU-IE", 1, ["user.contact.email"])],
        determined_at="2026-03-03T10:00:00+00:00",
        law_enforcement_delay={"agency": "Garda", "start": "2026-03-03T11:00:00+00:00", "end": "2026-03-10T11:00:00+00:00"},
    )
    assert o["EU-IE/supervisory_authority"]["due"] == "2026-03-06T10:00:00+00:00"


def test_unknown_residency_is_counted_flagged_and_held_to_the_earliest_deadline():
    o = obligations([group("UNKNOWN", 3)])
    unknown = o["UNKNOWN/individuals"]
    assert unknown["required"] and unknown["affected_count"] == 3 and unknown["needs_legal_review"]
    assert unknown["due"] == "2026-04-01T23:59:59-08:00"


def test_several_states_in_one_incident():
    o = obligations(
        [group("US-CA", 600), group("US-TX", 300), group("US-NY", 10), group("US-CA", 5, CREDENTIALS)],
        determined_at="2026-03-03T09:00:00-08:00",
    )
    assert o["US-CA/individuals"]["affected_count"] == 605 and o["US-CA/attorney_general_sample"]["required"]
    assert o["US-TX/attorney_general"]["required"] and o["US-NY/attorney_general_dos_state_police"]["required"]
    assert o["US-TX/individuals"]["due"] == "2026-05-02T23:59:59-08:00"


def test_nydfs_72_hours_from_determination():
    o = obligations([group("US-CA", 1)], determined_at="2026-03-03T10:00:00-05:00", entity_types=["nydfs_covered"])
    assert o["NYDFS/superintendent"]["required"] and o["NYDFS/superintendent"]["due"] == "2026-03-06T10:00:00-05:00"


def test_ftc_safeguards_at_least_500_unencrypted_consumers():
    assert obligations([group("US-CA", 300), group("US-TX", 200)], entity_types=["glba_financial_institution"])[
        "FTC-SAFEGUARDS/ftc_notification_event"
    ]["required"]
    o = obligations([group("US-CA", 499)], entity_types=["glba_financial_institution"])
    assert not o["FTC-SAFEGUARDS/ftc_notification_event"]["required"]
    o = obligations([group("US-CA", 600, encrypted=True)], entity_types=["glba_financial_institution"])
    assert not o["FTC-SAFEGUARDS/ftc_notification_event"]["required"]


def test_credit_monitoring_months_follow_the_state():
    assert obligations([group("US-CT", 1)])["US-CT/individuals"]["credit_monitoring_months"] == 24
    assert obligations([group("US-MA", 1)])["US-MA/individuals"]["credit_monitoring_months"] == 18
    assert "credit_monitoring_months" not in obligations([group("US-TX", 1)])["US-TX/individuals"]


def test_output_fields_match_the_documented_shape():
    document = obligations_document(
        parse_incident({"incident_id": "INC-1", "discovered_at": DISCOVERED}),
        parse_affected({"groups": [group("US-CA", 501)]}),
        load_rules(),
    )
    allowed = {
        "individuals",
        "attorney_general",
        "state_regulator",
        "consumer_reporting_agencies",
        "supervisory_authority",
        "ftc",
        "nydfs",
    }
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
        } <= set(obligation)
        assert obligation["recipient"] in allowed and obligation["citation"]


def breachctl_obligations(folder, *, check: bool) -> subprocess.CompletedProcess:
    """`breachctl obligations` on the i.json and a.json in folder."""
    command = ["obligations", "--incident", str(folder / "i.json"), "--affected", str(folder / "a.json")]
    return subprocess.run([sys.executable, "-m", "include.cli", *command], capture_output=True, text=True, check=check)


@pytest.mark.parametrize(
    ("incident", "affected", "field"),
    [
        ({"discovered_at": DISCOVERED}, {"groups": []}, "incident_id"),
        ({"incident_id": "INC-1", "discovered_at": "2026-03-02T09:00:00"}, {"groups": []}, "discovered_at"),
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
    assert printed["US-CA/attorney_general_sample"]["due"] == "2026-04-16T23:59:59-08:00"
