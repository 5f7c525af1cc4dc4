"""The intake API in process: each alert format accepted, one suspected incident per alert id, and every bad request
refused with the right status and nothing written."""

from __future__ import annotations

import json
import time

import pytest

from include.detection.suspects import load_suspect, suspect_ids
from include.lake.store import open_lake
from tests.exchange.conftest import SIEM_SECRET, siem_headers
from tests.exchange.samples import PERSONAL, SAMPLES, body, ocsf, splunk

ALERTS = "/v1/alerts"
REPORTS = "/v1/processor-reports"


def lake_files(registry) -> list[str]:
    return [key for key, _ in open_lake(registry.lake_url).list("")]


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_each_format_is_recorded_once_however_often_it_is_resent(client, registry, fmt):
    payload = body(SAMPLES[fmt]())
    first = client.post(ALERTS, content=payload, headers=siem_headers(payload))
    assert first.status_code == 202, first.text
    answer = first.json()
    assert answer["created"] is True
    assert answer["format"] == fmt
    for offset in (10, 20):
        again = client.post(ALERTS, content=payload, headers=siem_headers(payload, stamp=int(time.time()) - offset))
        assert again.status_code == 202
        assert again.json() == {**answer, "created": False}
    lake = open_lake(registry.lake_url)
    assert suspect_ids(lake) == [answer["suspect_id"]]
    stored = load_suspect(lake, answer["suspect_id"])
    assert stored["source"] == "siem"
    assert stored["sender"] == "soc"
    text = json.dumps(stored)
    assert not any(value in text for value in PERSONAL)


def test_alerts_keep_what_triage_needs(client, registry):
    payload = body(splunk())
    receipt = client.post(ALERTS, content=payload, headers=siem_headers(payload)).json()
    stored = load_suspect(open_lake(registry.lake_url), receipt["suspect_id"])
    assert stored["level"] == "critical"
    assert stored["count"] == 12
    assert stored["compromised_tables"] == ["sales_order_payment"]
    assert stored["title"] == "Card data read outside the payment service"
    payload = body(ocsf("f-tables"))
    receipt = client.post(ALERTS, content=payload, headers=siem_headers(payload)).json()
    stored = load_suspect(open_lake(registry.lake_url), receipt["suspect_id"])
    assert stored["compromised_tables"] == ["customer_entity"]
    assert stored["title"] == "Bulk export of customer_entity by admin [redacted] from [redacted]"
    assert stored["level"] == "high"


def test_two_senders_with_the_same_alert_id_are_two_suspects(client, registry):
    payload = body(splunk())
    one = client.post(ALERTS, content=payload, headers=siem_headers(payload)).json()
    two = client.post(ALERTS, content=payload, headers=siem_headers(payload, sender="splunkonly")).json()
    assert one["suspect_id"] != two["suspect_id"]
    assert two["created"] is True


def _refused(client, registry, headers, payload, status, field, path=ALERTS):
    answer = client.post(path, content=payload, headers=headers)
    assert answer.status_code == status, answer.text
    message = answer.json()["error"]
    assert "\n" not in message
    assert message.startswith(field), message
    assert not any(value in message for value in PERSONAL)
    assert lake_files(registry) == []
    return message


def test_a_bad_signature_is_refused(client, registry):
    payload = body(ocsf())
    headers = siem_headers(payload, secret="another-secret-entirely-000000")
    _refused(client, registry, headers, payload, 401, "X-Breach-Signature")


def test_a_body_changed_after_signing_is_refused(client, registry):
    payload = body(ocsf())
    headers = siem_headers(payload)
    _refused(client, registry, headers, body(ocsf("f-other")), 401, "X-Breach-Signature")


def test_a_stale_timestamp_is_refused(client, registry):
    payload = body(ocsf())
    for stamp in (int(time.time()) - 301, int(time.time()) + 301):
        _refused(client, registry, siem_headers(payload, stamp=stamp), payload, 401, "X-Breach-Timestamp")


def test_a_replayed_request_is_refused_and_writes_nothing(client, registry):
    payload = body(ocsf())
    headers = siem_headers(payload)
    assert client.post(ALERTS, content=payload, headers=headers).status_code == 202
    before = lake_files(registry)
    answer = client.post(ALERTS, content=payload, headers=headers)
    assert answer.status_code == 409
    assert answer.json()["error"].startswith("X-Breach-Signature")
    assert lake_files(registry) == before


def test_an_unknown_sender_is_refused_like_a_bad_signature(client, registry):
    payload = body(ocsf())
    message = _refused(client, registry, siem_headers(payload, sender="nobody"), payload, 401, "X-Breach-Signature")
    assert "nobody" not in message


def test_missing_or_malformed_headers_are_refused(client, registry):
    payload = body(ocsf())
    good = siem_headers(payload)
    for name, value, field in (
        ("X-Breach-Sender", None, "X-Breach-Sender"),
        ("X-Breach-Sender", "Not A Name", "X-Breach-Sender"),
        ("X-Breach-Timestamp", None, "X-Breach-Timestamp"),
        ("X-Breach-Timestamp", "yesterday", "X-Breach-Timestamp"),
        ("X-Breach-Signature", None, "X-Breach-Signature"),
        ("X-Breach-Signature", "zz", "X-Breach-Signature"),
    ):
        headers = {k: v for k, v in good.items() if k != name} | ({name: value} if value else {})
        _refused(client, registry, headers, payload, 401, field)


