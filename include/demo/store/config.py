"""What decides a demo store (SeedConfig), what it planted (Manifest), and the names and constants its rows draw on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofía",
    "José",
    "Zoë",
    "Chloé",
    "Aiden",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Priya",
    "Arjun",
    "Ngozi",
    "Siobhán",
    "Björn",
    "Anaïs",
    "Łukasz",
    "Grace",
    "Ethan",
    "Maya",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "García",
    "Martínez",
    "O'Brien",
    "Nguyen",
    "Kim",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Okafor",
    "Patel",
    "Chen",
    "Brown",
    "Davis",
    "López",
    "Wilson",
    "Anderson",
    "Thomas",
    "Jackson",
    "White",
)
STREETS = ("Main St", "Oak Ave", "Pine Rd", "Maple Dr", "Cedar Ln", "Elm St", "Lake View Blvd", "Hill Crest Way")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
COMMENTS = (
    "Customer called about delivery time.",
    "Address confirmed with customer.",
    "Refund issued for damaged item.",
    "Payment captured.",
    "Order placed with loyalty discount.",
    "Customer asked for paper statement.",
    "Account review completed by the lending desk.",
    "Shipment delayed by the carrier.",
)
# Magento cc_type, issuer prefix, number length
CARD_BRANDS = (("VI", "4", 16), ("MC", "51", 16), ("MC", "2221", 16), ("AE", "37", 15), ("DI", "6011", 16))
# The customer group allowed to hold dob and taxvat (lending needs them); anyone else holding them is a planted problem.
LENDING_GROUP_ID = 4
# Orders younger than this still have their converted quote.
QUOTE_LIFETIME_DAYS = 30
SPANISH_STORE_ID = 2
DEFAULT_AS_OF = date.today()
# The custom customer attribute planted (with violations) that the PII map does not know about.
CUSTOM_ATTRIBUTE_CODE = "mothers_maiden_name"
CUSTOM_ATTRIBUTE_ID = 12


@dataclass(frozen=True)
class SeedConfig:
    """Everything that decides what the generator writes; the same config always writes the same store."""

    customers: int = 1000
    violations: float = 0.0
    seed: int = 42
    california_share: float = 0.15
    eu_share: float = 0.10
    legacy_hash_share: float | None = None
    guest_order_share: float = 0.2
    orders_per_customer: float = 2.0
    batch_customers: int = 2000
    as_of: date = DEFAULT_AS_OF
    real_argon2: bool = False
    retention_days: int = 1095
    strict_sql: bool = False
    detections: bool = False

    @property
    def legacy_hashes(self) -> float:
        """Share of customers whose password hash is md5 or sha256 (defaults to the violation rate)."""
        return self.violations if self.legacy_hash_share is None else self.legacy_hash_share


@dataclass
class Manifest:
    """What the generator planted: counts and primary keys per table, column, kind and check; never values."""

    config: dict[str, Any]
    planted: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    near_misses: dict[tuple[str, str], list[Any]] = field(default_factory=lambda: defaultdict(list))
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    detections: dict[str, list[str]] = field(default_factory=dict)

    def plant(self, table: str, column: str, kind: str, check: str, key: Any) -> None:
        """Record one planted problem."""
        self.planted[(table, column, kind, check)].append(key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready manifest."""
        document: dict[str, Any] = {
            "config": self.config,
            "rows": dict(sorted(self.rows.items())),
            "planted": [
                {"table": t, "column": c, "kind": k, "check": ch, "count": len(keys), "keys": keys}
                for (t, c, k, ch), keys in sorted(self.planted.items())
                if keys
            ],
            "near_misses": [
                {"table": t, "column": c, "count": len(keys), "keys": keys} for (t, c), keys in sorted(self.near_misses.items())
            ],
        }
        if self.detections:
            document["detections"] = {rule: sorted(groups) for rule, groups in sorted(self.detections.items())}
        return document
