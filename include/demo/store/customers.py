"""Customers: accounts, addresses, grid rows, sessions, newsletter, saved payment methods, and their orders and guest orders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from include.demo.store.config import (
    CARD_BRANDS,
    CUSTOM_ATTRIBUTE_CODE,
    CUSTOM_ATTRIBUTE_ID,
    EMAIL_DOMAINS,
    LAST_NAMES,
    LENDING_GROUP_ID,
    SPANISH_STORE_ID,
)
from include.demo.store.orders import OrdersMixin
from include.demo.store.records import Buyer, Person
from include.magento import crypto


@dataclass
class Account:
    """One registered customer as generated so far: the facts every row written for it repeats."""

    customer_id: int
    stale: bool
    created_at: datetime
    updated_at: datetime
    last_activity_days: int
    person: Person
    email: str
    group_id: int
    store_id: int
    dob: date | None = None
    taxvat: str | None = None
    addresses: list[tuple[int, Person]] = field(default_factory=list)

    @property
    def billing(self) -> Person | None:
        """The default billing address (the first saved one), if any."""
        return self.addresses[0][1] if self.addresses else None

    @property
    def shipping(self) -> Person | None:
        """The default shipping address (the last saved one), if any."""
        return self.addresses[-1][1] if self.addresses else None

    def as_buyer(self) -> Buyer:
        """This customer as the buyer of an order."""
        return Buyer(
            customer_id=self.customer_id,
            email=self.email,
            person=self.person,
            addresses=list(self.addresses),
            group_id=self.group_id,
            store_id=self.store_id,
            dob=self.dob,
            taxvat=self.taxvat,
        )


def _full_address(address: Person | None) -> str | None:
    """An address on one line, as customer_grid_flat's billing_full and shipping_full hold it."""
    if not address:
        return None
    return f"{address['street']} {address['city']} {address['region'] or ''} {address['postcode']}"


