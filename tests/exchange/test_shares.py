"""A processor's share round-trips: approved incident -> download -> `breachctl exchange verify` decrypts exactly the
processor's rows; a tampered file or manifest fails; another processor's share and a share before approval are refused
with nothing written; every download is in the audit ledger."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from include.cli import main as breachctl
from include.exchange.bundle import PAYMENT_COLUMNS, TABLE_COLUMNS
from include.incident import tasks as incident_run
from include.incident.approval import approved_versions, record_decision
from include.incident.scope import normalise_email
from include.incident.trigger import validate_trigger
from include.incident.versions import read_individuals
from include.lake import keys
from include.lake.store import open_lake
from tests.exchange.conftest import CARD_METHOD

INCIDENT = "INC-SHARE-1"
TABLES = ["customer_entity", "sales_order", "sales_order_address", "sales_order_payment"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """The SQLite demo store, seeded as the demo seeds it."""
    from include.demo.store import SeedConfig, seed_store
    from tests.conftest import SEED_CUSTOMERS

    path = tmp_path_factory.mktemp("share-store") / "store.db"
    seed_store(f"sqlite:///{path}", SeedConfig(customers=SEED_CUSTOMERS, violations=0.0, seed=11))
    return str(path)


def rows_of(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.exec_driver_sql(sql)]
    engine.dispose()
    return found


@pytest.fixture
def incident(store, registry, monkeypatch):
    """Version 1 of an orders-window incident on the store, resolved into the registry's lake (not yet approved)."""
    monkeypatch.setenv("AIRFLOW_CONN_MAGENTO_DB", json.dumps({"conn_type": "sqlite", "host": store}))
    url = f"sqlite:///{store}"
    (latest,) = rows_of(url, "SELECT MAX(created_at) FROM sales_order")[0]
    latest = datetime.fromisoformat(str(latest))
    conf = {
        "incident_id": INCIDENT,
        "discovered_at": "2026-11-28T14:05:00Z",
        "compromised_tables": TABLES,
        "scope_kind": "orders_window",
        "window_start": (latest - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window_end": latest.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    trigger = validate_trigger(conf)
    lake = open_lake(registry.lake_url)
    assert incident_run.resolve_scope(trigger, "run-1", url=url, lake=lake)["version"] == 1
    return {"trigger": trigger, "lake": lake, "url": url}


def approve(incident, option: str = "Approve") -> None:
    answer = {
        "chosen_options": [option],
        "params_input": {"reason": "reviewed"},
        "responded_by_user": {"id": "7", "name": "legal"},
        "responded_at": datetime(2026, 11, 29, 9, 0, tzinfo=UTC),
    }
    record_decision(incident["trigger"], 1, answer, "run-1", lake=incident["lake"])


def share_path(processor: str = "cardgw") -> str:
    return f"/v1/incidents/{INCIDENT}/shares/{processor}"


def download(client, registry, processor: str = "cardgw", caller: str | None = None, age: int = 0):
    """A signed download; `age` seconds back, so two downloads in one second are two requests, not a replay."""
    keys_ = registry.processors[caller or processor]
    stamp = int(time.time()) - age
    return client.get(share_path(processor), headers=keys_.headers("GET", share_path(processor), stamp=stamp))


def expected_card_orders(incident) -> list[str]:
    """Independent SQL: card orders of the affected people (by account id or by email)."""
    people = read_individuals(incident["lake"], keys.affected_people(INCIDENT, 1))
    ids = {int(i) for ids in people["customer_ids"] for i in ids}
    emails = {normalise_email(e) for e in people["email"] if e}
    rows = rows_of(
        incident["url"],
        "SELECT o.increment_id, o.customer_id, o.customer_email FROM sales_order o "
        f"JOIN sales_order_payment p ON p.parent_id = o.entity_id WHERE p.method = '{CARD_METHOD}'",
    )
    return sorted(r[0] for r in rows if (r[1] is not None and int(r[1]) in ids) or normalise_email(r[2]) in emails)


def lake_keys(lake) -> list[str]:
    return [key for key, _ in lake.list("")]


def verify(tmp_path: Path, registry, bundle: bytes, processor: str = "cardgw", out: str | None = "rows.jsonl") -> int:
    (tmp_path / "share.json").write_bytes(bundle)
    key = tmp_path / f"{processor}.key"
    key.write_text(base64.b64encode(registry.processors[processor].private_key).decode())
    args = ["exchange", "verify", str(tmp_path / "share.json"), "--key", str(key)]
    args += ["--merchant-key", base64.b64encode(registry.merchant_public).decode()]
    return breachctl(args + (["--out", str(tmp_path / out)] if out else []))


def test_a_share_before_approval_is_refused_and_writes_nothing(client, registry, incident):
    before = lake_keys(incident["lake"])
    answer = download(client, registry)
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("incident_id: no version of this incident is approved")
    approve(incident, "Reject")
    after_rejection = lake_keys(incident["lake"])
    assert download(client, registry).status_code == 403
    assert lake_keys(incident["lake"]) == after_rejection != before


def test_an_unknown_incident_is_not_found(client, registry):
    path = "/v1/incidents/INC-NOPE/shares/cardgw"
    answer = client.get(path, headers=registry.processors["cardgw"].headers("GET", path))
    assert answer.status_code == 404


def test_the_share_round_trips_with_exactly_the_processors_rows(client, registry, incident, tmp_path, capsys):
    approve(incident)
    assert approved_versions(incident["lake"], INCIDENT) == [1]
    answer = download(client, registry)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert verify(tmp_path, registry, answer.content) == 0
    assert capsys.readouterr().out.startswith(f"OK: incident {INCIDENT} v1, share for cardgw")
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert [r["order_increment_id"] for r in rows] == expected_card_orders(incident)
    assert len(rows) > 10
    assert all(set(r) == set(PAYMENT_COLUMNS) and r["payment_method"] == CARD_METHOD for r in rows)
    assert all(r["cc_last_4"] and len(r["cc_last_4"]) == 4 and r["order_date"] for r in rows)
    people = read_individuals(incident["lake"], keys.affected_people(INCIDENT, 1))
    assert not any(email in answer.text for email in people["email"] if email)


def test_every_download_is_audited_and_serves_the_same_sealed_share(client, registry, incident):
    approve(incident)
    first, second = download(client, registry), download(client, registry, age=5)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    events = [
        json.loads(incident["lake"].get(key))["event"]
        for key, _ in incident["lake"].list(keys.LEDGER)
        if json.loads(incident["lake"].get(key)).get("event", {}).get("event_type") == "processor_share_downloaded"
    ]
    assert [e["user_id"] for e in events] == ["processor:cardgw", "processor:cardgw"]
    assert all(e["affected_data"].startswith(f"incident {INCIDENT} v1 share for cardgw") for e in events)


def test_a_tampered_file_or_manifest_fails_verification(client, registry, incident, tmp_path, capsys):
    approve(incident)
    bundle = download(client, registry).json()
    sealed = bytearray(base64.b64decode(bundle["ciphertext"]))
    sealed[-5] ^= 1
    tampered_file = {**bundle, "ciphertext": base64.b64encode(bytes(sealed)).decode()}
    assert verify(tmp_path, registry, json.dumps(tampered_file).encode()) == 1
    assert "ciphertext: does not match the signed manifest" in capsys.readouterr().out
    tampered_manifest = {**bundle, "manifest": {**bundle["manifest"], "rows": bundle["manifest"]["rows"] - 1}}
    assert verify(tmp_path, registry, json.dumps(tampered_manifest).encode()) == 1
    assert "manifest: the merchant's signature does not match" in capsys.readouterr().out
    resealed = {**bundle, "manifest": {**bundle["manifest"], "incident_id": "INC-OTHER"}}
    assert verify(tmp_path, registry, json.dumps(resealed).encode()) == 1
    assert verify(tmp_path, registry, json.dumps(bundle).encode(), processor="paypal") == 1
    assert "cannot be opened with this key" in capsys.readouterr().out
    assert not (tmp_path / "rows.jsonl").exists()


def test_a_processor_asking_for_another_processors_share_is_refused(client, registry, incident):
    approve(incident)
    before = lake_keys(incident["lake"])
    answer = download(client, registry, processor="cardgw", caller="paypal")
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("processor:")
    assert lake_keys(incident["lake"]) == before


def test_a_replayed_download_is_refused(client, registry, incident):
    approve(incident)
    headers = registry.processors["cardgw"].headers("GET", share_path())
    assert client.get(share_path(), headers=headers).status_code == 200
    before = lake_keys(incident["lake"])
    assert client.get(share_path(), headers=headers).status_code == 409
    assert lake_keys(incident["lake"]) == before


def test_a_table_processor_gets_primary_keys_of_its_compromised_tables_only(client, registry, incident, tmp_path):
    approve(incident)
    answer = download(client, registry, processor="mailhouse")
    assert answer.status_code == 200, answer.text
    assert verify(tmp_path, registry, answer.content, processor="mailhouse") == 0
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert rows and {r["table"] for r in rows} == {"sales_order_address"}  # newsletter_subscriber was not compromised
    assert all(set(r) == set(TABLE_COLUMNS) for r in rows)
