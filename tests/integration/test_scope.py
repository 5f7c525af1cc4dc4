"""Scope resolution on MariaDB with the real schema matches independent SQL, guest orders merged by email."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from include.incident import validate_trigger
from include.magento.geography import EEA_COUNTRIES
from include.pii_map import load_pii_map
from include.scope import ScopeResolver, affected_groups
from include.source import create_source_engine

pytestmark = pytest.mark.mariadb
TABLES = ["customer_entity", "customer_address_entity", "sales_order", "sales_order_address", "sales_order_payment"]


def resolve(url: str, keys: list[str] | None = None, **trigger) -> object:
    conf = {"incident_id": "INC-SCOPE", "discovered_at": "2026-11-01T00:00:00Z", "compromised_tables": TABLES, **trigger}
    engine = create_source_engine(url)
    try:
        return ScopeResolver(engine, load_pii_map(), validate_trigger(conf), keys).resolve().individuals
    finally:
        engine.dispose()


def query(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.exec_driver_sql(sql)]
    engine.dispose()
    return rows


def expected_jurisdiction(country: str | None, code: str | None) -> str:
    if not country:
        return "UNKNOWN"
    if country == "US":
        return f"US-{code}" if code else "UNKNOWN"
    return f"EU-{country}" if country in EEA_COUNTRIES else f"OTHER-{country}"


def test_whole_store_scope_matches_independent_sql(seeded_store):
    individuals = resolve(seeded_store["url"])
    expected = {
        r[0]
        for r in query(
            seeded_store["url"],
            "SELECT LOWER(TRIM(email)) FROM customer_entity UNION "
            "SELECT LOWER(TRIM(customer_email)) FROM sales_order WHERE customer_id IS NULL",
        )
    }
    assert set(individuals["person"]) == expected
    assert individuals["person"].is_unique


def test_guest_orders_with_a_customers_email_are_merged_into_that_customer(seeded_store):
    merged = query(
        seeded_store["url"],
        "SELECT DISTINCT c.entity_id FROM sales_order o "
        "JOIN customer_entity c ON LOWER(TRIM(o.customer_email)) = LOWER(TRIM(c.email)) "
        "WHERE o.customer_id IS NULL",
    )
    assert len(merged) >= 5, "the seed must reuse customer emails on guest orders"
    individuals = resolve(seeded_store["url"]).set_index("person")
    accounts = dict(query(seeded_store["url"], "SELECT entity_id, LOWER(TRIM(email)) FROM customer_entity"))
    for (customer_id,) in merged:
        assert customer_id in individuals.loc[accounts[customer_id], "customer_ids"]


def test_residency_comes_from_the_default_billing_address(seeded_store):
    individuals = resolve(seeded_store["url"]).set_index("person")
    rows = query(
        seeded_store["url"],
        "SELECT LOWER(TRIM(c.email)), a.country_id, r.code FROM customer_entity c "
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


def test_exposed_elements_follow_what_the_tables_hold(seeded_store):
    individuals = resolve(seeded_store["url"]).set_index("person")
    with_card = {
        r[0]
        for r in query(
            seeded_store["url"],
            "SELECT DISTINCT LOWER(TRIM(o.customer_email)) FROM sales_order_payment p "
            "JOIN sales_order o ON o.entity_id = p.parent_id "
            "WHERE o.customer_id IS NULL AND p.cc_number_enc IS NOT NULL AND p.cc_number_enc <> ''",
        )
    }
    for email in list(with_card)[:50]:
        assert "user.financial.credit_card" in individuals.loc[email, "data_elements"]
    guests_only = set(individuals.index) - {
        r[0] for r in query(seeded_store["url"], "SELECT LOWER(TRIM(email)) FROM customer_entity")
    }
    assert all("user.authorization.password" not in individuals.loc[g, "data_elements"] for g in guests_only)


def test_magento_encrypted_card_numbers_count_as_encrypted_until_the_key_is_taken(seeded_store):
    safe = resolve(seeded_store["url"], compromised_tables=["sales_order_payment"])
    assert any("user.financial.credit_card" in e for e in safe["encrypted_elements"])
    taken = resolve(seeded_store["url"], compromised_tables=["sales_order_payment"], key_compromised=True)
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


def test_orders_window_selects_the_buyers_of_that_window(seeded_store):
    start, end = query(
        seeded_store["url"],
        "SELECT DATE_FORMAT(MAX(created_at) - INTERVAL 20 DAY, '%%Y-%%m-%%dT%%H:%%i:%%sZ'), "
        "DATE_FORMAT(MAX(created_at), '%%Y-%%m-%%dT%%H:%%i:%%sZ') FROM sales_order",
    )[0]
    individuals = resolve(
        seeded_store["url"],
        scope_kind="orders_window",
        window_start=start,
        window_end=end,
        compromised_tables=["sales_order", "sales_order_address"],
    )
    expected = {
        r[0]
        for r in query(
            seeded_store["url"],
            f"SELECT DISTINCT COALESCE(LOWER(TRIM(c.email)), LOWER(TRIM(o.customer_email))) FROM sales_order o "
            f"LEFT JOIN customer_entity c ON c.entity_id = o.customer_id "
            f"WHERE o.created_at >= '{start[:19].replace('T', ' ')}' AND o.created_at <= '{end[:19].replace('T', ' ')}'",
        )
    }
    assert set(individuals["person"]) == expected and len(expected) > 10


def test_a_list_of_emails_scopes_exactly_those_people(seeded_store):
    emails = [
        r[0] for r in query(seeded_store["url"], "SELECT LOWER(TRIM(email)) FROM customer_entity ORDER BY entity_id LIMIT 4")
    ]
    emails += [
        r[0]
        for r in query(
            seeded_store["url"],
            "SELECT DISTINCT LOWER(TRIM(customer_email)) FROM sales_order "
            "WHERE customer_id IS NULL AND customer_email LIKE '%%.g%%' LIMIT 2",
        )
    ]
    individuals = resolve(
        seeded_store["url"],
        scope_kind="lake_file",
        scope_file="incidents/_inputs/INC-SCOPE/list.csv",
        scope_file_kind="emails",
        keys=emails,
    )
    assert set(individuals["person"]) == set(emails)


def test_new_scope_makes_a_new_version_and_an_unchanged_one_does_not(seeded_store, tmp_path):
    import json

    from include import incident_run
    from include.lake import open_lake

    lake = open_lake((tmp_path / "lake").as_uri())
    base = {"incident_id": "INC-VER", "discovered_at": "2026-11-01T00:00:00Z"}
    first = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity"]}), "run-1", url=seeded_store["url"], lake=lake
    )
    again = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity"]}), "run-2", url=seeded_store["url"], lake=lake
    )
    grown = incident_run.resolve_scope(
        validate_trigger({**base, "compromised_tables": ["customer_entity", "sales_order"]}),
        "run-3",
        url=seeded_store["url"],
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
        url=seeded_store["url"],
        lake=lake,
    )
    assert retried["version"] == 2


def test_scope_falls_back_to_the_scan_snapshots_when_the_store_is_unreachable(seeded_store, tmp_path):
    from include import incident_run, scan
    from include.lake import open_lake

    lake = open_lake((tmp_path / "lake").as_uri())
    for table in incident_run.SNAPSHOT_TABLES:
        scan.scan_table(table, "snap-1", url=seeded_store["url"], lake=lake, bucket_rows=500)
    trigger = validate_trigger(
        {
            "incident_id": "INC-SNAP",
            "discovered_at": "2026-11-01T00:00:00Z",
            "compromised_tables": ["customer_entity", "sales_order"],
        }
    )
    offline = incident_run.resolve_scope(trigger, "run-1", url="mysql+pymysql://root@127.0.0.1:9/none", lake=lake)
    assert offline["source"] == "lake_snapshots"
    online = resolve(seeded_store["url"], compromised_tables=["customer_entity", "sales_order"])
    from_snapshots = incident_run.read_individuals(lake, "incidents/INC-SNAP/v1/affected.parquet.enc")
    assert set(from_snapshots["person"]) == set(online["person"])
    assert dict(zip(from_snapshots["person"], from_snapshots["jurisdiction"], strict=True)) == dict(
        zip(online["person"], online["jurisdiction"], strict=True)
    )
