"""Planting after the fact: orphaned grid rows left by deletions, a deleted customer, and a third-party module's table."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from include.demo.store.base import GeneratorBase
from include.demo.store.schema import THIRD_PARTY_DDL, THIRD_PARTY_TABLE

# Manifest.planted: (table, column, kind, check) -> primary keys
Planted = dict[tuple[str, str, str, str], list[Any]]
# base table, grid table: the order documents whose grid rows outlive a deleted order
ORDER_DOCUMENT_GRIDS = (
    ("sales_invoice", "sales_invoice_grid"),
    ("sales_shipment", "sales_shipment_grid"),
    ("sales_creditmemo", "sales_creditmemo_grid"),
)
# table, column holding the order id: every row deleting an order removes, the order itself last
ORDER_ROWS = (
    ("sales_order_address", "parent_id"),
    ("sales_order_payment", "parent_id"),
    ("sales_payment_transaction", "order_id"),
    ("sales_order_status_history", "parent_id"),
    ("sales_invoice", "order_id"),
    ("sales_shipment", "order_id"),
    ("sales_creditmemo", "order_id"),
    ("sales_order", "entity_id"),
)
# table, column holding the customer id: every row deleting a customer removes, the customer itself last
CUSTOMER_ROWS = (
    ("customer_address_entity", "parent_id"),
    ("customer_entity_varchar", "entity_id"),
    ("vault_payment_token", "customer_id"),
    ("paypal_billing_agreement", "customer_id"),
    ("customer_entity", "entity_id"),
)


class PlantingMixin(GeneratorBase):
    """Plants the problems that need the whole store written first; does nothing without violations."""

    def plant_orphans(self) -> None:
        """Delete some base orders and customers, leaving their grid rows (and PII) behind, as a failed cleanup does."""
        if self.config.violations <= 0:
            return
        quote = self.engine.dialect.identifier_preparer.quote
        orders = max(1, int(self.ids["sales_order"] * self.config.violations / 4))
        for order_id in self.rng.sample(range(1, self.ids["sales_order"] + 1), orders):
            for base_table, grid_table in ORDER_DOCUMENT_GRIDS:
                for document_id in self.query_ids(f"SELECT entity_id FROM {quote(base_table)} WHERE order_id = {order_id}"):
                    self.manifest.plant(grid_table, "entity_id", "orphaned_pii", "grid_row_without_base_row", document_id)
            for table, column in ORDER_ROWS:
                self.writer.execute(f"DELETE FROM {quote(table)} WHERE {quote(column)} = ?", (order_id,))
            self.manifest.plant("sales_order_grid", "entity_id", "orphaned_pii", "grid_row_without_base_row", order_id)
        self.manifest.planted = defaultdict(list, self._drop_deleted_order_children(self.manifest.planted))
        customer_id = self.ids["customer_entity"]
        if customer_id:
            self.delete_customer(customer_id)
            self.manifest.plant("customer_grid_flat", "entity_id", "orphaned_pii", "grid_row_without_base_row", customer_id)

    def delete_customer(self, customer_id: int) -> None:
        """What deleting a customer does at the database level (PII-MAP.md section 8), leaving its grid row behind."""
        quote = self.engine.dialect.identifier_preparer.quote
        value_ids = self.query_ids(
            f"SELECT value_id FROM {quote('customer_entity_varchar')} WHERE entity_id = {int(customer_id)}"
        )
        for table, column in CUSTOMER_ROWS:
            self.writer.execute(f"DELETE FROM {quote(table)} WHERE {quote(column)} = ?", (customer_id,))
        self.writer.execute(
            f"UPDATE {quote('sales_order')} SET {quote('customer_id')} = NULL WHERE {quote('customer_id')} = ?", (customer_id,)
        )
        for (table, *_), keys in self.manifest.planted.items():
            gone = (
                {customer_id} if table == "customer_entity" else set(value_ids) if table == "customer_entity_varchar" else set()
            )
            keys[:] = [k for k in keys if k not in gone]

    def query_ids(self, sql: str) -> list[int]:
        """First column of a query on the store, after everything queued is written."""
        self.writer.flush()
        with self.engine.connect() as connection:
            return [row[0] for row in connection.exec_driver_sql(sql)]

    def _drop_deleted_order_children(self, planted: Planted) -> Planted:
        """Planted problems in rows the orphan step deleted are no longer in the store."""
        quote = self.engine.dialect.identifier_preparer.quote
        key_columns = {
            "sales_order_payment": "entity_id",
            "sales_payment_transaction": "transaction_id",
            "sales_order_status_history": "entity_id",
            "sales_order": "entity_id",
        }
        remaining: Planted = {}
        with self.engine.connect() as connection:
            for slot, keys in planted.items():
                table = slot[0]
                if table in key_columns and keys:
                    present: set[Any] = set()
                    column = key_columns[table]
                    for start in range(0, len(keys), 1000):
                        chunk = keys[start : start + 1000]
                        in_list = ", ".join(str(int(k)) for k in chunk)
                        sql = f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} IN ({in_list})"
                        rows = connection.exec_driver_sql(sql)
                        present.update(row[0] for row in rows)
                    remaining[slot] = [k for k in keys if k in present]
                else:
                    remaining[slot] = keys
        return remaining

    def plant_third_party_table(self) -> None:
        """A KYC module's own table, holding passport numbers the PII map does not know about."""
        if self.config.violations <= 0:
            return
        dialect = "sqlite" if self.engine.dialect.name == "sqlite" else "mysql"
        self.writer.execute(THIRD_PARTY_DDL[dialect])
        for customer_id in range(1, min(self.ids["customer_entity"], 50) + 1, 5):
            document_id = self.next_id(THIRD_PARTY_TABLE)
            self.writer.add(
                THIRD_PARTY_TABLE,
                {
                    "document_id": document_id,
                    "customer_id": customer_id,
                    "passport_number": f"{self.rng.choice('ABCEFGHK')}{self.rng.randint(10**7, 10**8 - 1)}",
                    "ssn_last4": f"{self.rng.randint(0, 9999):04d}",
                    "scan_uploaded_at": self.timestamp(0, 400),
                },
            )
            for column in ("passport_number", "ssn_last4"):
                self.manifest.plant(THIRD_PARTY_TABLE, column, "schema_drift", "unmapped_column", document_id)
