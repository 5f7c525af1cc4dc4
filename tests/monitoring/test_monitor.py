"""Deadline monitoring: unmet obligations near their due date raise alerts; delivery and filings meet them."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.monitoring.deadlines import check_all
from include.monitoring.fulfilments import record_fulfilment
from include.notices.delivery.ledger import Event, write_events


def incident_lake(lake, notified: int, *, count: int = 3, state: str = "US-CA", times: list[str] | None = None) -> None:
    incident = parse_incident(
        {"incident_id": "INC-M", "discovered_at": "2026-03-02T09:00:00-08:00", "business_timezone": "America/Los_Angeles"}
    )
    affected = parse_affected(
        {
            "groups": [
                {"jurisdiction": state, "count": count, "data_elements": ["user.name", "user.government_id"]},
                {"jurisdiction": "US-VT", "count": 1, "data_elements": ["user.name", "user.government_id"]},
            ]
        }
    )
    lake.put(
        "state/incidents/INC-M/versions.json",
        json.dumps({"versions": [{"version": 1, "run_id": "r", "fingerprint": "f"}]}).encode(),
    )
    lake.put("incidents/INC-M/v1/obligations.json", json.dumps(obligations_document(incident, affected, load_rules())).encode())
    keys = [f"k{i}" for i in range(count)]
    table = pa.table(
        {
            "key": [*keys, "vt"],
            "jurisdiction": [state] * count + ["US-VT"],
            "channel": ["email"] * (count + 1),
            "substitute": [False] * (count + 1),
            "language": ["en"] * (count + 1),
            "already_batched": [False] * (count + 1),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    lake.put("incidents/INC-M/v1/batches/keys.parquet", buffer.getvalue())
    moments = times or ["2026-03-20T10:00:00+00:00"] * notified
    write_events(lake, "INC-M", [Event(k, "sent", "email", at) for k, at in zip(keys[:notified], moments, strict=True)], "r1")


def by_id(status: dict) -> dict[str, dict]:
    return {row["obligation"]: row for row in status["obligations"]}


def test_unmet_individual_notice_alerts_within_the_warning_window(file_lake):
    incident_lake(file_lake, notified=2)
    early = check_all(file_lake, now=datetime(2026, 3, 10, tzinfo=UTC), warn_days=3)
    assert not by_id(early)["US-CA/individuals"]["alert"]
    late = check_all(file_lake, now=datetime(2026, 3, 31, tzinfo=UTC), warn_days=3)
    row = by_id(late)["US-CA/individuals"]
    assert row["alert"] and row["progress"] == "2 of 3 notified" and not row["overdue"]
    assert by_id(check_all(file_lake, now=datetime(2026, 4, 5, tzinfo=UTC)))["US-CA/individuals"]["overdue"]


def test_everyone_notified_meets_the_obligation_and_moves_the_dependent_deadline(file_lake):
    incident_lake(file_lake, notified=3, count=3)
    status = by_id(check_all(file_lake, now=datetime(2026, 3, 30, tzinfo=UTC)))
    assert status["US-CA/individuals"]["met_at"] == "2026-03-20T10:00:00+00:00" and not status["US-CA/individuals"]["alert"]


def test_california_sample_is_due_15_days_after_the_actual_notice(file_lake):
    incident_lake(file_lake, notified=501, count=501)
    status = by_id(check_all(file_lake, now=datetime(2026, 3, 25, tzinfo=UTC)))
    sample = status["US-CA/attorney_general_sample"]
    # Residents notified 20 Mar 10:00Z = 03:00 PDT; 15 calendar days (Cal. Civ. Code 1798.82(f)) end 4 Apr 23:59:59 PDT.
    assert sample["due"] == "2026-04-04T23:59:59-07:00" and "first resident notified" in sample["progress"]


def test_dependent_deadline_counts_from_the_first_resident_notified_not_the_last(file_lake):
    """Review error 9: the sample is due 15 days after the FIRST notice (10 Mar), not the last one (20 Mar)."""
    times = ["2026-03-10T17:00:00+00:00"] + ["2026-03-20T10:00:00+00:00"] * 500
    incident_lake(file_lake, notified=501, count=501, times=times)
    sample = by_id(check_all(file_lake, now=datetime(2026, 3, 21, tzinfo=UTC)))["US-CA/attorney_general_sample"]
    assert sample["due"] == "2026-03-25T23:59:59-07:00"  # 10 Mar (PDT) + 15 days, Cal. Civ. Code 1798.82(f)


def test_maryland_attorney_general_is_overdue_once_the_first_resident_was_notified(file_lake):
    """Review error 9: Md. Com. Law 14-3504(h): the AG is told BEFORE the residents; the first notice fixes the deadline."""
    times = ["2026-03-05T16:00:00+00:00", "2026-03-20T10:00:00+00:00", "2026-03-20T10:00:00+00:00"]
    incident_lake(file_lake, notified=3, count=3, state="US-MD", times=times)
    row = by_id(check_all(file_lake, now=datetime(2026, 3, 6, tzinfo=UTC)))["US-MD/attorney_general"]
    assert row["due"] == "2026-03-05T16:00:00+00:00" and row["overdue"] and row["alert"]
    record_fulfilment(file_lake, "INC-M", "US-MD/attorney_general", datetime(2026, 3, 4, tzinfo=UTC), "legal", "MD-1")
    assert not by_id(check_all(file_lake, now=datetime(2026, 3, 6, tzinfo=UTC)))["US-MD/attorney_general"]["alert"]


def test_connecticut_attorney_general_no_later_than_the_first_notice(file_lake):
    """Review error 9: Conn. Gen. Stat. 36a-701b(b)(2): the AG no later than the residents' notice (the first of them)."""
    times = ["2026-03-05T16:00:00+00:00", "2026-03-06T16:00:00+00:00", "2026-03-07T16:00:00+00:00"]
    incident_lake(file_lake, notified=3, count=3, state="US-CT", times=times)
    row = by_id(check_all(file_lake, now=datetime(2026, 3, 6, tzinfo=UTC)))["US-CT/attorney_general"]
    assert row["due"] == "2026-03-05T16:00:00+00:00" and row["overdue"]