class CustomersMixin(OrdersMixin):
    """Writes registered customers (everything a customer account owns) and guest orders."""

    def write_customer(self, customer_id: int) -> None:
        """One registered customer with addresses, grid row, logs, newsletter, vault tokens and orders."""
        account = self._new_account(customer_id)
        account.dob, account.taxvat = self._birth_date_and_tax_id(customer_id, account.group_id)
        rp_token = self._customer_reset_token(customer_id)
        rp_token_created_at = self.timestamp(0, 30) if rp_token else None
        self._write_customer_addresses(account)
        self._write_customer_entity(account, rp_token, rp_token_created_at)
        self._write_custom_attribute_value(customer_id)
        self._write_customer_grid_row(account)
        self._write_customer_sessions(account)
        self._write_newsletter_subscription(account)
        self._write_vault_token(account)
        self._write_billing_agreement(account)
        self._write_customer_orders(account)

    def _new_account(self, customer_id: int) -> Account:
        """Dates (long inactive when planted as a retention problem), person, email, group and store view."""
        cfg, rng = self.config, self.rng
        stale = self.violate("customer_entity", "entity_id", "inactive_customer_retention")
        if stale:
            created_at = self.timestamp(cfg.retention_days + 400, cfg.retention_days + 2500)
            updated_at = self.clamp(created_at + timedelta(days=rng.randint(0, 60)))
            last_activity_days = (self.now - updated_at).days
            self.manifest.plant("customer_entity", "entity_id", "retention", "inactive_customer_retention", customer_id)
        else:
            created_at = self.timestamp(30, 2200)
            updated_at = max(created_at, self.timestamp(0, 600))
            last_activity_days = 600
        person = self.person()
        email = f"{person['firstname'].lower()}.{person['lastname'].lower()}.{customer_id}@{rng.choice(EMAIL_DOMAINS)}"
        email = email.replace("'", "")
        self.registered_emails.append(email)
        group_id = LENDING_GROUP_ID if rng.random() < 0.2 else 1
        store_id = SPANISH_STORE_ID if rng.random() < 0.12 else 1
        return Account(
            customer_id=customer_id,
            stale=stale,
            created_at=created_at,
            updated_at=updated_at,
            last_activity_days=last_activity_days,
            person=person,
            email=email,
            group_id=group_id,
            store_id=store_id,
        )

    def _random_birth_date(self, earliest_year: int) -> date:
        """A date of birth between earliest_year and 2004."""
        rng = self.rng
        return date(rng.randint(earliest_year, 2004), rng.randint(1, 12), rng.randint(1, 28))

    def _random_tax_id(self) -> str:
        """A US tax id written like an SSN (NNN-NN-NNNN)."""
        rng = self.rng
        return f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"

    def _birth_date_and_tax_id(self, customer_id: int, group_id: int) -> tuple[date | None, str | None]:
        """Lending clients need both; anyone else holding one is a planted minimisation problem."""
        if group_id == LENDING_GROUP_ID:
            return self._random_birth_date(1940), self._random_tax_id()
        dob = taxvat = None
        if self.violate("customer_entity", "dob", "minimisation_policy"):
            dob = self._random_birth_date(1935)
            self.manifest.plant("customer_entity", "dob", "minimisation", "minimisation_policy", customer_id)
            self.manifest.plant("customer_grid_flat", "dob", "minimisation", "minimisation_policy", customer_id)
        if self.violate("customer_entity", "taxvat", "minimisation_policy"):
            taxvat = self._random_tax_id()
            self.manifest.plant("customer_entity", "taxvat", "minimisation", "minimisation_policy", customer_id)
            self.manifest.plant("customer_grid_flat", "taxvat", "minimisation", "minimisation_policy", customer_id)
        return dob, taxvat

    def _customer_reset_token(self, customer_id: int) -> str | None:
        """A password-reset token: usually none, sometimes encrypted, planted in plaintext or under a legacy cipher."""
        rng = self.rng
        if self.violate("customer_entity", "rp_token", "encrypted_any_cipher"):
            token = f"{rng.getrandbits(128):032x}"
            self.manifest.plant("customer_entity", "rp_token", "unencrypted_value", "encrypted_any_cipher", customer_id)
            return token
        if self.violate("customer_entity", "rp_token", "current_cipher"):
            token = crypto.legacy_ciphertext(rng.choice((0, 1, 2)), rng)
            self.manifest.plant("customer_entity", "rp_token", "legacy_cipher", "current_cipher", customer_id)
            return token
        if rng.random() < 0.1:
            return self.encrypt(f"{rng.getrandbits(128):032x}")
        return None

    def _write_customer_addresses(self, account: Account) -> None:
        """Most customers save one or two addresses; a second one is elsewhere under the same name."""
        rng = self.rng
        has_address = rng.random() > 0.03
        if not has_address:
            return
        for _ in range(1 if rng.random() < 0.7 else 2):
            address_id = self.next_id("customer_address_entity")
            address = (
                account.person
                if not account.addresses
                else {**self.person(), "firstname": account.person["firstname"], "lastname": account.person["lastname"]}
            )
            account.addresses.append((address_id, address))
            self.writer.add(
                "customer_address_entity",
                {
                    "entity_id": address_id,
                    "parent_id": account.customer_id,
                    "created_at": account.created_at,
                    "updated_at": account.updated_at,
                    "is_active": 1,
                    "city": address["city"],
                    "company": address["company"],
                    "country_id": address["country_id"],
                    "fax": None,
                    "firstname": address["firstname"],
                    "lastname": address["lastname"],
                    "middlename": None,
                    "postcode": address["postcode"],
                    "prefix": None,
                    "region": address["region"],
                    "region_id": address["region_id"],
                    "street": address["street"],
                    "suffix": None,
                    "telephone": address["telephone"],
                    "vat_id": f"{address['country_id']}{rng.randint(10**8, 10**9 - 1)}"
                    if address["company"] and address["country_id"] != "US"
                    else None,
                },
            )

    def _write_customer_entity(self, account: Account, rp_token: str | None, rp_token_created_at: datetime | None) -> None:
        """The customer_entity row (its password hash may be a planted legacy hash)."""
        person = account.person
        self.writer.add(
            "customer_entity",
            {
                "entity_id": account.customer_id,
                "website_id": 1,
                "email": account.email,
                "group_id": account.group_id,
                "increment_id": None,
                "store_id": account.store_id,
                "created_at": account.created_at,
                "updated_at": account.updated_at,
                "is_active": 1,
                "disable_auto_group_change": 0,
                "created_in": "Español" if account.store_id == SPANISH_STORE_ID else "Default Store View",
                "prefix": None,
                "firstname": person["firstname"],
                "middlename": None,
                "lastname": person["lastname"],
                "suffix": None,
                "dob": account.dob,
                "password_hash": self.password_hash("customer_entity", account.customer_id),
                "rp_token": rp_token,
                "rp_token_created_at": rp_token_created_at,
                "default_billing": account.addresses[0][0] if account.addresses else None,
                "default_shipping": account.addresses[-1][0] if account.addresses else None,
                "taxvat": account.taxvat,
                "confirmation": None,
                "gender": self.rng.choice((None, 1, 2, 3)),
                "failures_num": 0,
                "first_failure": None,
                "lock_expires": None,
                "session_cutoff": None,
            },
        )

    def _write_custom_attribute_value(self, customer_id: int) -> None:
        """With violations, a value for the custom attribute the PII map does not know (schema drift)."""
        if not (self.config.violations > 0 and self.violate("customer_entity_varchar", "value", "unmapped_custom_attribute")):
            return
        value_id = self.next_id("customer_entity_varchar")
        self.writer.add(
            "customer_entity_varchar",
            {
                "value_id": value_id,
                "attribute_id": CUSTOM_ATTRIBUTE_ID,
                "entity_id": customer_id,
                "value": self.rng.choice(LAST_NAMES),
            },
        )
        self.manifest.plant(
            "customer_entity_varchar",
            f"attribute:{CUSTOM_ATTRIBUTE_CODE}",
            "schema_drift",
            "unmapped_custom_attribute",
            value_id,
        )

    def _write_customer_grid_row(self, account: Account) -> None:
        """customer_grid_flat: the admin grid's denormalised copy of the customer and its default addresses."""
        person, billing, shipping = account.person, account.billing, account.shipping
        self.writer.add(
            "customer_grid_flat",
            {
                "entity_id": account.customer_id,
                "name": f"{person['firstname']} {person['lastname']}",
                "email": account.email,
                "group_id": account.group_id,
                "created_at": account.created_at,
                "website_id": 1,
                "confirmation": None,
                "created_in": "Default Store View",
                "dob": account.dob,
                "gender": None,
                "taxvat": account.taxvat,
                "lock_expires": None,
                "shipping_full": _full_address(shipping),
                "billing_full": _full_address(billing),
                "billing_firstname": billing and billing["firstname"],
                "billing_lastname": billing and billing["lastname"],
                "billing_telephone": billing and billing["telephone"],
                "billing_postcode": billing and billing["postcode"],
                "billing_country_id": billing and billing["country_id"],
                "billing_region": billing and billing["region"],
                "billing_region_id": billing and billing["region_id"],
                "billing_street": billing and billing["street"],
                "billing_city": billing and billing["city"],
                "billing_fax": None,
                "billing_vat_id": None,
                "billing_company": billing and billing["company"],
            },
        )

    def _write_customer_sessions(self, account: Account) -> None:
        """customer_log and customer_visitor: the last login, before the last activity for a stale account."""
        last_activity_days = account.last_activity_days
        last_login = self.timestamp(last_activity_days + 1, last_activity_days + 200) if account.stale else self.timestamp(0, 500)
        self.writer.add(
            "customer_log",
            {
                "log_id": self.next_id("customer_log"),
                "customer_id": account.customer_id,
                "last_login_at": last_login,
                "last_logout_at": self.clamp(last_login + timedelta(minutes=self.rng.randint(1, 90))),
            },
        )
        self.writer.add(
            "customer_visitor",
            {
                "visitor_id": self.next_id("customer_visitor"),
                "customer_id": account.customer_id,
                "session_id": "",
                "created_at": last_login,
                "last_visit_at": last_login,
            },
        )

    def _write_newsletter_subscription(self, account: Account) -> None:
        """About 30% subscribe to the newsletter."""
        rng = self.rng
        if rng.random() < 0.3:
            self.writer.add(
                "newsletter_subscriber",
                {
                    "subscriber_id": self.next_id("newsletter_subscriber"),
                    "store_id": account.store_id,
                    "change_status_at": account.updated_at,
                    "customer_id": account.customer_id,
                    "subscriber_email": account.email,
                    "subscriber_status": 1,
                    "subscriber_confirm_code": f"{rng.getrandbits(64):016x}",
                },
            )

    def _write_vault_token(self, account: Account) -> None:
        """About 15% save a card in the vault: a gateway token and masked details, never the number."""
        rng = self.rng
        if rng.random() >= 0.15:
            return
        brand, _prefix, _length = rng.choice(CARD_BRANDS)
        self.writer.add(
            "vault_payment_token",
            {
                "entity_id": self.next_id("vault_payment_token"),
                "customer_id": account.customer_id,
                "website_id": 1,
                "public_hash": f"{rng.getrandbits(256):064x}",
                "payment_method_code": "payment_services_paypal_vault",
                "type": "card",
                "created_at": account.created_at,
                "expires_at": self.now + timedelta(days=rng.randint(30, 1500)),
                "gateway_token": f"tok_{rng.getrandbits(64):016x}",
                "details": json.dumps(
                    {
                        "type": brand,
                        "maskedCC": f"{rng.randint(0, 9999):04d}",
                        "expirationDate": f"{rng.randint(1, 12):02d}/{rng.randint(2027, 2031)}",
                    }
                ),
                "is_active": 1,
                "is_visible": 1,
            },
        )

    def _write_billing_agreement(self, account: Account) -> None:
        """About 3% have a PayPal billing agreement."""
        rng = self.rng
        if rng.random() < 0.03:
            self.writer.add(
                "paypal_billing_agreement",
                {
                    "agreement_id": self.next_id("paypal_billing_agreement"),
                    "customer_id": account.customer_id,
                    "method_code": "paypal_billing_agreement",
                    "reference_id": f"B-{rng.getrandbits(40):010X}",
                    "status": "active",
                    "created_at": account.created_at,
                    "updated_at": account.updated_at,
                    "store_id": account.store_id,
                    "agreement_label": f"{account.person['firstname']}'s PayPal",
                },
            )

    def _write_customer_orders(self, account: Account) -> None:
        """The customer's orders: after sign-up, or before the last activity for a stale account."""
        orders = self._order_count()
        buyer = account.as_buyer()
        last_activity_days = account.last_activity_days
        for _ in range(orders):
            if account.stale:
                order_at = self.timestamp(last_activity_days + 1, last_activity_days + 300)
            else:
                order_at = max(account.created_at, self.timestamp(0, 700))
            self.write_order(order_at, buyer)

    def _order_count(self) -> int:
        """How many orders one customer places: exponential around orders_per_customer, capped at six times it."""
        mean = self.config.orders_per_customer
        return min(int(self.rng.expovariate(1 / mean) + 0.5), int(mean * 6))

    def write_guest_order(self) -> None:
        """A guest order; a share reuse a registered customer's email in another case or with spaces."""
        person = self.person()
        if self.registered_emails and self.rng.random() < 0.25:
            email = self.rng.choice(self.registered_emails)
            email = f" {email.upper()} " if self.rng.random() < 0.5 else email.capitalize()
        else:
            local = f"{person['firstname'].lower()}.{person['lastname'].lower()}.g{self.ids['sales_order'] + 1}".replace("'", "")
            email = f"{local}@{self.rng.choice(EMAIL_DOMAINS)}"
        guest = Buyer(
            customer_id=None,
            email=email,
            person=person,
            addresses=[(None, person)],
            group_id=0,
            store_id=SPANISH_STORE_ID if self.rng.random() < 0.1 else 1,
            dob=None,
            taxvat=None,
        )
        self.write_order(self.timestamp(0, 900), guest)
