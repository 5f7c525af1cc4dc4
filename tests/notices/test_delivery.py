"""Batches and delivery rounds never notify anyone twice: reruns, retries, crashes and new versions."""

from __future__ import annotations

import email
from typing import Any

import pandas as pd
import pytest

from include.config import DEMO_BUSINESS
from include.legal.rules import load_rules
from include.notices.batches import NoticeSettings, build_batches, read_batch
from include.notices.channels import notice_key
from include.notices.delivery.adapters import (
    PermanentDeliveryError,
    RateLimiter,
    TransientDeliveryError,
    mime_message,
    with_retries,
)
from include.notices.delivery.events import ProviderEvent
from include.notices.delivery.ledger import fold, read_events
from include.notices.delivery.rounds import deliver_round
from include.notices.samples import SAMPLE_INCIDENT

ELEMENTS = ["user.name.first", "user.name.last", "user.contact.email", "user.government_id.national_identification_number"]

COST_PER_NOTICE = {"email": 0.05, "postal": 1.20}


def person(index: int, *, email: bool = True, postal: bool = True, jurisdiction: str = "US-CA") -> dict[str, Any]:
    return {
        "person": f"person{index}@example.com",
        "customer_ids": [index],
        "email": f"person{index}@example.com" if email else None,
        "firstname": f"First{index}",
        "lastname": "Last",
        "street": f"{index} Main St" if postal else None,
        "city": "Fresno",
        "region": "California",
        "postcode": "93650",
        "country_id": "US",
        "jurisdiction": jurisdiction,
        "residency_source": "default_billing",
        "email_valid": email,
        "postal_valid": postal,
        "language": "en",
        "data_elements": ELEMENTS,
        "encrypted_elements": [],
        "credentials_exposed": False,
    }


def batches(lake, version: int, people: list[dict]) -> dict:
    return build_batches(
        lake,
        incident_id="INC-D",
        version=version,
        individuals=pd.DataFrame(people),
        key_compromised=False,
        rules=load_rules(),
        settings=NoticeSettings(
            business=DEMO_BUSINESS,
            incident=SAMPLE_INCIDENT,
            credit_monitoring={"US-CA": 12},
            sender="privacy@example.com",
            notice_url="https://example.com/n",
        ),
        cost_per_notice=COST_PER_NOTICE,
    )["manifest"]


class FakeAdapter:
    """Records every send; can fail permanently for some keys, or crash after n sends."""

    def __init__(self, channel: str, crash_after: int | None = None, reject: set[str] = frozenset()):
        self.name, self.channel = f"fake-{channel}", channel
        self.handed_over_status = "handed_over" if channel == "postal" else "sent"
        self.sent: list[str] = []
        self.crash_after, self.reject = crash_after, reject
        self.events: list[ProviderEvent] = []

    def send(self, record: dict[str, Any]) -> str:
        if self.crash_after is not None and len(self.sent) >= self.crash_after:
            raise RuntimeError("worker died")
        if record["key"] in self.reject:
            raise PermanentDeliveryError("mailbox does not exist")
        self.sent.append(record["key"])
        return f"id-{record['key'][:8]}"

    def poll_events(self):
        events, self.events = self.events, []
        return events

    def acknowledge(self, events):
        pass


def bounce(provider_id: str, status: str = "bounced") -> ProviderEvent:
    return ProviderEvent("fake", provider_id + status, "2026-01-01T00:00:00+00:00", status=status, provider_id=provider_id)


def test_batches_are_encrypted_chunked_and_carry_one_key_per_person(file_lake):
    manifest = batches(
        file_lake, 1, [person(i) for i in range(5)] + [person(9, email=False)] + [person(10, email=False, postal=False)]
    )
    assert manifest["by_channel"] == {"email": 5, "postal": 1, "none": 1} and manifest["substitute_covered"] == 1
    records = read_batch(file_lake, "incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc")
    assert len({r["key"] for r in records}) == 5
    assert b"person0@example.com" not in file_lake.get("incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc")
    assert records[0]["key"] == notice_key("INC-D", "person0@example.com")