def test_an_oversize_body_is_refused(client, registry):
    document = ocsf()
    document["unmapped"] = {"padding": "x" * (256 * 1024)}
    payload = body(document)
    _refused(client, registry, siem_headers(payload), payload, 413, "body")


def test_an_oversize_streamed_body_is_refused(client, registry):
    payload = body({**ocsf(), "unmapped": {"padding": "x" * (300 * 1024)}})

    def chunks():
        for start in range(0, len(payload), 65536):
            yield payload[start : start + 65536]

    headers = siem_headers(payload)
    answer = client.post(ALERTS, content=chunks(), headers=headers)
    assert answer.status_code == 413
    assert lake_files(registry) == []


def test_an_invalid_alert_names_the_field(client, registry):
    document = ocsf()
    del document["finding_info"]["uid"]
    payload = body(document)
    message = _refused(client, registry, siem_headers(payload), payload, 422, "body")
    assert message == "body.ocsf.finding_info.uid: Field required"
    payload = b'{"neither": "format"}'
    _refused(client, registry, siem_headers(payload), payload, 422, "body")
    payload = b'{"class_uid": 2004,'
    _refused(client, registry, siem_headers(payload), payload, 400, "body")


def test_a_sender_may_send_only_its_registered_formats(client, registry):
    payload = body(ocsf())
    _refused(client, registry, siem_headers(payload, sender="splunkonly"), payload, 403, "body")


def test_a_non_json_body_is_refused(client, registry):
    payload = body(ocsf())
    headers = siem_headers(payload) | {"Content-Type": "text/plain"}
    _refused(client, registry, headers, payload, 415, "Content-Type")


def report(report_id: str = "PR-2026-11-001") -> dict:
    return {
        "report_id": report_id,
        "title": "Skimming script on checkout observed by the gateway",
        "category": "card_skimming",
        "level": "critical",
        "first_seen": "2026-11-20T08:00:00Z",
        "last_seen": "2026-11-27T23:00:00Z",
        "affected_count": 240,
        "payment_methods": ["payment_services_paypal_hosted_fields"],
        "compromised_tables": ["sales_order_payment"],
        "references": ["GW-CASE-7781"],
    }


def test_a_processor_report_is_a_suspect_naming_the_processor(client, registry):
    cardgw = registry.processors["cardgw"]
    payload = body(report())
    headers = cardgw.headers("POST", REPORTS, payload) | {"Content-Type": "application/json"}
    answer = client.post(REPORTS, content=payload, headers=headers)
    assert answer.status_code == 202, answer.text
    stored = load_suspect(open_lake(registry.lake_url), answer.json()["suspect_id"])
    assert (stored["source"], stored["sender"], stored["count"]) == ("processor", "cardgw", 240)
    again_headers = cardgw.headers("POST", REPORTS, payload, stamp=int(time.time()) - 5) | {"Content-Type": "application/json"}
    again = client.post(REPORTS, content=payload, headers=again_headers)
    assert again.json()["created"] is False


def test_a_processor_report_signed_for_another_path_or_by_another_key_is_refused(client, registry):
    cardgw, paypal = registry.processors["cardgw"], registry.processors["paypal"]
    payload = body(report())
    wrong_path = cardgw.headers("POST", ALERTS, payload) | {"Content-Type": "application/json"}
    _refused(client, registry, wrong_path, payload, 401, "X-Breach-Signature", REPORTS)
    impostor = paypal.headers("POST", REPORTS, payload) | {"X-Breach-Sender": "cardgw", "Content-Type": "application/json"}
    _refused(client, registry, impostor, payload, 401, "X-Breach-Signature", REPORTS)
    hmac_instead = siem_headers(payload, sender="cardgw", secret=SIEM_SECRET)
    _refused(client, registry, hmac_instead, payload, 401, "X-Breach-Signature", REPORTS)


def test_an_invalid_processor_report_names_the_field(client, registry):
    cardgw = registry.processors["cardgw"]
    for change, field in (
        ({"last_seen": "2026-11-01T00:00:00Z"}, "body"),
        ({"compromised_tables": ["no_such_table"]}, "body"),
        ({"affected_count": 0}, "body.affected_count"),
        ({"unexpected": "field"}, "body.<unexpected>: Extra inputs are not permitted"),
    ):
        payload = body(report() | change)
        headers = cardgw.headers("POST", REPORTS, payload) | {"Content-Type": "application/json"}
        _refused(client, registry, headers, payload, 422, field, REPORTS)


def test_the_schema_is_served_without_the_docs_pages(client):
    assert client.get("/v1/openapi.json").json()["info"]["title"] == "Breach intake and exchange API"
    assert client.get("/docs").status_code == 404
