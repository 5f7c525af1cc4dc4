"""What legal reviews before approving a version's notices: rendered samples and the approval request's body (no PII)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, TypedDict

from include.config import Business, Config
from include.incident.trigger import IncidentTrigger
from include.lake import keys
from include.lake.store import Lake, StoredOutput, open_lake
from include.notices.business import business_details
from include.notices.content import incident_facts
from include.notices.render import LANGUAGES
from include.notices.samples import render_samples, render_support_pack

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}


class ReviewResult(TypedDict):
    """The approval request's body and the samples written for it."""

    body: str
    outputs: list[StoredOutput]


def sample_variants(summary: dict[str, Any]) -> list[str]:
    """One sample jurisdiction per notice variant in scope (California's stands for unknown and foreign residents)."""
    jurisdictions = sorted(set(summary["by_jurisdiction"]) | {"US-CA"})
    seen, samples = set(), []
    for jurisdiction in jurisdictions:
        sample = "US-CA" if jurisdiction == "UNKNOWN" or jurisdiction.startswith("OTHER-") else jurisdiction
        variant = "gdpr" if sample.startswith("EU-") else "us-ma" if sample == "US-MA" else sample
        if variant not in seen:
            seen.add(variant)
            samples.append(sample)
    return samples


def write_samples(
    lake: Lake, trigger: IncidentTrigger, version: int, summary: dict[str, Any], business: Business
) -> tuple[list[StoredOutput], list[str], str, str]:
    """Samples per variant and language in scope; returns the outputs, the links, one email text and its label.

    The email text shown in the approval body is the US-CA English one when that sample exists, else the first
    sample written (a Spanish-only incident shows its Spanish email).
    """
    facts = incident_facts(trigger, date.today())
    languages = sorted(language if language in LANGUAGES else "en" for language in summary.get("by_language") or {"en": 0})
    outputs, links, texts = [], [], {}
    for jurisdiction in sample_variants(summary):
        for language in dict.fromkeys(languages):
            for name, text in render_samples(jurisdiction, language, business=business, incident=facts).items():
                key = keys.review_sample(trigger.incident_id, version, f"{jurisdiction}-{language}", name)
                outputs.append(lake.put(key, text.encode()).as_dict())
                if name == "email.txt":
                    texts[(jurisdiction, language)] = text
            folder = keys.review_sample(trigger.incident_id, version, f"{jurisdiction}-{language}", "")
            links.append(f"{jurisdiction} ({language}): {lake.url}/{folder}")
    shown = ("US-CA", "en") if ("US-CA", "en") in texts else next(iter(texts))
    return outputs, links, texts[shown], f"{shown[0]}, {LANGUAGE_NAMES.get(shown[1], shown[1])}"


def write_support_packs(
    lake: Lake, trigger: IncidentTrigger, version: int, summary: dict[str, Any], business: Business
) -> tuple[list[StoredOutput], list[str]]:
    """The customer-support FAQ and call script per language in scope, reviewed with the notices; outputs and links."""
    facts = incident_facts(trigger, date.today())
    elements = sorted(summary.get("by_data_element") or {})
    languages = dict.fromkeys(sorted(lang if lang in LANGUAGES else "en" for lang in summary.get("by_language") or {"en": 0}))
    outputs, links = [], []
    for language in languages:
        html = render_support_pack(language, elements, business=business, incident=facts)
        key = keys.review_sample(trigger.incident_id, version, f"support-{language}", "support_pack.html")
        outputs.append(lake.put(key, html.encode()).as_dict())
        links.append(f"customer-support pack ({language}): {lake.url}/{key}")
    return outputs, links


def review_body(
    trigger: IncidentTrigger,
    version: int,
    summary: dict[str, Any],
    obligations: list[dict[str, Any]],
    links: list[str],
    email_text: str,
    email_label: str = "US-CA, English",
) -> str:
    """The approval request's Markdown body: counts, obligations, sample links and the email text."""
    required = [o for o in obligations if o["required"]]
    lines = [
        f"## Incident {trigger.incident_id}, version {version}",
        f"**{summary['individuals']}** individuals; unknown residency: {summary['unknown_residency']}; "
        f"email: {summary['by_channel']['email']}, postal: {summary['by_channel']['postal']}, "
        f"no contact: {summary['by_channel']['none']}.",
        "",
        "### Obligations",
        "| due | recipient | jurisdiction | people | review |",
        "|---|---|---|---|---|",
        *[
            f"| {o['due'] or 'no fixed date'} | {o['name']} | {o['jurisdiction']} | {o['affected_count']} | "
            f"{'yes' if o['needs_legal_review'] else 'no'} |"
            for o in sorted(required, key=lambda o: o["due"] or "9999")
        ],
        "",
        "### Samples (synthetic person)",
        *[f"- {link}" for link in links],
        "",
        f"### Email sample ({email_label}, text part)",
        "```",
        email_text.strip()[:6000],
        "```",
        "",
        "Approve to publish the notification batches and start delivery. Reject (with a reason) to stop this run.",
    ]
    return "\n".join(lines)


def prepare_review(
    trigger: IncidentTrigger, version: int, *, lake: Lake | None = None, url: str | None = None, config: Config | None = None
) -> ReviewResult:
    """Samples for a synthetic person per variant and language in scope, and the approval request's body (no PII)."""
    lake = lake or open_lake()
    summary = json.loads(lake.get(keys.incident_summary(trigger.incident_id, version)))
    obligations = json.loads(lake.get(keys.obligations(trigger.incident_id, version)))["obligations"]
    business = business_details(url, config)
    outputs, links, email_text, label = write_samples(lake, trigger, version, summary, business)
    support, support_links = write_support_packs(lake, trigger, version, summary, business)
    outputs, links = outputs + support, links + support_links
    return {"body": review_body(trigger, version, summary, obligations, links, email_text, label), "outputs": outputs}
