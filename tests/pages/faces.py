"""The incidents and histories the faces are checked with: the demo's, and a large one (60 jurisdictions, 190
obligations, two languages, five entity types) over a 90-run history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from include.demo.runner import demo_incident
from include.incident.trigger import validate_trigger
from include.incident.versions import save_versions
from include.lake import keys
from include.lake.ledger import record_audit, seal_run
from include.lake.store import Lake
from include.legal.inputs import parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.notices.review import prepare_review

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
LARGE_ELEMENTS = ["user.name", "user.contact.email", "user.contact.address", "user.financial.credit_card",
                  "user.government_id.national_identification_number", "user.authorization.password"]  # fmt: skip
CUSTOMER_ENTITY = ["user.name.first", "user.name.last", "user.contact.email", "user.authorization.password"]
ENTITY_TYPES = ["nydfs_covered", "glba_financial_institution", "card_merchant", "sec_registrant", "insurance_licensee"]


def large_groups() -> list[dict]:
    """Every US jurisdiction with a rule of its own, six EU member states, the UK and unknown residence."""
    states = [j for j in load_rules().rules if j.startswith("US-") and j != "US-DEFAULT"]
    places = [*states, "EU-DE", "EU-FR", "EU-IT", "EU-ES", "EU-NL", "EU-IE", "OTHER-GB", "UNKNOWN"]
    return [{"jurisdiction": j, "count": 1000 + 37 * i, "data_elements": LARGE_ELEMENTS} for i, j in enumerate(places)]


def demo_groups() -> list[dict]:
    """The demo store's spread of residents, exposed through customer_entity only."""
    spread = {"US-CA": 1200, "US-TX": 260, "US-FL": 520, "US-NY": 40, "US-MD": 12, "EU-DE": 12, "UNKNOWN": 6}
    return [{"jurisdiction": j, "count": n, "data_elements": CUSTOMER_ENTITY} for j, n in spread.items()]


def summary_of(incident_id: str, groups: list[dict]) -> dict:
    """summary.json counts of a version with these groups (every fifth person Spanish-speaking, most reachable)."""
    total = sum(g["count"] for g in groups)
    elements: dict[str, int] = {}
    for group in groups:
        for element in group["data_elements"]:
            elements[element] = elements.get(element, 0) + group["count"]
    both = total * 7 // 10
    return {
        "incident_id": incident_id, "version": 1, "individuals": total,
        "by_jurisdiction": {g["jurisdiction"]: g["count"] for g in groups}, "by_data_element": elements,
        "by_channel": {"email": total * 9 // 10, "postal": both + total // 20, "email_and_postal": both,
                       "none": total - total * 9 // 10 - total // 20},
        "unknown_residency": sum(g["count"] for g in groups if g["jurisdiction"] == "UNKNOWN"),
        "by_language": {"en": total - total // 5, "es": total // 5},
    }  # fmt: skip


def write_incident(lake: Lake, incident_id: str, groups: list[dict], conf: dict) -> dict:
    """One resolved version of an incident, its obligations and its review, as the incident run leaves them."""
    trigger = validate_trigger({**conf, "incident_id": incident_id})
    document = obligations_document(
        parse_incident({**conf, "incident_id": incident_id}), parse_affected({"groups": groups}), load_rules()
    )
    outputs = [
        lake.put(keys.affected_groups(incident_id, 1), json.dumps({"groups": groups}).encode()).as_dict(),
        lake.put(keys.incident_summary(incident_id, 1), json.dumps(summary_of(incident_id, groups)).encode()).as_dict(),
        lake.put(keys.obligations(incident_id, 1), json.dumps(document).encode()).as_dict(),
        save_versions(lake, incident_id, [{"version": 1, "run_id": "manual__1"}]),
    ]
    review = prepare_review(trigger, 1, lake=lake)
    seal_run(lake, dag_id="breach_incident", run_id=f"manual__{incident_id}", outputs=outputs + review["outputs"], versions={})
    return {"document": document, "trigger": trigger, "review": review}


def demo_conf() -> dict:
    """The demo's incident trigger, exposing customer_entity only."""
    return {**demo_incident(datetime(2026, 11, 20, tzinfo=UTC)), "compromised_tables": ["customer_entity"]}


def large_conf() -> dict:
    """A large incident's trigger: discovered five days before NOW, every entity type."""
    return {
        "incident_id": "INC-LARGE",
        "discovered_at": "2026-11-20T09:00:00-08:00",
        "compromised_tables": ["sales_order_address"],
        "entity_types": ENTITY_TYPES,
    }


def seal_history(lake: Lake, runs: int) -> None:
    """Seal the scan runs fake_history wrote, one approval audit entry per ten, for the evidence index."""
    start = NOW - timedelta(days=runs)
    for i in range(runs):
        key = f"scans/scheduled__{i:03d}/summary.json"
        output = {**lake.put(key, lake.get(key)).as_dict(), "task_id": "summarise"}
        seal_run(lake, dag_id="magento_pii_scan", run_id=f"scheduled__{i:03d}", outputs=[output], versions={})
        if i % 10 == 0:
            when = (start + timedelta(days=i)).isoformat()
            record_audit(lake, {"user_id": "legal", "event_type": "notices_approved", "timestamp": when, "outcome": "success",
                                "origin": "test", "affected_data": "incident INC-LARGE v1", "component": "test"})  # fmt: skip
