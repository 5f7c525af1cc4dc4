"""The in-memory records the table families hand each other: a person, a buyer and a placed order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

# Name, address and residency of one person; the keys are the address column names (firstname, city, region_id, ...).
Person = dict[str, Any]


@dataclass
class Buyer:
    """Who places an order: a registered customer (with saved addresses) or a guest (customer_id None)."""

    customer_id: int | None
    email: str
    person: Person
    addresses: list[tuple[int | None, Person]]
    group_id: int
    store_id: int
    dob: date | None
    taxvat: str | None

    @property
    def is_guest(self) -> bool:
        """True for a guest checkout (no customer account)."""
        return self.customer_id is None


@dataclass(frozen=True)
class PlacedOrder:
    """The facts of one sales_order row that its payment, documents and quote repeat."""

    order_id: int
    increment_id: str
    order_at: datetime
    buyer: Buyer
    billing: Person
    shipping: Person
    grand_total: float
