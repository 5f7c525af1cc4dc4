"""Delivery rounds under failure: concurrent rounds, outages mid-round, uncertain sends, hostile data, lost events."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from include.lake import keys
from include.lake.lease import Lease
from include.notices.batches import _write_encrypted_jsonl, read_batch
from include.notices.channels import notice_key
from include.notices.delivery.adapters import PermanentDeliveryError, TransientDeliveryError, UncertainDeliveryError
from include.notices.delivery.events import ProviderEvent
from include.notices.delivery.ledger import fold, read_events, settle_unconfirmed
from include.notices.delivery.rounds import deliver_round
from include.notices.status import delivery_status, reconcile
from tests.notices.test_delivery import FakeAdapter, batches, bounce, person


class Flaky(FakeAdapter):
    """Sends until `fail_at`, then raises the given error once per call while `failing` is set."""

    def __init__(self, channel: str = "email", *, fail_at: int, error: Exception, delay: float = 0.0):
        super().__init__(channel)
        self.fail_at, self.error, self.delay, self.failing = fail_at, error, delay, True
        self.calls = 0

    def send(self, record: dict[str, Any]) -> str:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.failing and len(self.sent) >= self.fail_at:
            raise self.error
        return super().send(record)


class Shared:
    """One provider queue shared by every incident (as one SES configuration set's SQS queue is)."""

    def __init__(self) -> None:
        self.queue: list[ProviderEvent] = []
        self.deleted: list[ProviderEvent] = []


class QueueAdapter(FakeAdapter):
    """A fake email provider whose events come from a shared queue and are deleted only when acknowledged."""

    name = "queue"

    def __init__(self, shared: Shared):
        super().__init__("email")
        self.name = "queue"
        self.shared = shared

    def poll_events(self):
        return list(self.shared.queue)

    def acknowledge(self, events):
        for event in events:
            self.shared.queue.remove(event)
            self.shared.deleted.append(event)


def people_keys(count: int, incident: str = "INC-D") -> list[str]:
    return [notice_key(incident, f"person{i}@example.com") for i in range(count)]


def test_a_second_round_exits_cleanly_while_the_first_holds_the_lease(file_lake):
    batches(file_lake, 1, [person(i) for i in range(3)])
    holder = Lease(file_lake, keys.delivery_lease("INC-D"), ttl=timedelta(minutes=5))
    assert holder.try_acquire()
    adapter = FakeAdapter("email")
    summary = deliver_round(file_lake, "INC-D", {"email": adapter}, "r2", per_second=0)["summary"]
    assert summary["skipped"] and "held by another worker" in summary["skipped"] and adapter.sent == []
    holder.release()
    assert deliver_round(file_lake, "INC-D", {"email": adapter}, "r3", per_second=0)["summary"]["skipped"] is None
    assert len(adapter.sent) == 3


def test_a_crashed_holders_lease_expires_and_the_next_round_proceeds(file_lake):
    batches(file_lake, 1, [person(i) for i in range(2)])
    crashed = Lease(file_lake, keys.delivery_lease("INC-D"), ttl=timedelta(seconds=1))
    assert crashed.try_acquire()  # never released: the worker died
    adapter = FakeAdapter("email")
    summary = deliver_round(file_lake, "INC-D", {"email": adapter}, "r1", per_second=0, wait=10)["summary"]
    assert summary["skipped"] is None and len(adapter.sent) == 2


def test_concurrent_rounds_in_threads_send_each_person_once(file_lake):
    batches(file_lake, 1, [person(i) for i in range(60)])
    adapters = [Flaky(fail_at=10**6, error=RuntimeError(), delay=0.002) for _ in range(4)]
    threads = [
        threading.Thread(
            target=deliver_round, args=(file_lake, "INC-D", {"email": a}, f"t{i}"), kwargs={"per_second": 0, "wait": 30}
        )
        for i, a in enumerate(adapters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [key for adapter in adapters for key in adapter.sent]
    assert len(sent) == len(set(sent)) == 60


def test_a_round_started_while_another_is_rate_limited_sends_nobody_twice(file_lake):
    batches(file_lake, 1, [person(i) for i in range(30)])
    slow, late = FakeAdapter("email"), FakeAdapter("email")
    first = threading.Thread(target=deliver_round, args=(file_lake, "INC-D", {"email": slow}, "slow"), kwargs={"per_second": 20})
    first.start()
    time.sleep(0.5)  # the first round is sleeping in its rate limiter now
    skipped = deliver_round(file_lake, "INC-D", {"email": late}, "late", per_second=0)["summary"]
    waited = deliver_round(file_lake, "INC-D", {"email": late}, "waited", per_second=0, wait=30)["summary"]
    first.join()
    assert skipped["skipped"] and waited["skipped"] is None
    assert late.sent == [] and len(slow.sent) == len(set(slow.sent)) == 30


def test_a_transient_failure_leaves_the_rest_pending_and_a_later_round_sends_them_once(file_lake):
    batches(file_lake, 1, [person(i) for i in range(100)])
    relay = Flaky(fail_at=5, error=TransientDeliveryError("SMTP 421 at DATA"))
    options = {"per_second": 0, "sleep": lambda s: None, "retry_backoff": 1.0}
    first = deliver_round(file_lake, "INC-D", {"email": relay}, "r1", **options)["summary"]
    assert first["sent_this_round"] == {"email": 5} and first["status"]["deferred"] == 1 and first["unconfirmed"] == 0
    assert first["status"]["sent"] == 5 and sum(first["status"].values()) == 6  # 94 never tried: still pending
    backing_off = deliver_round(file_lake, "INC-D", {"email": relay}, "r2", **options)["summary"]
    # the deferred one waits out its backoff; the next pending one meets the refusing relay and is deferred too
    assert backing_off["status"]["deferred"] == 2 and backing_off["status"]["sent"] == 5
    relay.failing = False
    time.sleep(2.5)  # both backoffs (1 s, then 2 s for a second attempt) have passed
    for round_key in ("r3", "r4"):
        deliver_round(file_lake, "INC-D", {"email": relay}, round_key, **options)
    assert sorted(relay.sent) == sorted(people_keys(100))
    assert {p.status for p in fold(read_events(file_lake, "INC-D")).values()} == {"sent"}


def test_an_uncertain_send_is_listed_and_reconciled_with_a_reason(file_lake):
    batches(file_lake, 1, [person(i) for i in range(10)])
    relay = Flaky(fail_at=3, error=UncertainDeliveryError("connection lost during the data"))
    deliver_round(file_lake, "INC-D", {"email": relay}, "r1", per_second=0)
    relay.failing = False
    summary = deliver_round(file_lake, "INC-D", {"email": relay}, "r2", per_second=0)["summary"]
    assert summary["unconfirmed"] == 1 and len(relay.sent) == 9 == len(set(relay.sent))
    status = delivery_status(file_lake, "INC-D")
    (unresolved,) = status["unresolved"]
    assert unresolved["key"] not in relay.sent and unresolved["message_id"].startswith("<")
    with pytest.raises(ValueError, match="reason"):
        reconcile(file_lake, "INC-D", [unresolved["key"]], "sent", " ", "ops")
    with pytest.raises(ValueError, match="key: ff"):
        reconcile(file_lake, "INC-D", ["ff"], "sent", "relay log", "ops")
    reconcile(file_lake, "INC-D", [unresolved["key"]], "not-sent", "not in the relay log", "ops")
    deliver_round(file_lake, "INC-D", {"email": relay}, "r3", per_second=0)
    assert sorted(relay.sent) == sorted(people_keys(10)) and delivery_status(file_lake, "INC-D")["unresolved"] == []


def test_names_with_line_separators_survive_the_batch_and_the_round(file_lake):
    hostile = [person(0), {**person(1), "firstname": "Ana\u2028Maria", "lastname": "Ruiz\u2029\u0085\r\nX"}, person(2)]
    batches(file_lake, 1, hostile)
    records = read_batch(file_lake, "incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc")
    assert len(records) == 3 and "Ana\u2028Maria" in records[1]["name"]
    adapter = FakeAdapter("email")
    summary = deliver_round(file_lake, "INC-D", {"email": adapter}, "r1", per_second=0)["summary"]
    assert len(adapter.sent) == 3 and summary["quarantined"] == 0


def test_one_bad_batch_record_is_quarantined_and_the_others_are_delivered(file_lake):
    batches(file_lake, 1, [person(i) for i in range(3)])
    key = "incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc"
    good = read_batch(file_lake, key)
    _write_encrypted_jsonl(file_lake, key, [good[0], {"key": "not-a-key"}, {**good[1], "to": None}, good[2]])
    adapter = FakeAdapter("email")
    summary = deliver_round(file_lake, "INC-D", {"email": adapter}, "r1", per_second=0)["summary"]
    assert sorted(adapter.sent) == sorted([good[0]["key"], good[2]["key"]]) and summary["quarantined"] == 2
    quarantined = delivery_status(file_lake, "INC-D")["quarantined"]
    assert [(q["line"], q["reason"]) for q in quarantined] == [
        (2, "key: missing or not a notice key"),
        (3, "to: missing or not text"),
    ]
    assert "example.com" not in file_lake.get(keys.delivery_quarantine("INC-D", "r1")).decode()


def test_a_comma_smuggled_second_address_never_becomes_an_email(file_lake):
    smuggled = {**person(1), "email": "victim@example.com,attacker@evil.example"}
    manifest = batches(file_lake, 1, [person(0), smuggled])
    assert manifest["by_channel"] == {"email": 1, "postal": 1, "none": 0}
    record = read_batch(file_lake, "incidents/INC-D/v1/batches/email/batch-00001.jsonl.gz.enc")[0]
    from include.notices.delivery.adapters import SmtpAdapter

    with pytest.raises(PermanentDeliveryError, match="exactly one valid address"):
        SmtpAdapter("127.0.0.1", 9).send({**record, "to": "victim@example.com,attacker@evil.example"})


def test_a_bounce_arriving_during_another_incidents_round_reaches_its_incident(file_lake):
    shared = Shared()
    batches(file_lake, 1, [person(1)])  # incident INC-D
    for incident in ("INC-D", "INC-E"):
        file_lake.put(keys.incident_versions(incident), b'{"versions": [{"version": 1}]}')
    email_d, postal_d = QueueAdapter(shared), FakeAdapter("postal")
    deliver_round(file_lake, "INC-D", {"email": email_d, "postal": postal_d}, "d1", per_second=0)
    (sent_key,) = email_d.sent
    provider_id = fold(read_events(file_lake, "INC-D"))[sent_key].provider_id
    shared.queue.append(bounce(provider_id))
    shared.queue.append(bounce("id-nobody-knows"))
    other = deliver_round(file_lake, "INC-E", {"email": QueueAdapter(shared)}, "e1", per_second=0)["summary"]
    assert shared.queue == [] and other["unrouted_events"] == 1  # drained, nothing dropped: the unknown one is kept
    summary = deliver_round(file_lake, "INC-D", {"email": email_d, "postal": postal_d}, "d2", per_second=0)["summary"]
    assert postal_d.sent == [sent_key] and summary["status"]["handed_over"] == 1 and summary["provider_events"] == 1
    assert delivery_status(file_lake, "INC-D")["unrouted_events"] == 1


def test_a_duplicate_bounce_never_sends_a_second_letter(file_lake):
    batches(file_lake, 1, [person(1)])
    email, postal = FakeAdapter("email"), FakeAdapter("postal")
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r1", per_second=0)
    (key,) = email.sent
    email.events = [bounce(f"id-{key[:8]}")]
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r2", per_second=0)
    email.events = [bounce(f"id-{key[:8]}"), ProviderEvent("fake", "again", "2026-01-01T00:00:00+00:00", status="bounced",
                                                           provider_id=f"id-{key[:8]}")]  # fmt: skip
    deliver_round(file_lake, "INC-D", {"email": email, "postal": postal}, "r3", per_second=0)
    assert postal.sent == [key]


def test_a_crash_between_send_and_record_leaves_one_message_and_the_journal_is_recovered(file_lake):
    batches(file_lake, 1, [person(i) for i in range(5)])
    crashing = Flaky(fail_at=2, error=RuntimeError("worker killed"))
    with pytest.raises(RuntimeError):
        deliver_round(file_lake, "INC-D", {"email": crashing}, "r1", per_second=0)
    people = fold(read_events(file_lake, "INC-D"))
    settle_unconfirmed(people)
    assert sorted(p.status for p in people.values()) == ["sent", "sent", "unconfirmed"]
    assert not list(file_lake.list(keys.delivery_journal_prefix("INC-D")))  # compacted into the ledger and sealed
    assert any(k.startswith("evidence/manifests/delivery_round/") for k, _ in file_lake.list("evidence/manifests/"))


def test_a_letter_counts_as_mailed_only_when_the_mail_house_acknowledgement_is_ingested(file_lake, tmp_path):
    import json

    from include.monitoring.deadlines import notified_by_jurisdiction
    from include.notices.delivery.adapters import FileOutboxAdapter

    batches(file_lake, 1, [person(i, email=False) for i in range(3)])
    postal = FileOutboxAdapter(tmp_path / "outbox" / "postal", "postal", None)
    first = deliver_round(file_lake, "INC-D", {"postal": postal}, "r1", per_second=0)["summary"]
    assert first["status"]["handed_over"] == 3 and notified_by_jurisdiction(file_lake, "INC-D")["US-CA"]["notified"] == 0
    (outbox_file,) = (tmp_path / "outbox" / "postal").glob("*.jsonl")
    ids = [json.loads(line)["id"] for line in outbox_file.read_text().splitlines()]
    assert all(i.startswith("INC-D:postal:") for i in ids)
    receipts = tmp_path / "outbox" / "postal" / "receipts"
    receipts.mkdir()
    lines = [
        {"id": ids[0], "status": "mailed", "at": "2026-11-30T09:00:00Z"},
        {"id": ids[1], "status": "returned", "at": "2026-12-01T09:00:00Z"},
    ]
    (receipts / "ack-1.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n{not json\n")
    second = deliver_round(file_lake, "INC-D", {"postal": postal}, "r2", per_second=0)["summary"]
    assert second["status"]["mailed"] == 1 and second["status"]["handed_over"] == 1 and second["status"]["substitute"] == 1
    assert second["unrouted_events"] == 1 and (receipts / "ingested" / "ack-1.jsonl").exists()
    counts = notified_by_jurisdiction(file_lake, "INC-D")["US-CA"]
    assert counts["notified"] == 1 and counts["first_notified_at"].startswith("2026-11-30T09:00:00")


def test_the_substitute_web_notice_is_written_per_jurisdiction_and_language(file_lake):
    californians = [{**person(i, email=False, postal=False), "language": "es"} for i in range(29)]
    bay_staters = [
        {**person(100 + i, email=False, postal=False, jurisdiction="US-MA"), "region": "Massachusetts"} for i in range(2)
    ]
    manifest = batches(file_lake, 1, californians + bay_staters)
    pages = {o["path"].rsplit("/", 1)[-1]: o for o in manifest["objects"] if o["channel"] == "substitute-web"}
    assert sorted(pages) == ["notice-US-CA-es.html", "notice-US-MA-en.html"] and pages["notice-US-CA-es.html"]["records"] == 29
    spanish = file_lake.get("incidents/INC-D/v1/batches/substitute/notice-US-CA-es.html").decode()
    massachusetts = file_lake.get("incidents/INC-D/v1/batches/substitute/notice-US-MA-en.html").decode()
    assert 'lang="es"' in spanish and "police report" not in spanish.lower()
    assert 'lang="en"' in massachusetts and "police report" in massachusetts.lower()
    assert "First0" not in spanish and "Main St" not in spanish  # nothing personal is ever posted


@pytest.mark.s3
def test_concurrent_rounds_on_the_s3_lake_send_each_person_once(moto_endpoint):
    import uuid

    import boto3

    from include.lake.store import S3Lake

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket = f"lake-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    lake = S3Lake(bucket, "prod", s3)
    batches(lake, 1, [person(i) for i in range(25)])
    adapters = [Flaky(fail_at=10**6, error=RuntimeError(), delay=0.002) for _ in range(3)]
    threads = [
        threading.Thread(target=deliver_round, args=(lake, "INC-D", {"email": a}, f"s{i}"), kwargs={"per_second": 0, "wait": 60})
        for i, a in enumerate(adapters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [key for adapter in adapters for key in adapter.sent]
    assert len(sent) == len(set(sent)) == 25
    assert not list(lake.list(keys.delivery_journal_prefix("INC-D")))


def test_the_incident_runs_retried_round_takes_over_a_killed_rounds_lease(file_lake, monkeypatch):
    """A Celery retry of breach_incident.deliver starts seconds after its worker died: it waits the lease out."""
    from include.config import Config
    from include.notices import tasks

    batches(file_lake, 1, [person(i) for i in range(3)])
    dead = Lease(file_lake, keys.delivery_lease("INC-D"), ttl=timedelta(seconds=2))
    assert dead.try_acquire()  # the killed worker's round, never released
    adapter = FakeAdapter("email")
    monkeypatch.setattr(tasks, "adapters_from_configuration", lambda config=None: {"email": adapter})
    config = Config.from_env({"LAKE_URL": file_lake.url, "NOTICE_SEND_RATE": "0", "NOTICE_LEASE_TTL": "2"})
    assert tasks.deliver("INC-D", "retry", lake=file_lake, config=config)["summary"]["skipped"], "the hourly round skips"
    summary = tasks.first_round("INC-D", "retry", config=config)["summary"]
    assert summary["skipped"] is None and len(adapter.sent) == 3
