"""Orders: sales_order with its gift message, addresses, status history, grid row, invoices, shipments and credit memos."""

from __future__ import annotations

from datetime import datetime, timedelta

from include.demo.store.config import FIRST_NAMES, LENDING_GROUP_ID, QUOTE_LIFETIME_DAYS
from include.demo.store.payments import PaymentsMixin
from include.demo.store.quotes import QuotesMixin
from include.demo.store.records import Buyer, Person, PlacedOrder

# base table, grid table, share of orders that have one
ORDER_DOCUMENTS = (
    ("sales_invoice", "sales_invoice_grid", 0.7),
    ("sales_shipment", "sales_shipment_grid", 0.6),
    ("sales_creditmemo", "sales_creditmemo_grid", 0.05),
)


def _full_name(person: Person) -> str:
    """First and last name, as the grids show them."""
    return f"{person['firstname']} {person['lastname']}"


def _flat_address(address: Person) -> str:
    """An address on one line, comma-separated, as the sales grids hold it."""
    return f"{address['street'].replace(chr(10), ' ')},{address['city']},{address['region'] or ''},{address['postcode']}"


class OrdersMixin(PaymentsMixin, QuotesMixin):
    """Writes one order and every row Magento keeps about it."""

    def write_order(self, order_at: datetime, buyer: Buyer) -> None:
        """An order with addresses, payment, transaction, history, grids, documents and its converted quote."""
        rng = self.rng
        order_id = self.next_id("sales_order")
        person = buyer.person
        billing = buyer.addresses[0][1] if buyer.addresses else person
        shipping = buyer.addresses[-1][1] if buyer.addresses else person
        grand_total = round(rng.uniform(20, 5000), 2)
        updated_at = self.clamp(order_at + timedelta(hours=rng.randint(0, 72)))
        order = PlacedOrder(order_id, f"{order_id:09d}", order_at, buyer, billing, shipping, grand_total)
        gift_message_id = self._write_gift_message(order)
        self._plant_copied_minimisation(order)
        self._write_sales_order(order, updated_at, gift_message_id)
        address_ids = self._write_order_addresses(order)
        self.write_payment(order)
        self._write_status_history(order)
        self._write_order_grid_row(order, updated_at)
        for base_table, grid_table, share in ORDER_DOCUMENTS:
            if rng.random() >= share:
                continue
            self._write_order_document(order, base_table, grid_table, address_ids)
        if (self.now - order_at).days <= QUOTE_LIFETIME_DAYS:
            self.write_quote(order)

    def _write_gift_message(self, order: PlacedOrder) -> int | None:
        """About 5% of orders carry a gift message (free text, so it may hold a planted card number); returns its id."""
        if self.rng.random() >= 0.05:
            return None
        gift_message_id = self.next_id("gift_message")
        self.writer.add(
            "gift_message",
            {
                "gift_message_id": gift_message_id,
                "customer_id": order.buyer.customer_id or 0,
                "sender": order.buyer.person["firstname"],
                "recipient": self.rng.choice(FIRST_NAMES),
                "message": self.free_text("gift_message", "message", gift_message_id),
            },
        )
        return gift_message_id

    def _plant_copied_minimisation(self, order: PlacedOrder) -> None:
        """The order copies the customer's dob and taxvat: a planted problem again unless the buyer is a lending client."""
        buyer = order.buyer
        if buyer.group_id != LENDING_GROUP_ID:
            for column, value in (("customer_dob", buyer.dob), ("customer_taxvat", buyer.taxvat)):
                if value is not None:
                    self.manifest.plant("sales_order", column, "minimisation", "minimisation_policy", order.order_id)

    def _write_sales_order(self, order: PlacedOrder, updated_at: datetime, gift_message_id: int | None) -> None:
        """The sales_order row (its customer note is free text, so it may hold a planted card number)."""
        rng, buyer, person = self.rng, order.buyer, order.buyer.person
        self.writer.add(
            "sales_order",
            {
                "entity_id": order.order_id,
                "state": "processing",
                "status": "processing",
                "protect_code": f"{rng.getrandbits(24):06x}",
                "store_id": buyer.store_id,
                "customer_id": buyer.customer_id,
                "customer_group_id": buyer.group_id,
                "customer_is_guest": int(buyer.is_guest),
                "customer_note_notify": 0,
                "base_grand_total": order.grand_total,
                "grand_total": order.grand_total,
                "base_currency_code": "USD",
                "order_currency_code": "USD",
                "increment_id": order.increment_id,
                "customer_email": buyer.email,
                "customer_firstname": person["firstname"],
                "customer_lastname": person["lastname"],
                "customer_dob": buyer.dob,
                "customer_taxvat": buyer.taxvat,
                "customer_gender": None,
                "customer_note": self.free_text("sales_order", "customer_note", order.order_id) if rng.random() < 0.1 else None,
                "remote_ip": f"203.0.113.{rng.randint(1, 254)}",
                "x_forwarded_for": None,
                "gift_message_id": gift_message_id,
                "created_at": order.order_at,
                "updated_at": updated_at,
                "total_item_count": rng.randint(1, 5),
                "store_name": "Main Website\nMain Website Store\nDefault Store View",
            },
        )

    def _write_order_addresses(self, order: PlacedOrder) -> dict[str, int]:
        """The order's billing and shipping addresses; returns their ids by address type."""
        address_ids = {}
        for address_type, address in (("billing", order.billing), ("shipping", order.shipping)):
            address_id = self.next_id("sales_order_address")
            address_ids[address_type] = address_id
            self.writer.add(
                "sales_order_address",
                {
                    "entity_id": address_id,
                    "parent_id": order.order_id,
                    "customer_address_id": None,
                    "quote_address_id": None,
                    "region_id": address["region_id"],
                    "customer_id": order.buyer.customer_id,
                    "fax": None,
                    "region": address["region"],
                    "postcode": address["postcode"],
                    "lastname": address["lastname"],
                    "street": address["street"],
                    "city": address["city"],
                    "email": order.buyer.email,
                    "telephone": address["telephone"],
                    "country_id": address["country_id"],
                    "firstname": address["firstname"],
                    "address_type": address_type,
                    "prefix": None,
                    "middlename": None,
                    "suffix": None,
                    "company": address["company"],
                    "vat_id": None,
                },
            )
        return address_ids

    def _write_status_history(self, order: PlacedOrder) -> None:
        """One or two status comments (free text, so they may hold a planted card number)."""
        rng = self.rng
        for _ in range(1 if rng.random() < 0.8 else 2):
            history_id = self.next_id("sales_order_status_history")
            self.writer.add(
                "sales_order_status_history",
                {
                    "entity_id": history_id,
                    "parent_id": order.order_id,
                    "is_customer_notified": 0,
                    "is_visible_on_front": 0,
                    "comment": self.free_text("sales_order_status_history", "comment", history_id),
                    "status": "processing",
                    "created_at": self.clamp(order.order_at + timedelta(hours=rng.randint(0, 48))),
                    "entity_name": "order",
                },
            )

    def _write_order_grid_row(self, order: PlacedOrder, updated_at: datetime) -> None:
        """sales_order_grid: the admin grid's denormalised copy of the order, its names and addresses."""
        buyer = order.buyer
        self.writer.add(
            "sales_order_grid",
            {
                "entity_id": order.order_id,
                "status": "processing",
                "store_id": buyer.store_id,
                "store_name": "Default Store View",
                "customer_id": buyer.customer_id,
                "base_grand_total": order.grand_total,
                "grand_total": order.grand_total,
                "increment_id": order.increment_id,
                "base_currency_code": "USD",
                "order_currency_code": "USD",
                "shipping_name": _full_name(order.shipping),
                "billing_name": _full_name(order.billing),
                "created_at": order.order_at,
                "updated_at": updated_at,
                "billing_address": _flat_address(order.billing),
                "shipping_address": _flat_address(order.shipping),
                "customer_email": buyer.email,
                "customer_group": str(buyer.group_id),
                "customer_name": _full_name(buyer.person),
                "payment_method": "checkmo",
            },
        )

    def _write_order_document(self, order: PlacedOrder, base_table: str, grid_table: str, address_ids: dict[str, int]) -> None:
        """One invoice, shipment or credit memo and its grid row, a few days after the order."""
        buyer = order.buyer
        document_id = self.next_id(base_table)
        created = self.clamp(order.order_at + timedelta(days=self.rng.randint(0, 5)))
        base = {
            "entity_id": document_id,
            "store_id": buyer.store_id,
            "order_id": order.order_id,
            "increment_id": f"{document_id:09d}",
            "created_at": created,
            "updated_at": created,
            "billing_address_id": address_ids["billing"],
            "shipping_address_id": address_ids["shipping"],
        }
        if base_table == "sales_shipment":
            base.update({"customer_id": buyer.customer_id, "total_qty": 1})
        else:
            base.update({"grand_total": order.grand_total, "base_grand_total": order.grand_total})
        self.writer.add(base_table, base)
        grid = {
            "entity_id": document_id,
            "increment_id": f"{document_id:09d}",
            "store_id": buyer.store_id,
            "order_id": order.order_id,
            "order_increment_id": order.increment_id,
            "order_created_at": order.order_at,
            "customer_name": _full_name(buyer.person),
            "customer_email": buyer.email,
            "billing_name": _full_name(order.billing),
            "billing_address": _flat_address(order.billing),
            "shipping_address": _flat_address(order.shipping),
            "created_at": created,
            "updated_at": created,
        }
        if grid_table == "sales_shipment_grid":
            grid["shipping_name"] = _full_name(order.shipping)
        self.writer.add(grid_table, grid)
