"""What legal approves: one sample per notice variant and language in scope, and a body of counts without personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from include.incident.trigger import validate_trigger
from include.lake import keys
from include.notices.review import prepare_review, review_body, sample_variants

TRIGGER = {"incident_id": "INC-REV", "discovered_at": "2026-11-01T00:00:00Z", "compromised_tables": ["customer_entity"]}
SUMMARY = {
    "individuals": 7,
    "unknown_residency": 1,
    "by_channel": {"email": 5, "postal": 6, "email_and_postal": 4, "none": 0},
    "by_jurisdiction": {"US-CA": 2, "US-TX": 1, "US-MA": 1, "EU-DE": 1, "EU-FR": 1, "UNKNOWN": 1},
    "by_language": {"en": 6, "es": 1},
}
OBLIGATIONS = [
    {"id": "US-CA/individuals", "required": True, "due": "2026-12-01T23:59:59-08:00", "name": "Residents of US-CA",
     "jurisdiction": "US-CA", "affected_count": 2, "needs_legal_review": True},
    {"id": "US-TX/attorney_general", "required": False, "due": None, "name": "Texas Attorney General",
     "jurisdiction": "US-TX", "affected_count": 1, "needs_legal_review": False},
    {"id": "EU-DE/supervisory_authority", "required": True, "due": "2026-11-04T00:00:00+00:00", "name": "Authority",
     "jurisdiction": "EU-DE", "affected_count": 1, "needs_legal_review": False},
]  # fmt: skip
CUSTOMER_ENTITY = ["user.name.first", "user.name.last", "user.contact.email", "user.authorization.password"]
GROUPS = [{"jurisdiction": j, "count": n, "data_elements": CUSTOMER_ENTITY} for j, n in SUMMARY["by_jurisdiction"].items()]


def test_one_sample_per_variant_with_california_for_unknown_and_foreign_residents():
    assert sample_variants(SUMMARY) == ["EU-DE", "US-CA", "US-MA", "US-TX"]
    assert sample_variants({"by_jurisdiction": {"OTHER-GB": 3}}) == ["US-CA"]


def test_the_body_is_short_states_counts_that_add_up_and_lists_the_next_deadlines_by_name():
    now = datetime(2026, 11, 2, tzinfo=UTC)
    body = review_body(validate_trigger(TRIGGER), 3, SUMMARY, OBLIGATIONS, now)
    assert body.startswith("## Incident INC-REV, version 3")
    assert "**7 people** in scope: 1 reachable by email only, 2 by post only, 4 by both" in body
    assert "0 by neither" in body and "Residence unknown: 1" in body
    rows = [line for line in body.splitlines() if line.startswith("| ") and "Due" not in line]
    assert [row.split(" | ")[2] for row in rows] == ["Authority", "Residents of US-CA"]
    assert rows[0].startswith("| Wed 4 Nov 2026, 00:00 UTC | 2 |") and "Germany (EU)" in rows[0]
    assert rows[1].startswith("| Tue 1 Dec 2026, 23:59 UTC-08:00 | 30 |") and "| California | *needed* |" in rows[1]
    assert "Texas Attorney General" not in body
    assert "/breach-review/v1/incidents/INC-REV/versions/3/review/index.html" in body
    assert "**Legal review** *needed*" in body and len(body.splitlines()) < 20


@pytest.fixture
def version(file_lake):
    trigger = validate_trigger(TRIGGER)
    file_lake.put(keys.incident_summary("INC-REV", 1), json.dumps(SUMMARY).encode())
    file_lake.put(keys.obligations("INC-REV", 1), json.dumps({"obligations": OBLIGATIONS}).encode())
    file_lake.put(keys.affected_groups("INC-REV", 1), json.dumps({"groups": GROUPS}).encode())
    return trigger


def test_prepare_review_writes_every_template_for_every_variant_and_language(file_lake, version):
    result = prepare_review(version, 1, lake=file_lake)
    written = {o["path"] for o in result["outputs"]}
    for sample in ("US-CA-en", "US-CA-es", "US-MA-en", "US-TX-es", "EU-DE-en"):
        for name in ("email.html", "email.txt", "notice.html", "letter.html", "banner.html"):
            assert keys.review_sample("INC-REV", 1, sample, name) in written
    for language in ("en", "es"):
        assert keys.review_sample("INC-REV", 1, f"support-{language}", "support_pack.html") in written
    assert len(written) == 4 * 2 * 5 + 2 + 1  # every template per variant and language, a support pack per language, the page
    page = file_lake.get(keys.review_page("INC-REV", 1)).decode()
    assert keys.review_page("INC-REV", 1) in written and "Notice of Data Breach" in page
    assert page.count('href="samples/US-CA-en/email.html"') == 2  # California, and residents of unknown residence
    for jurisdiction in ("California", "Texas", "Massachusetts", "Germany (EU)", "France (EU)", "Residence unknown"):
        assert f'<th scope="row">{jurisdiction}' in page


def test_samples_name_only_the_elements_the_incident_exposed(file_lake, version):
    prepare_review(version, 1, lake=file_lake)
    for sample in ("US-CA-en", "US-CA-es", "US-TX-en", "US-MA-es", "EU-DE-en"):
        for name in ("email.html", "email.txt", "notice.html", "letter.html", "banner.html"):
            text = file_lake.get(keys.review_sample("INC-REV", 1, sample, name)).decode().lower()
            for mention in ("postal address", "dirección postal", "card", "tarjeta", "social security", "seguro social"):
                assert mention not in text, (sample, name, mention)
    texas = file_lake.get(keys.review_sample("INC-REV", 1, "US-TX-en", "email.txt")).decode()
    assert "your email address" in texas and "your name" in texas


def test_a_spanish_only_incident_reaches_approval_with_its_spanish_sample(file_lake, version):
    spanish = {**SUMMARY, "by_jurisdiction": {"US-CA": 3}, "by_language": {"es": 3}}
    file_lake.put(keys.incident_summary("INC-REV", 2), json.dumps(spanish).encode())
    file_lake.put(keys.obligations("INC-REV", 2), json.dumps({"obligations": OBLIGATIONS}).encode())
    file_lake.put(keys.affected_groups("INC-REV", 2), json.dumps({"groups": GROUPS[:1]}).encode())
    result = prepare_review(version, 2, lake=file_lake)
    assert {o["path"].split("/")[-2] for o in result["outputs"]} == {"US-CA-es", "support-es", "review"}
    page = file_lake.get(keys.review_page("INC-REV", 2)).decode()
    assert "Email text (California, Spanish)" in page and "Estimado" in page
