"""What legal approves: one sample per notice variant and language in scope, and a body of counts without personal data."""

from __future__ import annotations

import json

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


def test_one_sample_per_variant_with_california_for_unknown_and_foreign_residents():
    assert sample_variants(SUMMARY) == ["EU-DE", "US-CA", "US-MA", "US-TX"]
    assert sample_variants({"by_jurisdiction": {"OTHER-GB": 3}}) == ["US-CA"]


def test_the_body_lists_required_obligations_by_due_date_and_the_counts():
    body = review_body(validate_trigger(TRIGGER), 3, SUMMARY, OBLIGATIONS, ["US-CA (en): file:///lake/x/"], "Dear Alex")
    assert body.startswith("## Incident INC-REV, version 3")
    assert "**7** individuals; unknown residency: 1; email: 5, postal: 6, no contact: 0." in body
    rows = [line for line in body.splitlines() if line.startswith("| 2026")]
    assert [row.split(" | ")[1] for row in rows] == ["Authority", "Residents of US-CA"]
    assert "Texas Attorney General" not in body
    assert "| yes |" in rows[1]
    assert "- US-CA (en): file:///lake/x/" in body and "Dear Alex" in body


@pytest.fixture
def version(file_lake):
    trigger = validate_trigger(TRIGGER)
    file_lake.put(keys.incident_summary("INC-REV", 1), json.dumps(SUMMARY).encode())
    file_lake.put(keys.obligations("INC-REV", 1), json.dumps({"obligations": OBLIGATIONS}).encode())
    return trigger


def test_prepare_review_writes_every_template_for_every_variant_and_language(file_lake, version):
    result = prepare_review(version, 1, lake=file_lake)
    written = {o["path"] for o in result["outputs"]}
    for sample in ("US-CA-en", "US-CA-es", "US-MA-en", "US-TX-es", "EU-DE-en"):
        for name in ("email.html", "email.txt", "notice.html", "letter.html", "banner.html"):
            assert keys.review_sample("INC-REV", 1, sample, name) in written
    for language in ("en", "es"):
        assert keys.review_sample("INC-REV", 1, f"support-{language}", "support_pack.html") in written
    assert len(written) == 4 * 2 * 5 + 2  # every template per variant and language, and a support pack per language
    assert "Notice of Data Breach" in result["body"]
    assert result["body"].count("US-CA (en)") == 1


def test_a_spanish_only_incident_reaches_approval_with_its_spanish_sample(file_lake, version):
    spanish = {**SUMMARY, "by_jurisdiction": {"US-CA": 3}, "by_language": {"es": 3}}
    file_lake.put(keys.incident_summary("INC-REV", 2), json.dumps(spanish).encode())
    file_lake.put(keys.obligations("INC-REV", 2), json.dumps({"obligations": OBLIGATIONS}).encode())
    result = prepare_review(version, 2, lake=file_lake)
    assert {o["path"].split("/")[-2] for o in result["outputs"]} == {"US-CA-es", "support-es"}
    assert "### Email sample (US-CA, Spanish, text part)" in result["body"] and "Estimado" in result["body"]
