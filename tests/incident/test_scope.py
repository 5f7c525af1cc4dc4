"""Scope resolution matches independent SQL on both engines it runs on (the SQLite demo store and MariaDB with the real
schema), guest orders merged by email."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from include.incident.scope import ScopeResolver, affected_groups
from include.incident.trigger import validate_trigger
from include.magento.geography import EEA_COUNTRIES
from include.magento.source import create_source_engine
from include.pii.map import load_pii_map

TABLES = ["customer_entity", "customer_address_entity", "sales_order", "sales_order_address", "sales_order_payment"]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)])
def store(request, tmp_path_factory) -> dict:
    """The seeded store on each engine: an SQLite file like the demo's (no service needed) and MariaDB."""
    if request.param == "mariadb":
        return request.getfixturevalue("seeded_store")
    from include.demo.store import SeedConfig, seed_store
    from tests.conftest import SEED_CUSTOMERS, SEED_VIOLATIONS

    url = f"sqlite:///{tmp_path_factory.mktemp('scope-sqlite') / 'store.db'}"
    seed_store(url, SeedConfig(customers=SEED_CUSTOMERS, violations=SEED_VIOLATIONS, seed=7))
    return {"url": url}


def resolve(url: str, keys: list[str] | None = None, **trigger) -> object:
    conf = {"incident_id": "INC-SCOPE", "discovered_at": "2026-11-01T00:00:00Z", "compromised_tables": TABLES, **trigger}
    engine = create_source_engine(url)
    try:
        return ScopeResolver(engine, load_pii_map(), validate_trigger(conf), keys).resolve().individuals
    finally:
        engine.dispose()


