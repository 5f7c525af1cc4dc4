"""Payments: sales_order_payment and sales_payment_transaction, where planted card numbers and legacy ciphers hide."""

from __future__ import annotations

import json
from typing import Any

from include.demo.cards import make_pan
from include.demo.store.base import GeneratorBase
from include.demo.store.config import CARD_BRANDS
from include.demo.store.records import PlacedOrder
from include.magento import crypto

CARD_METHOD = "payment_services_paypal_hosted_fields"
PAYMENT_METHODS = (CARD_METHOD, "paypal_express", "checkmo")
PAYMENT_METHOD_WEIGHTS = (0.6, 0.3, 0.1)


class PaymentsMixin(GeneratorBase):
    """Writes an order's payment and, unless it is paid by check, its gateway transaction."""

    def write_payment(self, order: PlacedOrder) -> None:
        """sales_order_payment and, unless paid by check, its sales_payment_transaction."""
        payment_id = self.next_id("sales_order_payment")
        method = self.rng.choices(PAYMENT_METHODS, PAYMENT_METHOD_WEIGHTS)[0]
        row = {
            "entity_id": payment_id,
            "parent_id": order.order_id,
            "base_amount_ordered": order.grand_total,
            "amount_ordered": order.grand_total,
            "method": method,
            "cc_last_4": None,
            "cc_type": None,
            "cc_exp_month": None,
            "cc_exp_year": None,
            "cc_owner": None,
            "cc_number_enc": None,
            "additional_information": None,
            "last_trans_id": None,
        }
        info: dict[str, Any]
        if method == CARD_METHOD:
            info = self._fill_card_columns(row, payment_id)
        elif method == "paypal_express":
            info = {
                "method_title": "PayPal Express Checkout",
                "paypal_payer_id": self.gateway_id(13),
                "paypal_payer_email": order.buyer.email.strip().lower(),
                "paypal_payer_status": "verified",
                "paypal_correlation_id": f"{self.rng.getrandbits(48):012x}",
            }
        else:
            info = {"method_title": "Check / Money order"}
        self._add_card_number_or_near_miss(info, payment_id)
        row["additional_information"] = json.dumps(info)
        if method != "checkmo":
            row["last_trans_id"] = self._write_payment_transaction(order, payment_id)
        self.writer.add("sales_order_payment", row)

    def _fill_card_columns(self, row: dict[str, Any], payment_id: int) -> dict[str, Any]:
        """Set a card payment's cc_* columns (planting a full number or a weak cipher) and return its additional_information."""
        rng = self.rng
        brand, prefix, length = rng.choice(CARD_BRANDS)
        pan = make_pan(rng, prefix, length)
        row.update(
            cc_type=brand, cc_last_4=pan[-4:], cc_exp_month=str(rng.randint(1, 12)), cc_exp_year=str(rng.randint(2027, 2031))
        )
        if self.violate("sales_order_payment", "cc_last_4", "cc_last_4_format"):
            row["cc_last_4"] = pan
            self.manifest.plant("sales_order_payment", "cc_last_4", "plaintext_pan", "cc_last_4_format", payment_id)
            self.manifest.plant("sales_order_payment", "cc_last_4", "plaintext_pan", "no_card_number", payment_id)
        if self.violate("sales_order_payment", "cc_number_enc", "encrypted_any_cipher"):
            row["cc_number_enc"] = pan
            self.manifest.plant("sales_order_payment", "cc_number_enc", "unencrypted_value", "encrypted_any_cipher", payment_id)
            self.manifest.plant("sales_order_payment", "cc_number_enc", "plaintext_pan", "no_card_number", payment_id)
        elif self.violate("sales_order_payment", "cc_number_enc", "current_cipher"):
            row["cc_number_enc"] = crypto.legacy_ciphertext(rng.choice((0, 1, 2)), rng)
            self.manifest.plant("sales_order_payment", "cc_number_enc", "legacy_cipher", "current_cipher", payment_id)
        else:
            row["cc_number_enc"] = self.encrypt(pan[:6])
        return {
            "method_title": "Credit Card (Payment Services)",
            "cardBrand": brand,
            "cardLast4": pan[-4:],
            "paypal_order_id": self.gateway_id(17),
        }

    def _add_card_number_or_near_miss(self, info: dict[str, Any], payment_id: int) -> None:
        """Plant a pasted card number in additional_information, or now and then a long number that is not one."""
        if self.violate("sales_order_payment", "additional_information", "no_card_number"):
            info["cc_number"] = self.pan_text()
            self.manifest.plant("sales_order_payment", "additional_information", "plaintext_pan", "no_card_number", payment_id)
        elif self.rng.random() < 0.05:
            info["loyalty_reference"] = self.near_miss_number()
            self.manifest.near_misses[("sales_order_payment", "additional_information")].append(payment_id)

    def _write_payment_transaction(self, order: PlacedOrder, payment_id: int) -> str:
        """The gateway's capture transaction (its raw details may hold a planted card number); returns its txn_id."""
        txn_id = self.gateway_id(17)
        transaction_id = self.next_id("sales_payment_transaction")
        raw: dict[str, Any] = {"raw_details_info": {"status": "COMPLETED", "avs_code": self.rng.choice("YNAZ"), "id": txn_id}}
        if self.violate("sales_payment_transaction", "additional_information", "no_card_number"):
            raw["raw_details_info"]["card"] = self.pan_text()
            self.manifest.plant(
                "sales_payment_transaction", "additional_information", "plaintext_pan", "no_card_number", transaction_id
            )
        self.writer.add(
            "sales_payment_transaction",
            {
                "transaction_id": transaction_id,
                "parent_id": None,
                "order_id": order.order_id,
                "payment_id": payment_id,
                "txn_id": txn_id,
                "parent_txn_id": None,
                "txn_type": "capture",
                "is_closed": 1,
                "additional_information": json.dumps(raw).encode(),
                "created_at": order.order_at,
            },
        )
        return txn_id
