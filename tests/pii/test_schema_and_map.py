"""The vendored Magento schema, its SQLite translation, the PII map, the policy and the GX suites agree."""

from __future__ import annotations

import json
import sqlite3

import pytest

from include.magento.schema import magento_tables, sqlite_ddl
from include.pii.map import fideslang_categories, load_pii_map, load_policy
from include.scan.validation import SuiteError, build_suite, check_metas, suite_document, suites_dir


def test_schema_has_every_magento_table():
    tables = magento_tables()
    assert len(tables) == 365
    assert tables["customer_entity"].primary_key == ("entity_id",)
    assert tables["customer_entity"].columns["updated_at"].on_update_now


def test_sqlite_translation_keeps_on_update_timestamps():
    connection = sqlite3.connect(":memory:")
    for statement in sqlite_ddl(magento_tables()["customer_entity"]):
        connection.execute(statement)
    connection.execute(
        "INSERT INTO customer_entity (entity_id, email, updated_at) VALUES (1, 'a@example.com', '2000-01-01 00:00:00')"
    )
    connection.execute("UPDATE customer_entity SET lastname = 'x' WHERE entity_id = 1")
    assert connection.execute("SELECT updated_at FROM customer_entity").fetchone()[0] > "2020"


def test_map_uses_real_columns_and_current_fideslang_categories():
    tables = magento_tables()
    categories = fideslang_categories()
    assert "user.workplace" not in categories and "user.contact.url" not in categories  # deprecated keys
    for name, spec in load_pii_map().tables.items():
        for column in spec.extract_columns:
            assert column in tables[name].columns, f"{name}.{column}"
        for column in spec.columns.values():
            assert column.category in categories, f"{name}.{column.name}: {column.category}"


def test_map_covers_the_required_tables():
    required = [
        "customer_entity",
        "customer_address_entity",
        "customer_grid_flat",
        "customer_entity_varchar",
        "customer_entity_int",
        "customer_entity_text",
        "customer_entity_datetime",
        "customer_entity_decimal",
        "sales_order",
        "sales_order_address",
        "sales_order_payment",
        "sales_order_grid",
        "sales_invoice_grid",
        "sales_creditmemo_grid",
        "sales_shipment_grid",
        "sales_order_status_history",
        "sales_payment_transaction",
        "quote",
        "quote_address",
        "quote_payment",
        "newsletter_subscriber",
        "vault_payment_token",
        "admin_user",
        "admin_user_session",
        "oauth_consumer",
        "oauth_token",
        "integration",
        "customer_log",
        "customer_visitor",
        "password_reset_request_event",
        "magento_login_as_customer_log",
        "paypal_billing_agreement",
    ]
    assert set(required) <= set(load_pii_map().tables)


def test_suites_follow_the_map_and_the_policy():
    pii_map = load_pii_map()
    checks = {
        (m.table, m.column, m.check)
        for path in suites_dir().glob("*.json")
        if path.stem != "relational"
        for m in check_metas(path.stem)
    }
    for name, spec in pii_map.tables.items():
        for column in spec.columns.values():
            if column.encrypted and column.name != "cc_cid_enc":
                assert (name, column.name, "encrypted_any_cipher") in checks and (name, column.name, "current_cipher") in checks
            if column.free_text:
                assert (name, column.name, "no_card_number") in checks, f"{name}.{column.name}"
            if column.password_hash:
                assert (name, column.name, "password_hash_md5") in checks
    for rule in load_policy().minimisation:
        assert (rule.table, rule.column, "minimisation_policy") in checks
    assert ("quote_payment", "cc_cid_enc", "cvv_not_stored") in checks


@pytest.mark.parametrize("table", sorted(p.stem for p in suites_dir().glob("*.json") if p.stem != "relational"))
def test_every_suite_loads_completely(table):
    document = suite_document(table)
    suite = build_suite(document["name"], document["expectations"])
    assert len(suite.expectations) == len(document["expectations"])


def test_a_suite_with_an_unregistered_expectation_fails_loudly():
    configs = [{"type": "expect_column_values_to_be_quantum_safe", "kwargs": {"column": "x"}, "meta": {}}]
    with pytest.raises(SuiteError, match="0 of 1"):
        build_suite("broken", configs)


def test_relational_suite_selects_primary_keys_only():
    document = json.loads((suites_dir() / "relational.json").read_text())
    for expectation in document["expectations"]:
        query = expectation["kwargs"]["unexpected_rows_query"]
        assert query.startswith(("SELECT c.entity_id FROM", "SELECT g.entity_id FROM")) and "{batch}" in query