def test_a_recorded_filing_meets_a_regulator_obligation(file_lake):
    incident_lake(file_lake, notified=1)
    assert by_id(check_all(file_lake, now=datetime(2026, 3, 22, tzinfo=UTC)))["US-VT/attorney_general_preliminary"]["alert"]
    record_fulfilment(
        file_lake, "INC-M", "US-VT/attorney_general_preliminary", datetime(2026, 3, 19, tzinfo=UTC), "legal", "VT-123"
    )
    row = by_id(check_all(file_lake, now=datetime(2026, 3, 22, tzinfo=UTC)))["US-VT/attorney_general_preliminary"]
    assert row["met_at"] and not row["alert"]


def test_a_letter_handed_to_the_mail_house_is_not_notice_until_it_is_acknowledged(file_lake):
    incident_lake(file_lake, notified=0)
    write_events(
        file_lake,
        "INC-M",
        [Event(f"k{i}", "handed_over", "postal", "2026-03-20T10:00:00+00:00", f"p{i}") for i in range(3)],
        "r1",
    )
    row = by_id(check_all(file_lake, now=datetime(2026, 3, 31, tzinfo=UTC)))["US-CA/individuals"]
    assert (
        row["met_at"] is None and row["alert"] and "3 handed to the mail house, not yet acknowledged as mailed" in row["progress"]
    )
    acks = [
        Event(f"k{i}", "mailed", "postal", "2026-03-25T08:00:00+00:00", f"p{i}", reported_at="2026-03-21T00:00:00+00:00")
        for i in range(3)
    ]
    write_events(file_lake, "INC-M", acks, "r2")
    row = by_id(check_all(file_lake, now=datetime(2026, 3, 30, tzinfo=UTC)))["US-CA/individuals"]
    assert row["met_at"] == "2026-03-21T00:00:00+00:00" and row["progress"] == "3 of 3 notified"


def test_substitute_notice_counts_only_once_the_posting_and_the_media_notice_are_recorded(file_lake):
    incident_lake(file_lake, notified=0)
    write_events(
        file_lake, "INC-M", [Event(f"k{i}", "substitute", "substitute", "2026-03-20T10:00:00+00:00") for i in range(3)], "r1"
    )

    def row() -> dict:
        return by_id(check_all(file_lake, now=datetime(2026, 3, 30, tzinfo=UTC)))["US-CA/individuals"]

    assert row()["met_at"] is None and "not given until recorded: posting, media" in row()["progress"]
    record_fulfilment(
        file_lake, "INC-M", "US-CA/substitute_notice/posting", datetime(2026, 3, 21, tzinfo=UTC), "web", "https://shop/n"
    )
    assert row()["met_at"] is None and "not given until recorded: media" in row()["progress"]
    record_fulfilment(file_lake, "INC-M", "US-CA/substitute_notice/media", datetime(2026, 3, 22, tzinfo=UTC), "pr", "AP wire")
    assert row()["met_at"] == "2026-03-22T00:00:00+00:00" and "(given)" in row()["progress"]


def test_a_posting_is_recorded_only_with_its_url(file_lake, capsys):
    from include.cli import main

    incident_lake(file_lake, notified=0)
    base = [
        "incident",
        "fulfil",
        "--lake",
        file_lake.url,
        "--incident",
        "INC-M",
        "--at",
        "2026-03-21T10:00:00+00:00",
        "--by",
        "web",
    ]
    assert main([*base, "--obligation", "US-CA/substitute_notice/posting", "--reference", "posted"]) == 2
    assert main([*base, "--obligation", "US-CA/substitute_notice/flyer", "--reference", "x"]) == 2
    assert "reference: the posting's URL" in capsys.readouterr().err
    assert not list(file_lake.list("incidents/INC-M/fulfilments/"))
    assert main([*base, "--obligation", "US-CA/substitute_notice/posting", "--reference", "https://shop.example/notice"]) == 0
