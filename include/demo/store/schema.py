"""The store's schema: the Magento tables the generator fills, the third-party table it plants, creating and emptying them."""

from __future__ import annotations

import sqlalchemy as sa

from include.magento.schema import magento_tables, mariadb_ddl_statements, sqlite_ddl

SEEDED_TABLES = (
    "store_website",
    "store_group",
    "store",
    "core_config_data",
    "customer_group",
    "directory_country",
    "directory_country_region",
    "eav_entity_type",
    "eav_attribute",
    "customer_eav_attribute",
    "customer_entity",
    "customer_entity_varchar",
    "customer_address_entity",
    "customer_grid_flat",
    "customer_log",
    "customer_visitor",
    "newsletter_subscriber",
    "vault_payment_token",
    "paypal_billing_agreement",
    "sales_order",
    "sales_order_address",
    "sales_order_payment",
    "sales_payment_transaction",
    "sales_order_status_history",
    "sales_order_grid",
    "sales_invoice",
    "sales_invoice_grid",
    "sales_shipment",
    "sales_shipment_grid",
    "sales_creditmemo",
    "sales_creditmemo_grid",
    "gift_message",
    "quote",
    "quote_address",
    "quote_payment",
    "admin_user",
    "admin_user_session",
    "oauth_consumer",
    "oauth_token",
    "integration",
    "password_reset_request_event",
    "magento_login_as_customer_log",
    "authorization_role",
    "authorization_rule",
    "cms_block",
    "cms_page",
)
THIRD_PARTY_TABLE = "acme_kyc_document"
THIRD_PARTY_DDL = {
    "sqlite": (
        f'CREATE TABLE IF NOT EXISTS "{THIRD_PARTY_TABLE}" ("document_id" INTEGER PRIMARY KEY, "customer_id" INTEGER, '
        '"passport_number" TEXT, "ssn_last4" TEXT, "scan_uploaded_at" TEXT)'
    ),
    "mysql": (
        f"CREATE TABLE IF NOT EXISTS `{THIRD_PARTY_TABLE}` (`document_id` int UNSIGNED NOT NULL AUTO_INCREMENT, "
        "`customer_id` int UNSIGNED NULL, `passport_number` varchar(32) NULL, `ssn_last4` varchar(4) NULL, "
        "`scan_uploaded_at` timestamp NULL, PRIMARY KEY (`document_id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    ),
}


def ensure_schema(engine: sa.Engine) -> None:
    """Create the Magento tables when the target has none yet (SQLite from the translated DDL, MariaDB from the real DDL)."""
    if sa.inspect(engine).has_table("customer_entity"):
        return
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for table in magento_tables().values():
                for statement in sqlite_ddl(table):
                    connection.exec_driver_sql(statement)
        else:
            for statement in mariadb_ddl_statements():
                connection.exec_driver_sql(statement)


def reset_tables(engine: sa.Engine) -> None:
    """Empty every table the generator fills, so a rerun never duplicates a row."""
    quote = engine.dialect.identifier_preparer.quote
    inspector = sa.inspect(engine)
    with engine.begin() as connection:
        if engine.dialect.name != "sqlite":
            connection.exec_driver_sql("SET SESSION foreign_key_checks=0")
        for table in SEEDED_TABLES:
            verb = "DELETE FROM" if engine.dialect.name == "sqlite" else "TRUNCATE TABLE"
            connection.exec_driver_sql(f"{verb} {quote(table)}")
        if inspector.has_table(THIRD_PARTY_TABLE):
            connection.exec_driver_sql(f"DROP TABLE {quote(THIRD_PARTY_TABLE)}")
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")