def query(url: str, sql: str) -> list[tuple]:
    """Rows of independent SQL; emails are folded here, as SQLite's LOWER() only folds ASCII."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = [
            tuple(v.strip().lower() if isinstance(v, str) and "@" in v else v for v in r) for r in connection.exec_driver_sql(sql)
        ]
    engine.dispose()
    return rows


def expected_jurisdiction(country: str | None, code: str | None) -> str:
    if not country:
        return "UNKNOWN"
    if country == "US":
        return f"US-{code}" if code else "UNKNOWN"
    return f"EU-{country}" if country in EEA_COUNTRIES else f"OTHER-{country}"


def test_whole_store_scope_matches_independent_sql(store):
    individuals = resolve(store["url"])
    expected = {
        r[0]
        for r in query(
            store["url"],
            "SELECT email FROM customer_entity UNION SELECT customer_email FROM sales_order WHERE customer_id IS NULL",
        )
    }
    assert set(individuals["person"]) == expected
    assert individuals["person"].is_unique


def test_guest_orders_with_a_customers_email_are_merged_into_that_customer(store):
    merged = query(
        store["url"],
        "SELECT DISTINCT c.entity_id FROM sales_order o "
        "JOIN customer_entity c ON LOWER(TRIM(o.customer_email)) = LOWER(TRIM(c.email)) "
        "WHERE o.customer_id IS NULL",
    )
    assert len(merged) >= 5, "the seed must reuse customer emails on guest orders"
    individuals = resolve(store["url"]).set_index("person")
    accounts = dict(query(store["url"], "SELECT entity_id, email FROM customer_entity"))
    for (customer_id,) in merged:
        assert customer_id in individuals.loc[accounts[customer_id], "customer_ids"]


def test_residency_comes_from_the_default_billing_address(store):
    individuals = resolve(store["url"]).set_index("person")
    rows = query(
        store["url"],
        "SELECT c.email, a.country_id, r.code FROM customer_entity c "
        "JOIN customer_address_entity a ON a.entity_id = c.default_billing "
        "LEFT JOIN directory_country_region r ON r.region_id = a.region_id",
    )
    assert len(rows) > 500
    for email, country, code in rows:
        assert individuals.loc[email, "jurisdiction"] == expected_jurisdiction(country, code)
        assert individuals.loc[email, "residency_source"] == "default_billing"
    assert set(individuals["residency_source"]) <= {"default_billing", "latest_order", "unknown"}
    unknown = individuals[individuals["jurisdiction"] == "UNKNOWN"]
    assert (unknown["residency_source"] == "unknown").all()


def test_exposed_elements_follow_what_the_tables_hold(store):
    individuals = resolve(store["url"]).set_index("person")
    with_card = {
        r[0]
        for r in query(
            store["url"],
            "SELECT DISTINCT o.customer_email FROM sales_order_payment p "
            "JOIN sales_order o ON o.entity_id = p.parent_id "
            "WHERE o.customer_id IS NULL AND p.cc_number_enc IS NOT NULL AND p.cc_number_enc <> ''",
        )
    }
    for email in list(with_card)[:50]:
        assert "user.financial.credit_card" in individuals.loc[email, "data_elements"]
    guests_only = set(individuals.index) - {r[0] for r in query(store["url"], "SELECT email FROM customer_entity")}
    assert all("user.authorization.password" not in individuals.loc[g, "data_elements"] for g in guests_only)


def test_magento_encrypted_card_numbers_count_as_encrypted_until_the_key_is_taken(store):
    safe = resolve(store["url"], compromised_tables=["sales_order_payment"])
    assert any("user.financial.credit_card" in e for e in safe["encrypted_elements"])
    taken = resolve(store["url"], compromised_tables=["sales_order_payment"], key_compromised=True)
    assert not any("user.financial.credit_card" in e for e in taken["encrypted_elements"])
    groups = affected_groups(
        taken,
        validate_trigger(
            {
                "incident_id": "INC-S",
                "discovered_at": "2026-11-01T00:00:00Z",
                "compromised_tables": ["sales_order_payment"],
                "key_compromised": True,
            }
        ),
    )
    assert sum(g["count"] for g in groups) == len(taken)


def test_orders_window_selects_the_buyers_of_that_window(store):
    (latest,) = query(store["url"], "SELECT MAX(created_at) FROM sales_order")[0]
    latest = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
    start, end = ((latest - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ") for days in (20, 0))
    individuals = resolve(
        store["url"],
        scope_kind="orders_window",
        window_start=start,
        window_end=end,
        compromised_tables=["sales_order", "sales_order_address"],
    )
    expected = {
        r[0]
        for r in query(
            store["url"],
            f"SELECT DISTINCT COALESCE(c.email, o.customer_email) FROM sales_order o "
            f"LEFT JOIN customer_entity c ON c.entity_id = o.customer_id "
            f"WHERE o.created_at >= '{start[:19].replace('T', ' ')}' AND o.created_at <= '{end[:19].replace('T', ' ')}'",
        )
    }
    assert set(individuals["person"]) == expected and len(expected) > 10


def test_a_list_of_emails_scopes_exactly_those_people(store):
    emails = [r[0] for r in query(store["url"], "SELECT email FROM customer_entity ORDER BY entity_id LIMIT 4")]
    guests = query(store["url"], "SELECT DISTINCT customer_email FROM sales_order WHERE customer_id IS NULL")
    emails += sorted(r[0] for r in guests if ".g" in r[0])[:2]
    individuals = resolve(
        store["url"],
        scope_kind="lake_file",
        scope_file="incidents/_inputs/INC-SCOPE/list.csv.enc",
        scope_file_kind="emails",
        keys=emails,
    )
    assert set(individuals["person"]) == set(emails)


def test_new_scope_makes_a_new_version_and_an_unchanged_one_does_not(store, tmp_path):
    import json

    from include.incident import tasks as incident_run
    from include.lake.store import open_lake

    lake = open_lake((tmp_path / "lake").as_uri())
    base = {"incident_id": "INC-VER", "discovered_at": "2026-11-01T00:00:00Z"}
    first = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity"]}), "run-1", url=store["url"], lake=lake
    )
    again = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity"]}), "run-2", url=store["url"], lake=lake
    )
    grown = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity", "sales_order"]}),
        "run-3",
        url=store["url"],
        lake=lake,
    )
    assert (first["version"], first["new_version"]) == (1, True)
    assert (again["version"], again["new_version"]) == (1, False)
    assert (grown["version"], grown["new_version"]) == (2, True)
    v1 = json.loads(lake.get("incidents/INC-VER/v1/summary.json"))
    v2 = json.loads(lake.get("incidents/INC-VER/v2/summary.json"))
    assert v2["changes_from_previous"]["from_version"] == 1
    assert v2["changes_from_previous"]["individuals"] == v2["individuals"] - v1["individuals"] > 0
    retried = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity", "sales_order"]}),
        "run-3",
        url=store["url"],
        lake=lake,
    )
    assert retried["version"] == 2


def test_scope_falls_back_to_the_scan_snapshots_when_the_store_is_unreachable(store, tmp_path):
    from include.incident import snapshots, versions
    from include.incident import tasks as incident_run
    from include.lake.store import open_lake
    from include.scan import tasks as scan

    lake = open_lake((tmp_path / "lake").as_uri())
    for table in snapshots.SNAPSHOT_TABLES:
        scan.scan_table(table, "snap-1", url=store["url"], lake=lake, bucket_rows=500)
    trigger = validate_trigger(
        {
            "incident_id": "INC-SNAP",
            "discovered_at": "2026-11-01T00:00:00Z",
            "compromised_tables": ["customer_entity", "sales_order"],
        }
    )
    offline = incident_run.resolve_scope(trigger, "run-1", url="mysql+pymysql://root@127.0.0.1:9/none", lake=lake)
    assert offline["source"] == "lake_snapshots"
    online = resolve(store["url"], compromised_tables=["customer_entity", "sales_order"])
    from_snapshots = versions.read_individuals(lake, "incidents/INC-SNAP/v1/affected.parquet.enc")
    assert set(from_snapshots["person"]) == set(online["person"])
    assert dict(zip(from_snapshots["person"], from_snapshots["jurisdiction"], strict=True)) == dict(
        zip(online["person"], online["jurisdiction"], strict=True)
    )
