"""Regulator filing drafts: for every required regulator, agency or authority notice, the content its recipient asks for
(include/legal/filings.yaml), filled from the incident and the counts, as JSON and an accessible HTML page.

No personal data: only incident dates, counts, data categories, the business's own contact details and the
reviewed notice description. What the pipeline cannot know (measures taken, the person filing) is marked "to be
completed". A draft is tracked to "filed" by recording the filing with `breachctl incident fulfil`, which the deadline
monitor and the compliance report read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from include.config import Business
from include.lake import keys
from include.legal.inputs import Affected, Incident
from include.legal.rules import read_yaml
from include.pages import render_page

FORMS_PATH = Path(__file__).parent / "filings.yaml"
TEMPLATES = Path(__file__).parent / "templates"
NOT_DRAFTED = ("individuals", "records")
TO_COMPLETE = "[to be completed before filing]"
CATEGORY_LABELS = {
    "user.government_id.national_identification_number": "Social Security or taxpayer identification number",
    "user.government_id.drivers_license_number": "driver's licence or state ID number",
    "user.government_id.passport_number": "passport number",
    "user.government_id": "government identification number",
    "user.financial.credit_card": "payment card number",
    "user.financial.bank_account": "bank account number",
    "user.financial.tax_information": "tax information",
    "user.financial": "partial card details (last four digits, expiry)",
    "user.authorization.card_security_code": "card security code (CVV)",
    "user.authorization.password": "online account password (hashed)",
    "user.authorization.credentials": "security codes or access tokens",
    "user.name": "name",
    "user.contact.email": "email address",
    "user.contact.address": "postal address",
    "user.contact.phone_number": "telephone number",
    "user.demographic.date_of_birth": "date of birth",
    "user.health": "health or medical information",
    "user.biometrics": "biometric data",
    "user.genetic": "genetic data",
    "user.payment": "payment transaction details",
}


@cache
def forms() -> dict[str, dict[str, Any]]:
    """The filing forms, by id."""
    return dict(read_yaml(FORMS_PATH)["forms"])


@dataclass(frozen=True)
class FilingFacts:
    """What a draft is filled from (no personal data)."""

    incident: Incident
    version: int
    affected: Affected
    obligations: list[dict[str, Any]]
    business: Business | None
    description: str | None = None


def form_for(obligation: dict[str, Any]) -> str:
    """The form an obligation's recipient uses (generic when none is published)."""
    if obligation.get("filing"):
        return str(obligation["filing"])
    return "consumer_reporting_agencies" if obligation["recipient"] == "consumer_reporting_agencies" else "generic"


def needs_draft(obligation: dict[str, Any]) -> bool:
    """Every required notice to a regulator, agency, authority or the card brands gets a draft."""
    return bool(obligation["required"]) and obligation["recipient"] not in NOT_DRAFTED


def slug(obligation_id: str) -> str:
    """A file name for an obligation id (US-CA/attorney_general_sample -> US-CA--attorney_general_sample)."""
    return obligation_id.replace("/", "--")


def category_label(category: str) -> str:
    """A regulator-facing label for a data category (its nearest labelled parent)."""
    while category not in CATEGORY_LABELS and "." in category:
        category = category.rsplit(".", 1)[0]
    return CATEGORY_LABELS.get(category, "other personal information")


def _day(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="minutes") if moment else None


def _groups(facts: FilingFacts, jurisdiction: str) -> list[Any]:
    own = [g for g in facts.affected.groups if g.jurisdiction == jurisdiction]
    return own or list(facts.affected.groups)


def _individuals(facts: FilingFacts, jurisdiction: str) -> dict[str, Any] | None:
    return next((o for o in facts.obligations if o["id"] == f"{jurisdiction}/individuals"), None)


def _data_types(facts: FilingFacts, jurisdiction: str, counts: bool = False) -> str:
    tally: dict[str, int] = {}
    for group in _groups(facts, jurisdiction):
        for label in {category_label(e) for e in group.data_elements}:
            tally[label] = tally.get(label, 0) + group.count
    if counts:
        return "; ".join(f"{label} ({count} record(s))" for label, count in sorted(tally.items()))
    return ", ".join(sorted(tally))


def _notice_date(facts: FilingFacts, jurisdiction: str) -> str:
    individuals = _individuals(facts, jurisdiction)
    if individuals and individuals["due"]:
        return f"planned no later than {individuals['due']} (latest permitted date); record the actual date when sent"
    return "to be sent without unreasonable delay (no fixed period); record the actual date when sent"


def _law_enforcement(facts: FilingFacts) -> str:
    delay = facts.incident.law_enforcement_delay
    if delay is None:
        return "No law-enforcement delay was requested"
    until = f" until {_day(delay.end)}" if delay.end else " (no end date yet)"
    return f"Yes: {delay.agency} asked for notice to be delayed from {_day(delay.start)}{until}"


