"""Quotes: the converted cart behind a recent order, with its addresses and payment (where a stored CVV is planted)."""

from __future__ import annotations

import json
from datetime import timedelta

from include.demo.store.base import GeneratorBase
from include.demo.store.records import PlacedOrder


class QuotesMixin(GeneratorBase):
    """Writes the quote of an order still inside the quote lifetime (Magento purges older ones)."""

    def write_quote(self, order: PlacedOrder) -> None:
        """The converted cart behind an order: quote, its two addresses and its payment."""
        rng, buyer, person = self.rng, order.buyer, order.buyer.person
        quote_id = self.next_id("quote")
        self.writer.add(
            "quote",
            {
                "entity_id": quote_id,
                "store_id": buyer.store_id,
                "created_at": order.order_at - timedelta(minutes=rng.randint(5, 600)),
                "updated_at": order.order_at,
                "converted_at": order.order_at,
                "is_active": 0,
                "items_count": 1,
                "items_qty": 1,
                "grand_total": order.grand_total,
                "base_grand_total": order.grand_total,
                "customer_id": buyer.customer_id,
                "customer_email": buyer.email,
                "customer_firstname": person["firstname"],
                "customer_lastname": person["lastname"],
                "customer_is_guest": int(buyer.is_guest),
                "customer_note": None,
                "remote_ip": f"203.0.113.{rng.randint(1, 254)}",
                "reserved_order_id": order.increment_id,
                "password_hash": None,
            },
        )
        self._write_quote_addresses(order, quote_id)
        self._write_quote_payment(order, quote_id)

    def _write_quote_addresses(self, order: PlacedOrder, quote_id: int) -> None:
        """The quote's billing and shipping addresses, as the order has them."""
        for address_type, address in (("billing", order.billing), ("shipping", order.shipping)):
            self.writer.add(
                "quote_address",
                {
                    "address_id": self.next_id("quote_address"),
                    "quote_id": quote_id,
                    "created_at": order.order_at,
                    "updated_at": order.order_at,
                    "customer_id": order.buyer.customer_id,
                    "address_type": address_type,
                    "email": order.buyer.email,
                    "firstname": address["firstname"],
                    "lastname": address["lastname"],
                    "company": address["company"],
                    "street": address["street"],
                    "city": address["city"],
                    "region": address["region"],
                    "region_id": address["region_id"],
                    "postcode": address["postcode"],
                    "country_id": address["country_id"],
                    "telephone": address["telephone"],
                },
            )

    def _write_quote_payment(self, order: PlacedOrder, quote_id: int) -> None:
        """The quote's card payment; a planted one keeps the (encrypted) CVV, which must never be stored."""
        payment_id = self.next_id("quote_payment")
        cid = None
        if self.violate("quote_payment", "cc_cid_enc", "cvv_not_stored"):
            cid = self.encrypt(f"{self.rng.randint(0, 999):03d}")
            self.manifest.plant("quote_payment", "cc_cid_enc", "stored_cvv", "cvv_not_stored", payment_id)
        self.writer.add(
            "quote_payment",
            {
                "payment_id": payment_id,
                "quote_id": quote_id,
                "created_at": order.order_at,
                "updated_at": order.order_at,
                "method": "payment_services_paypal_hosted_fields",
                "cc_type": None,
                "cc_number_enc": None,
                "cc_last_4": None,
                "cc_cid_enc": cid,
                "cc_owner": None,
                "additional_information": json.dumps({"method_title": "Credit Card"}),
            },
        )
