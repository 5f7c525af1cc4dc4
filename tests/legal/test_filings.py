"""Regulator filing drafts: the fields each recipient asks for, filled from the incident and counts, never personal data,
written under incidents/<id>/v<N>/filings/ and tracked to "filed" by `breachctl incident fulfil`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from include.config import Config
from include.incident.tasks import compute_obligations
from include.incident.trigger import validate_trigger
from include.lake import keys
from include.legal.filings import TO_COMPLETE, FilingFacts, filing_drafts, forms, render_draft
from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.monitoring.deadlines import check_all
from include.monitoring.fulfilments import record_fulfilment

NAME_SSN = ["user.name.first", "user.name.last", "user.government_id.national_identification_number"]
GROUPS = [
    {"jurisdiction": "US-CA", "count": 600, "data_elements": NAME_SSN},
    {"jurisdiction": "US-TX", "count": 300, "data_elements": NAME_SSN},
    {"jurisdiction": "US-MD", "count": 5, "data_elements": NAME_SSN},
    {"jurisdiction": "EU-DE", "count": 3, "data_elements": ["user.contact.email"]},
]
INCIDENT = {
    "incident_id": "INC-FILE",
    "discovered_at": "2026-03-02T10:00:00-08:00",
    "breach_start": "2026-02-20T00:00:00-08:00",
    "breach_end": "2026-02-27T00:00:00-08:00",
    "entity_types": ["glba_financial_institution", "nydfs_covered"],
    "law_enforcement_delay": {
        "agency": "FBI Cyber Division",
        "start": "2026-03-03T00:00:00-08:00",
        "end": "2026-03-06T00:00:00-08:00",
    },
}


def drafts() -> dict[str, dict]:
    incident, affected = parse_incident(INCIDENT), parse_affected({"groups": GROUPS})
    document = obligations_document(incident, affected, load_rules())
    facts = FilingFacts(
        incident, 1, affected, document["obligations"], Config.from_env({}).business, "Orders read via a stolen session."
    )
    return {d["obligation"]: d for d in filing_drafts(facts)}


def test_every_required_regulator_notice_gets_a_draft_of_its_own_form():
    found = drafts()
    assert {
        "US-CA/attorney_general_sample",
        "US-TX/attorney_general",
        "US-MD/attorney_general",
        "EU-DE/supervisory_authority",
        "FTC-SAFEGUARDS/ftc_notification_event",
        "NYDFS/superintendent",
    } <= set(found)
    assert not any(d["recipient"] in ("individuals", "records") for d in found.values())
    assert found["US-CA/attorney_general_sample"]["form"] == "ca_ag_sample"
    assert found["FTC-SAFEGUARDS/ftc_notification_event"]["form"] == "ftc_safeguards"
    assert found["EU-DE/supervisory_authority"]["form"] == "gdpr_art33"
    assert found["NYDFS/superintendent"]["form"] == "nydfs_500_17"


def test_drafts_carry_the_recipients_fields_filled_from_counts_and_dates():
    found = drafts()
    texas = {f["label"][:3]: f for f in found["US-TX/attorney_general"]["fields"]}
    # Tex. Bus. & Com. Code 521.053(i): (1)-(6); (2) the number of Texas residents affected.
    assert set(texas) == {"(1)", "(2)", "(3)", "(4)", "(5)", "(6)"}
    assert texas["(2)"]["value"] == "300" and texas["(6)"]["value"].startswith("Yes: FBI Cyber Division")
    assert texas["(4)"]["value"] == TO_COMPLETE and texas["(4)"]["source"] == "to_complete"
    ftc = {f["label"][:4]: f["value"] for f in found["FTC-SAFEGUARDS/ftc_notification_event"]["fields"]}
    assert ftc["(iv)"] == "908" and "2026-02-20" in ftc["(iii"]  # 16 CFR 314.4(j)(1)(iii)-(iv)
    assert [f["label"] for f in found["EU-DE/supervisory_authority"]["fields"]][:4] == [
        f["label"] for f in forms()["gdpr_art33"]["fields"]
    ][:4]
    assert "breachctl incident fulfil" in found["US-MD/attorney_general"]["record_filing"]


def test_drafts_hold_no_personal_data():
    text = json.dumps(drafts())
    for category in NAME_SSN:
        assert category not in text
    assert "Social Security or taxpayer identification number" in text  # categories in words, never values


def test_the_draft_page_is_self_contained():
    draft = drafts()["US-CA/attorney_general_sample"]
    html = render_draft(draft, datetime(2026, 3, 2, tzinfo=UTC))
    assert "<h1>Filing draft:" in html and "<script" not in html and 'scope="row"' in html
    assert "https://oag.ca.gov/privacy/databreach/report-a-breach" in html


def test_the_incident_task_writes_the_drafts_and_marks_the_obligations(file_lake):
    trigger = validate_trigger({**INCIDENT, "compromised_tables": ["customer_entity"], "notice_description": "Orders read."})
    file_lake.put(keys.affected_groups("INC-FILE", 1), json.dumps({"groups": GROUPS}).encode())
    file_lake.put(
        keys.incident_versions("INC-FILE"), json.dumps({"versions": [{"version": 1, "run_id": "r", "fingerprint": "f"}]}).encode()
    )
    result = compute_obligations(trigger, 1, lake=file_lake, config=Config.from_env({"BUSINESS_TIMEZONE": "America/Los_Angeles"}))
    document = json.loads(file_lake.get(keys.obligations("INC-FILE", 1)))
    assert document["business_timezone"] == "America/Los_Angeles"
    sample = next(o for o in document["obligations"] if o["id"] == "US-CA/attorney_general_sample")
    assert sample["filing_draft"]["json"] == "incidents/INC-FILE/v1/filings/US-CA--attorney_general_sample.json"
    assert json.loads(file_lake.get(sample["filing_draft"]["json"]))["status"] == "draft"
    assert b"<h1>Filing draft:" in file_lake.get(sample["filing_draft"]["html"])
    index = json.loads(file_lake.get(keys.filings_index("INC-FILE", 1)))
    assert result["filing_drafts"] == len(index["drafts"]) >= 6
    # Recorded with `breachctl incident fulfil`, the filing is met for the monitor (and so for the report).
    record_fulfilment(file_lake, "INC-FILE", "US-TX/attorney_general", datetime(2026, 3, 20, tzinfo=UTC), "legal", "TX-9")
    rows = {r["obligation"]: r for r in check_all(file_lake, now=datetime(2026, 3, 25, tzinfo=UTC))["obligations"]}
    assert rows["US-TX/attorney_general"]["met_at"] and not rows["US-TX/attorney_general"]["alert"]