def _dates(facts: FilingFacts) -> str | None:
    incident = facts.incident
    if incident.breach_start is None and incident.breach_end is None:
        return None
    return f"{_day(incident.breach_start) or 'unknown'} to {_day(incident.breach_end) or 'unknown'}"


def _description(facts: FilingFacts, extra: str = "") -> str | None:
    return f"{facts.description}{extra}" if facts.description else None


def _sources(facts: FilingFacts, obligation: dict[str, Any]) -> dict[str, Callable[[], str | None]]:
    jurisdiction, business, incident = obligation["jurisdiction"], facts.business, facts.incident
    individuals = _individuals(facts, jurisdiction) or {}
    months = individuals.get("credit_monitoring_months")
    dates = _dates(facts)
    return {
        "business_name": lambda: business.name if business else None,
        "business_contact": lambda: (
            ", ".join(filter(None, [business.name, business.address, business.phone, business.email])) if business else None
        ),
        "dpo_contact": lambda: (business.dpo_contact or business.email) if business else None,
        "breach_dates": lambda: dates,
        "discovery_date": lambda: _day(incident.discovered_at),
        "all_dates": lambda: (
            f"breach {dates or 'dates unknown'}; discovered {_day(incident.discovered_at)}; "
            f"determined {_day(incident.determined_at) or 'not recorded'}"
        ),
        "determination_date": lambda: _day(incident.determined_at),
        "awareness_date": lambda: _day(incident.aware_at) or f"{_day(incident.discovered_at)} (discovery)",
        "notice_date": lambda: _notice_date(facts, jurisdiction),
        "number_jurisdiction": lambda: str(obligation["affected_count"]),
        "number_total": lambda: str(sum(g.count for g in facts.affected.groups)),
        "number_ny": lambda: str(sum(g.count for g in facts.affected.groups if g.jurisdiction == "US-NY")),
        "data_types": lambda: _data_types(facts, jurisdiction),
        "data_types_with_count": lambda: _data_types(facts, jurisdiction, counts=True),
        "description": lambda: _description(facts),
        "description_with_count": lambda: _description(facts, f" ({obligation['affected_count']} data subject(s) concerned)"),
        "description_with_dates": lambda: _description(
            facts, f" Breach dates: {dates or 'unknown'}; discovered {_day(incident.discovered_at)}."
        ),
        "law_enforcement": lambda: _law_enforcement(facts),
        "sample_notice": lambda: (
            "Attach the sample notice without personal data, as rendered for legal review: "
            + keys.review_sample(incident.incident_id, facts.version, f"{jurisdiction}-en", "letter.html")
        ),
        "credit_monitoring": lambda: (
            f"{months} months of credit monitoring / identity-theft protection offered"
            if months
            else "None required by this law; state what is offered, if anything"
        ),
        "report_type": lambda: f"Initial report (incident version {facts.version}); updates give the case number",
    }


def draft(obligation: dict[str, Any], facts: FilingFacts) -> dict[str, Any]:
    """One filing draft (JSON-ready): the recipient's fields, each with its value and where it came from."""
    form_id = form_for(obligation)
    form = forms()[form_id]
    resolvers = _sources(facts, obligation)
    fields = []
    for field in form["fields"]:
        value = resolvers[field["source"]]() if field["source"] in resolvers else None
        fields.append(
            {"label": field["label"], "value": value or TO_COMPLETE, "source": field["source"] if value else "to_complete"}
        )
    incident_id = facts.incident.incident_id
    return {
        "incident_id": incident_id,
        "version": facts.version,
        "obligation": obligation["id"],
        "jurisdiction": obligation["jurisdiction"],
        "recipient": obligation["recipient"],
        "name": obligation["name"],
        "form": form_id,
        "title": form["title"],
        "basis": form["basis"],
        "due": obligation["due"],
        "not_before": obligation.get("not_before"),
        "timing": obligation.get("timing"),
        "citation": obligation["citation"],
        "form_url": obligation.get("form_url"),
        "contact": obligation.get("contact"),
        "status": "draft",
        "needs_legal_review": obligation["needs_legal_review"],
        "review_notes": obligation["review_notes"],
        "fields": fields,
        "to_complete": sum(1 for f in fields if f["source"] == "to_complete"),
        "record_filing": (
            f"breachctl incident fulfil --lake <lake> --incident {incident_id} --obligation {obligation['id']} "
            "--at <when it was filed, ISO 8601 with offset> --by <who filed it> --reference <confirmation number>"
        ),
    }


def render_draft(document: dict[str, Any], generated_at: datetime) -> str:
    """The draft as a self-contained, accessible HTML page."""
    return render_page(
        TEMPLATES,
        "filing.html.j2",
        title=f"Filing draft: {document['name']}",
        draft=document,
        to_complete=TO_COMPLETE,
        generated_at=generated_at.isoformat(timespec="minutes"),
    )


def filing_drafts(facts: FilingFacts) -> list[dict[str, Any]]:
    """A draft for every required regulator notice of a version, in the obligations' order."""
    return [draft(o, facts) for o in facts.obligations if needs_draft(o)]
