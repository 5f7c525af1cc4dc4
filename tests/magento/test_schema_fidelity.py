"""Everything the project reads or writes exists in the real Magento 2.4.8 schema, in MariaDB and in SQLite alike."""

from __future__ import annotations

import sqlalchemy as sa

from include.demo.store import SEEDED_TABLES, THIRD_PARTY_TABLE, SeedConfig, ensure_schema, seed_store
from include.magento.schema import TEXT_TYPES, magento_tables
from include.pii.map import load_pii_map

pytestmark = [__import__("pytest").mark.mariadb]


def live_catalogue(url: str) -> dict[str, dict[str, tuple[str, int | None]]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE()"
        ).fetchall()
    engine.dispose()
    catalogue: dict[str, dict[str, tuple[str, int | None]]] = {}
    for table, column, data_type, length in rows:
        catalogue.setdefault(table, {})[column] = (data_type, length)
    return catalogue


def test_vendored_ddl_loads_every_table(magento_schema_db):
    catalogue = live_catalogue(magento_schema_db)
    assert len(catalogue) == 365
    assert set(catalogue) == set(magento_tables())


def test_seeding_in_strict_mode_fits_every_column(magento_schema_db):
    manifest = seed_store(magento_schema_db, SeedConfig(customers=150, violations=0.05, seed=3, strict_sql=True)).to_dict()
    catalogue = live_catalogue(magento_schema_db)
    written = set(manifest["rows"]) - {THIRD_PARTY_TABLE}
    assert written <= set(SEEDED_TABLES)
    assert written <= set(catalogue)
    engine = sa.create_engine(magento_schema_db)
    with engine.connect() as connection:
        for table, count in manifest["rows"].items():
            if table in (
                "sales_order",
                "sales_order_address",
                "sales_order_payment",
                "sales_payment_transaction",
                "sales_order_status_history",
                "sales_invoice",
                "sales_shipment",
                "sales_creditmemo",
                "customer_entity",
                "customer_address_entity",
                "customer_entity_varchar",
                "vault_payment_token",
                "paypal_billing_agreement",
            ):
                continue  # the orphan step deletes some of these rows on purpose
            assert connection.exec_driver_sql(f"SELECT COUNT(*) FROM `{table}`").scalar() == count, table
    engine.dispose()


def test_every_mapped_column_exists_with_a_compatible_type(magento_schema_db):
    catalogue = live_catalogue(magento_schema_db)
    for name, spec in load_pii_map().tables.items():
        assert name in catalogue, name
        for column in spec.extract_columns:
            assert column in catalogue[name], f"{name}.{column}"
        for column in spec.columns.values():
            data_type, length = catalogue[name][column.name]
            if column.encrypted:
                assert data_type in TEXT_TYPES or data_type == "text", f"{name}.{column.name} must hold text ciphertext"
                assert length is None or length >= 84, f"{name}.{column.name} too short for a 0:3: token"
            if column.free_text:
                assert data_type in TEXT_TYPES or data_type in ("text", "mediumtext", "blob"), f"{name}.{column.name}"
        for alias, parent_column in spec.parent_context.items():
            assert parent_column in catalogue[spec.parent.table], f"{spec.parent.table}.{parent_column} ({alias})"


def test_embedded_sqlite_store_has_the_same_tables_and_columns(magento_schema_db, tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    ensure_schema(engine)
    inspector = sa.inspect(engine)
    sqlite_tables = {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}
    engine.dispose()
    mariadb_tables = {t: set(cols) for t, cols in live_catalogue(magento_schema_db).items() if t != THIRD_PARTY_TABLE}
    assert {t for t in sqlite_tables if t != THIRD_PARTY_TABLE} == set(mariadb_tables)
    for table, columns in mariadb_tables.items():
        assert sqlite_tables[table] == columns, table


def test_foreign_keys_between_seeded_rows_hold(magento_schema_db):
    """Seeded rows reference rows that exist (except the orphans planted on purpose, which have no FK)."""
    engine = sa.create_engine(magento_schema_db)
    with engine.connect() as connection:
        constraints = connection.exec_driver_sql(
            "SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM "
            "information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL"
        ).fetchall()
        checked = 0
        for table, column, ref_table, ref_column in constraints:
            if table not in SEEDED_TABLES or ref_table not in SEEDED_TABLES:
                continue
            broken = connection.exec_driver_sql(
                f"SELECT COUNT(*) FROM `{table}` t LEFT JOIN `{ref_table}` r ON r.`{ref_column}` = t.`{column}` "
                f"WHERE t.`{column}` IS NOT NULL AND r.`{ref_column}` IS NULL"
            ).scalar()
            assert broken == 0, f"{table}.{column} -> {ref_table}.{ref_column}: {broken} dangling"
            checked += 1
    engine.dispose()
    assert checked >= 15
