"""Legal approval records: the HITL answer normalised, and the decision in the audit trail with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from include.incident.approval import approval_record, record_decision
from include.incident.trigger import validate_trigger
from include.lake.ledger import ledger_keys

TRIGGER = {"incident_id": "INC-APPROVE", "discovered_at": "2026-11-01T00:00:00Z", "compromised_tables": ["customer_entity"]}


def answer(option: str, reason: str | None = "checked", **extra) -> dict:
    return {
        "chosen_options": [option],
        "params_input": {"reason": reason} if reason is not None else {},
        "responded_by_user": {"id": "7", "name": "legal"},
        "responded_at": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        **extra,
    }


def test_an_approval_names_who_when_and_why():
    record = approval_record(answer("Approve"))
    assert record == {
        "approved": True,
        "option": "Approve",
        "by": "legal",
        "by_id": "7",
        "at": "2026-11-02T09:30:00+00:00",
        "reason": "checked",
    }


def test_anything_but_approve_is_not_an_approval():
    assert not approval_record(answer("Reject"))["approved"]
    assert not approval_record(answer("approve"))["approved"]
    assert not approval_record({"chosen_options": []})["approved"]


def test_no_answer_is_recorded_as_a_refusal():
    assert approval_record(None) == {
        "approved": False,
        "option": "",
        "by": None,
        "by_id": None,
        "at": None,
        "reason": "no response recorded",
    }


def test_the_reason_is_bounded_and_optional():
    assert approval_record(answer("Approve", reason=None))["reason"] == ""
    assert len(approval_record(answer("Reject", reason="x" * 5000))["reason"]) == 500


def test_a_responder_without_a_name_is_named_by_id():
    record = approval_record({**answer("Approve"), "responded_by_user": {"id": "42"}})
    assert record["by"] == "42"


def test_the_decision_lands_in_the_audit_trail(file_lake):
    trigger = validate_trigger(TRIGGER)
    record_decision(trigger, 2, answer("Reject", reason="wrong counts"), "run-9", lake=file_lake)
    entries = [json.loads(file_lake.get(key)) for key in ledger_keys(file_lake)]
    event = entries[-1]["event"]
    assert entries[-1]["type"] == "audit"
    assert event["event_type"] == "notices_rejected" and event["outcome"] == "failure"
    assert event["user_id"] == "legal" and event["reason"] == "wrong counts"
    assert event["affected_data"] == "incident INC-APPROVE v2 notices"
    assert event["timestamp"] == "2026-11-02T09:30:00+00:00"