def test_an_email_record_sends_as_multipart_alternative_with_a_full_text_part(file_lake):
    batches(file_lake, 1, [person(0)])
    record = read_batch(file_lake, "incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc")[0]
    message = email.message_from_bytes(mime_message(record).as_bytes())
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "person0@example.com" and message["X-Notice-Key"] == record["key"]
    assert [p.get_content_type() for p in message.walk() if not p.is_multipart()] == ["text/plain", "text/html"]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "What You Can Do" in text and "12 months" in text and "First0 Last" in text


def test_a_new_version_only_batches_people_not_batched_before(file_lake):
    batches(file_lake, 1, [person(i) for i in range(3)])
    manifest = batches(file_lake, 2, [person(i) for i in range(4)])
    assert manifest["new_notices"] == 1 and manifest["excluded_already_batched"] == 3


def test_rounds_and_reruns_send_each_notice_once(file_lake):
    batches(file_lake, 1, [person(i) for i in range(4)] + [person(7, email=False)])
    email, postal = FakeAdapter("email"), FakeAdapter("postal")
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r1", per_second=0)
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r2", per_second=0)
    assert len(email.sent) == len(set(email.sent)) == 4 and len(postal.sent) == 1
    assert {p.status for p in fold(read_events(file_lake, "INC-D")).values()} == {"sent", "handed_over"}


def test_a_crashed_round_retried_never_sends_twice(file_lake):
    batches(file_lake, 1, [person(i) for i in range(6)])
    crashing = FakeAdapter("email", crash_after=2)
    with pytest.raises(RuntimeError):
        deliver_round(file_lake, "INC-D", {"email": crashing}, "r1", per_second=0)
    healthy = FakeAdapter("email")
    summary = deliver_round(file_lake, "INC-D", {"email": healthy}, "r1", per_second=0)["summary"]
    sent = crashing.sent + healthy.sent
    assert len(sent) == len(set(sent))
    # only the one message in flight is held for reconciliation; everyone after it is sent by the next round
    assert summary["unconfirmed"] == 1 and len(crashing.sent) == 2 and len(healthy.sent) == 3


def test_bounce_falls_back_to_a_postal_letter_and_no_address_to_substitute(file_lake):
    batches(file_lake, 1, [person(1), person(2, postal=False)])
    email, postal = FakeAdapter("email"), FakeAdapter("postal")
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r1", per_second=0)
    email.events = [bounce(f"id-{key[:8]}") for key in email.sent]
    summary = deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r2", per_second=0)["summary"]
    assert summary["status"]["handed_over"] == 1 and summary["status"]["substitute"] == 1
    assert postal.sent == [notice_key("INC-D", "person1@example.com")]
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r3", per_second=0)
    assert len(postal.sent) == 1 and len(email.sent) == 2


def test_permanent_rejections_are_recorded_as_failed(file_lake):
    batches(file_lake, 1, [person(1), person(2)])
    rejected = notice_key("INC-D", "person1@example.com")
    summary = deliver_round(file_lake, "INC-D", {"email": FakeAdapter("email", reject={rejected})}, "r1", per_second=0)["summary"]
    assert summary["status"]["sent"] == 1 and summary["status"]["substitute"] == 1  # no postal adapter: substitute notice
    assert fold(read_events(file_lake, "INC-D"))[rejected].history[:2] == ["sending", "failed"]


def test_rate_limiter_spaces_sends():
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(5, clock=lambda: now[0], sleep=sleep)
    for _ in range(11):
        limiter.wait()
    assert now[0] == pytest.approx(2.0)


def test_retries_back_off_on_transient_errors_only():
    calls, pauses = [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientDeliveryError("throttled")
        return "ok"

    assert with_retries(flaky, sleep=pauses.append) == "ok" and pauses == [0.5, 1.0]

    def rejected() -> str:
        calls.append(1)
        raise PermanentDeliveryError("no such user")

    calls.clear()
    with pytest.raises(PermanentDeliveryError):
        with_retries(rejected, sleep=pauses.append)
    assert len(calls) == 1
