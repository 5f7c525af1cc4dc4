"""Rendered samples for a synthetic person: what `breachctl notices sample` writes and what legal approves."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from include.config import DEMO_BUSINESS, Business
from include.legal.inputs import AffectedGroup
from include.legal.obligations import credit_monitoring_months
from include.legal.rules import load_rules
from include.notices.content import IncidentFacts, build_context, synthetic_person
from include.notices.render import CHANNEL_TEMPLATES, render, render_all

SAMPLE_INCIDENT = IncidentFacts(
    incident_id="SAMPLE-1",
    description="An unauthorized person gained access to part of the database behind our online store.",
    breach_start=date(2026, 10, 2),
    breach_end=date(2026, 10, 9),
    discovered=date(2026, 10, 12),
    notice_date=date(2026, 10, 30),
    law_enforcement_delay=False,
    measures=(
        "We closed the access, reset the affected credentials, engaged outside security experts and are "
        "reviewing our systems. We have reported the incident to the authorities where the law requires it."
    ),
)


def credit_monitoring_for(jurisdiction: str, elements: list[str]) -> int | None:
    """Months of credit monitoring the rule calls for with these elements (None when none)."""
    if not jurisdiction.startswith("US-"):
        return None
    rules = load_rules()
    group = AffectedGroup(jurisdiction=jurisdiction, count=1, data_elements=elements)
    return credit_monitoring_months(rules.for_jurisdiction(jurisdiction), [group], [])


def render_samples(
    jurisdiction: str,
    language: str,
    *,
    business: Business = DEMO_BUSINESS,
    incident: IncidentFacts = SAMPLE_INCIDENT,
    person: dict | None = None,
) -> dict[str, str]:
    """Every template rendered for one (synthetic) person."""
    person = person or synthetic_person(jurisdiction, language)
    context = build_context(
        business=business,
        incident=incident,
        person=person,
        rules=load_rules(),
        credit_monitoring_months=credit_monitoring_for(jurisdiction, person["data_elements"]),
        notice_url=f"{business.website.rstrip('/')}/security-notice/{incident.incident_id.lower()}",
    )
    return render_all(context, key="sample")


def render_support_pack(
    language: str, elements: list[str], *, business: Business = DEMO_BUSINESS, incident: IncidentFacts = SAMPLE_INCIDENT
) -> str:
    """The customer-support FAQ and call script in one language, from the notices' content for the scope's elements."""
    person = {"jurisdiction": "US-CA", "language": language, "data_elements": elements}
    context = build_context(
        business=business,
        incident=incident,
        person=person,
        rules=load_rules(),
        credit_monitoring_months=credit_monitoring_for("US-CA", elements),
        notice_url=business.website,
    )
    return render("support_pack.html", context, key="support")


def write_samples(jurisdiction: str, language: str, out: Path) -> list[Path]:
    """Write email.html, email.txt, notice.html, letter.html and banner.html into out."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_samples(jurisdiction, language).items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


__all__ = ["CHANNEL_TEMPLATES", "render_samples", "write_samples"]
