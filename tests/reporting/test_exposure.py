"""The report's CCPA exposure estimate counts only what Cal. Civ. Code 1798.150 covers, and says how many it counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from include.lake import keys
from include.legal.exposure import ccpa_exposure
from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.reporting.report import incident_metrics

NAME_SSN = ["user.name", "user.government_id.national_identification_number"]
GROUPS = [
    {"jurisdiction": "US-CA", "count": 100, "data_elements": NAME_SSN},  # 1798.81.5(d)(1)(A)(i), in clear: counted
    {"jurisdiction": "US-CA", "count": 50, "data_elements": NAME_SSN, "encrypted": True},  # encrypted, key safe: not
    {"jurisdiction": "US-CA", "count": 20, "data_elements": ["user.contact.email", "user.authorization.password"]},  # CPRA
    {"jurisdiction": "US-CA", "count": 30, "data_elements": ["user.name", "user.contact.email"]},  # not personal information
    {"jurisdiction": "US-TX", "count": 400, "data_elements": NAME_SSN},  # not California
]


def test_only_nonencrypted_1798_81_5_data_or_email_and_password_is_counted():
    exposure = ccpa_exposure(parse_affected({"groups": GROUPS}), load_rules())
    assert exposure["california_residents"] == 200
    assert exposure["consumers_counted"] == 120 and exposure["credentials_only"] == 20
    assert "1798.150" in exposure["citation"] and exposure["needs_legal_review"]


def test_the_report_uses_the_count_it_explains(file_lake):
    incident = parse_incident({"incident_id": "INC-X", "discovered_at": "2026-03-02T10:00:00-08:00"})
    affected = parse_affected({"groups": GROUPS})
    file_lake.put(
        keys.incident_versions("INC-X"), json.dumps({"versions": [{"version": 1, "run_id": "r", "fingerprint": "f"}]}).encode()
    )
    file_lake.put(keys.affected_groups("INC-X", 1), json.dumps({"groups": GROUPS}).encode())
    file_lake.put(
        keys.incident_summary("INC-X", 1),
        json.dumps({"individuals": 600, "by_jurisdiction": {"US-CA": 200, "US-TX": 400}}).encode(),
    )
    file_lake.put(keys.obligations("INC-X", 1), json.dumps(obligations_document(incident, affected, load_rules())).encode())
    exposure = incident_metrics(file_lake, datetime(2026, 3, 5, tzinfo=UTC))[0]["exposure"]
    # 120 consumers x US$107 to US$799 (1798.150(a)(1)(A) as adjusted from 2025-01-01); the old estimate used all 200.
    assert exposure["consumers_counted"] == 120 and exposure["california_residents"] == 200
    assert (exposure["min_usd"], exposure["max_usd"]) == (120 * 107, 120 * 799)
