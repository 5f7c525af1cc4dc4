"""The drill catalogue: synthetic breaches a team rehearses, each as the suspected incident that would open it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from include.detection.suspects import Evidence, SuspectedIncident

DRILL_ID = re.compile(r"DRILL-[A-Z0-9][A-Z0-9._-]{0,56}")


@dataclass(frozen=True)
class Scenario:
    """One rehearsed breach: how it is first seen, what it exposed and for how long."""

    name: str
    title: str
    source: str  # "detection" or "processor": which record opens the triage
    category: str
    compromised_tables: tuple[str, ...]
    days: int = 14
    law_enforcement_days: int | None = None
    language: str | None = None  # a scenario about one language's customers

    def suspect(self, now: datetime, drill_id: str) -> SuspectedIncident:
        """The suspected incident detection or a processor's report would have recorded (no personal data)."""
        first_seen = now - timedelta(days=self.days)
        return SuspectedIncident(
            source="detection" if self.source == "detection" else "processor",
            sender="drill-processor" if self.source == "processor" else None,
            dedupe_key=f"{drill_id}:{self.name}",
            rule_id=f"drill.{self.name}",
            category=self.category,
            level="high",
            title=f"[DRILL] {self.title}",
            first_seen=first_seen,
            last_seen=now - timedelta(hours=1),
            count=1,
            compromised_tables=list(self.compromised_tables),
            evidence=[Evidence(reference=f"drill {drill_id}: synthetic evidence")],
        )

    def conf_overrides(self, now: datetime) -> dict[str, Any]:
        """What the scenario adds to the incident the triage confirmation starts."""
        overrides: dict[str, Any] = {}
        if self.law_enforcement_days:
            start = now - timedelta(days=self.days - 1)
            overrides["law_enforcement_delay"] = {
                "agency": "FBI (drill)",
                "start": start.isoformat(),
                "end": (start + timedelta(days=self.law_enforcement_days)).isoformat(),
            }
        return overrides


CATALOGUE: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "checkout_skimmer",
            "Skimmer script on the checkout page",
            "detection",
            "skimmer_injection",
            ("sales_order", "sales_order_address", "sales_order_payment"),
            days=21,
        ),
        Scenario(
            "stolen_admin_session",
            "Stolen admin session reading orders",
            "detection",
            "admin_account_change",
            ("sales_order", "sales_order_address", "customer_entity"),
            days=5,
        ),
        Scenario(
            "credential_stuffing",
            "Credential stuffing against customer accounts",
            "detection",
            "customer_enumeration",
            ("customer_entity", "customer_address_entity"),
            days=3,
        ),
        Scenario(
            "processor_report",
            "A payment processor reports a breach on its side",
            "processor",
            "processor_breach",
            ("sales_order", "sales_order_payment"),
            days=10,
        ),
        Scenario(
            "law_enforcement_delay",
            "Breach under a law-enforcement delay",
            "detection",
            "admin_account_change",
            ("customer_entity", "customer_address_entity"),
            days=7,
            law_enforcement_days=20,
        ),
        Scenario(
            "spanish_customers",
            "Breach of the Spanish store view's customers",
            "detection",
            "skimmer_injection",
            ("customer_entity", "customer_address_entity"),
            days=4,
            language="es",
        ),
    )
}


def scenario(name: str) -> Scenario:
    """The catalogue's scenario of that name; ValueError listing the names otherwise."""
    if name not in CATALOGUE:
        raise ValueError(f"scenario: {str(name)[:40]!r} is not one of {', '.join(CATALOGUE)}")
    return CATALOGUE[name]


def drill_id(run_slug: str) -> str:
    """The incident id a drill uses: DRILL-<run>, upper case, as the incident id rules require."""
    cleaned = re.sub(r"[^A-Z0-9._-]", "-", run_slug.upper()).strip("-.")[:56] or "RUN"
    return f"DRILL-{cleaned}"
