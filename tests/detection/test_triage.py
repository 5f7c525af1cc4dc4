"""Triage: a confirmed enumeration becomes a breach_incident trigger whose discovered_at is the earliest evidence and
whose access_log scope resolves to exactly the customers the planted client read; a skimmer gives an orders
window; decisions are recorded once and in the audit ledger."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest

from include.config import Config
from include.demo.store.detections import ALLOWLIST
from include.detection.detect import detect
from include.detection.engine import Detection
from include.detection.suspects import load_suspect, record_suspect
from include.detection.tasks import to_suspect
from include.detection.triage import incident_conf, record_triage, triage_case
from include.incident.scope import ScopeResolver
from include.incident.tasks import access_log_keys
from include.incident.trigger import validate_trigger
from include.lake.ledger import ledger_keys
from include.legal.inputs import InputError
from include.magento.source import create_source_engine
from include.pii.map import load_pii_map

from .conftest import SINCE


@pytest.fixture(scope="module")
def detections(planted) -> dict[str, Detection]:
    run = detect(
        store_url=planted["url"],
        access_logs=[planted["log"].path],
        since=datetime.fromisoformat(SINCE),
        allowlist=frozenset(ALLOWLIST),
    )
    return {d.name: d for d in run.detections}


def expected_customers(planted) -> set[int]:
    log = planted["log"]
    with sqlite3.connect(planted["store"]) as db:
        marks = ",".join("?" * len(log.orders_read))
        owners = db.execute(f"SELECT customer_id FROM sales_order WHERE entity_id IN ({marks})", log.orders_read).fetchall()
    return set(log.customers_read) | {row[0] for row in owners if row[0] is not None}


def test_confirmed_enumeration_scopes_to_the_customers_the_client_read(planted, detections, file_lake):
    suspect_id, created = record_suspect(file_lake, to_suspect(detections["magento_customer_enumeration_rest"]))
    assert created and record_suspect(file_lake, to_suspect(detections["magento_customer_enumeration_rest"])) == (
        suspect_id,
        False,
    )
    suspect = load_suspect(file_lake, suspect_id)
    assert "@" not in json.dumps(suspect)
    record = record_triage(
        suspect_id,
        {"chosen_options": ["Confirm breach"], "params_input": {"reason": "token misuse"}, "responded_by_user": {"name": "soc"}},
        "run-1",
        lake=file_lake,
    )
    conf = record["incident_conf"]
    first = datetime.fromisoformat(detections["magento_customer_enumeration_rest"].first_seen)
    assert datetime.fromisoformat(conf["discovered_at"]) == datetime.fromisoformat(suspect["first_seen"]) == first
    assert conf["scope_kind"] == "access_log" and conf["access_log_client"] == "203.0.113.66"
    trigger = validate_trigger(conf)
    assert trigger.incident_id == conf["incident_id"]  # the run writes under the id the decision records
    config = Config.from_env({"LAKE_URL": file_lake.url, "DETECTION_ACCESS_LOGS": str(planted["root"] / "*.log")})
    keys = access_log_keys(trigger, config)
    engine = create_source_engine(planted["url"])
    seed = ScopeResolver(engine, load_pii_map(), trigger, keys).seed()
    assert seed is not None
    ids, _emails = seed
    assert ids == expected_customers(planted)
    individuals = ScopeResolver(engine, load_pii_map(), trigger, keys).resolve().individuals
    assert {i for ids_ in individuals["customer_ids"] for i in ids_} == expected_customers(planted)
    events = [json.loads(file_lake.get(k)).get("event", {}) for k in ledger_keys(file_lake)]
    assert [e["outcome"] for e in events if e.get("event_type") == "suspected_incident_triaged"] == ["Confirm breach"]
    again = record_triage(suspect_id, {"chosen_options": ["False positive"]}, "run-2", lake=file_lake)
    assert again["decision"] == "Confirm breach"  # recorded once


def test_an_access_log_outside_the_configured_ones_is_refused(planted, detections, file_lake):
    conf = incident_conf(
        {**to_suspect(detections["magento_customer_enumeration_rest"]).model_dump(mode="json"), "id": "SUS-1"}, datetime.now(UTC)
    )
    trigger = validate_trigger({**conf, "access_log": "/etc/passwd"})
    with pytest.raises(InputError, match="access_log: not one of the configured access logs"):
        access_log_keys(trigger, Config.from_env({"LAKE_URL": file_lake.url, "DETECTION_ACCESS_LOGS": "/var/log/nginx/*.log"}))


def test_access_log_scope_needs_its_fields():
    with pytest.raises(InputError, match="access_log and access_log_client are required"):
        validate_trigger(
            {
                "incident_id": "INC-1",
                "discovered_at": "2026-11-11T00:00:00Z",
                "compromised_tables": ["customer_entity"],
                "scope_kind": "access_log",
            }
        )


def test_a_confirmed_skimmer_is_scoped_to_orders_while_it_was_present(detections, file_lake):
    suspect_id, _ = record_suspect(file_lake, to_suspect(detections["magento_content_script_not_allowlisted"]))
    case = triage_case(suspect_id, lake=file_lake)
    assert "cms_block" in case["body"] and "@" not in case["body"]
    conf = incident_conf(load_suspect(file_lake, suspect_id), datetime(2026, 11, 12, tzinfo=UTC))
    trigger = validate_trigger(conf)
    assert trigger.scope_kind == "orders_window" and trigger.window_start == datetime.fromisoformat("2026-11-11T02:14:00+00:00")
    assert trigger.discovered_at == trigger.window_start and "sales_order_payment" in trigger.compromised_tables


def test_a_false_positive_starts_nothing_and_unknown_suspects_are_refused(detections, file_lake):
    suspect_id, _ = record_suspect(file_lake, to_suspect(detections["magento_login_as_customer"]))
    assert record_triage(suspect_id, {"chosen_options": ["False positive"]}, "run-3", lake=file_lake)["incident_conf"] is None
    with pytest.raises(ValueError, match="suspect_id: no suspected incident"):
        triage_case("SUS-0000000000000000", lake=file_lake)
