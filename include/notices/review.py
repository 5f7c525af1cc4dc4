"""What legal reviews before approving a version's notices: samples with this incident's own data elements, a review
page linking every one, and a short approval body (no PII)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict

from include.config import Business, Config
from include.incident.trigger import IncidentTrigger
from include.lake import keys
from include.lake.store import Lake, StoredOutput, open_lake
from include.legal.names import jurisdiction_name
from include.notices.business import business_details
from include.notices.content import element_labels, incident_facts, synthetic_person
from include.notices.render import LANGUAGES
from include.notices.samples import render_samples, render_support_pack
from include.pages import render_page
from include.pages.text import days_left, local_time

LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}
SAMPLE_FILES = {"email.html": "Email", "email.txt": "Email (plain text)", "notice.html": "Web notice",
                "letter.html": "Letter", "banner.html": "Site banner"}  # fmt: skip
TEMPLATES = Path(__file__).parent / "templates"
REVIEW_ROUTE = "/breach-review/v1/incidents/{incident_id}/versions/{version}/{path}"
NEXT_DEADLINES = 5
REVIEW_FLAG = "**Legal review** *needed*: the rules leave a point to judgment; the calendar gives the note."


class ReviewResult(TypedDict):
    """The approval request's body and the samples written for it."""

    body: str
    outputs: list[StoredOutput]


def sample_for(jurisdiction: str) -> str:
    """The jurisdiction whose sample a resident gets (California's stands for unknown and foreign residents)."""
    return "US-CA" if jurisdiction == "UNKNOWN" or jurisdiction.startswith("OTHER-") else jurisdiction


def variant_of(sample: str) -> str:
    """The notice variant a sample jurisdiction renders (one per EU member state would repeat the GDPR one)."""
    return "gdpr" if sample.startswith("EU-") else sample


def sample_variants(summary: dict[str, Any]) -> list[str]:
    """One sample jurisdiction per notice variant in scope (California's stands for unknown and foreign residents)."""
    seen: dict[str, str] = {}
    for jurisdiction in sorted(set(summary["by_jurisdiction"]) | {"US-CA"}):
        seen.setdefault(variant_of(sample_for(jurisdiction)), sample_for(jurisdiction))
    return list(seen.values())


def elements_by_jurisdiction(groups: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every data element exposed for someone in each jurisdiction (the union of its groups)."""
    found: dict[str, set[str]] = defaultdict(set)
    for group in groups:
        found[group["jurisdiction"]].update(group["data_elements"])
    return {j: sorted(elements) for j, elements in sorted(found.items())}


def sample_elements(samples: list[str], exposed: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each sample's elements: those of the residents it stands for (all of the incident's when it stands for none)."""
    everything = sorted({e for elements in exposed.values() for e in elements})
    by_sample: dict[str, set[str]] = defaultdict(set)
    for jurisdiction, elements in exposed.items():
        by_sample[variant_of(sample_for(jurisdiction))].update(elements)
    return {s: sorted(by_sample.get(variant_of(s)) or everything) for s in samples}


def languages_in_scope(summary: dict[str, Any]) -> list[str]:
    """The notice languages of the people in scope (English when none is known)."""
    found = {language if language in LANGUAGES else "en" for language in summary.get("by_language") or {"en": 0}}
    return sorted(found)


def write_samples(
    lake: Lake, trigger: IncidentTrigger, version: int, elements: dict[str, list[str]], languages: list[str], business: Business
) -> tuple[list[StoredOutput], dict[tuple[str, str], str]]:
    """Every template per sample jurisdiction and language, for a synthetic person with the incident's elements."""
    facts = incident_facts(trigger, date.today())
    outputs, texts = [], {}
    for jurisdiction, exposed in elements.items():
        for language in languages:
            person = {**synthetic_person(jurisdiction, language), "data_elements": exposed}
            for name, text in render_samples(jurisdiction, language, business=business, incident=facts, person=person).items():
                key = keys.review_sample(trigger.incident_id, version, f"{jurisdiction}-{language}", name)
                outputs.append(lake.put(key, text.encode()).as_dict())
                if name == "email.txt":
                    texts[(jurisdiction, language)] = text
    return outputs, texts


def write_support_packs(
    lake: Lake, trigger: IncidentTrigger, version: int, summary: dict[str, Any], business: Business
) -> list[StoredOutput]:
    """The customer-support FAQ and call script per language in scope, reviewed with the notices."""
    facts = incident_facts(trigger, date.today())
    elements = sorted(summary.get("by_data_element") or {})
    outputs = []
    for language in languages_in_scope(summary):
        html = render_support_pack(language, elements, business=business, incident=facts)
        key = keys.review_sample(trigger.incident_id, version, f"support-{language}", "support_pack.html")
        outputs.append(lake.put(key, html.encode()).as_dict())
    return outputs


def reach(summary: dict[str, Any]) -> dict[str, int]:
    """People by how they can be reached; the four counts add up to the individuals."""
    channel = summary["by_channel"]
    both = channel["email_and_postal"]
    return {"email_only": channel["email"] - both, "postal_only": channel["postal"] - both, "both": both, "none": channel["none"]}


def reach_sentence(summary: dict[str, Any]) -> str:
    """The counts in one sentence that adds up."""
    counts = reach(summary)
    return (
        f"**{summary['individuals']} people** in scope: {counts['email_only']} reachable by email only, "
        f"{counts['postal_only']} by post only, {counts['both']} by both (email is sent, a letter follows if it bounces), "
        f"{counts['none']} by neither (covered by the substitute notice). Residence unknown: "
        f"{summary['unknown_residency']} (they receive California's notice)."
    )


def element_phrases(elements: list[str]) -> str:
    """'name, email address' for legal (the notices' own labels, without 'your')."""
    return ", ".join(label.removeprefix("your ") for label in element_labels(elements))


def exposure_rows(exposed: dict[str, list[str]], summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per jurisdiction in scope: its name, its people and the elements exposed there."""
    rows = []
    for jurisdiction, elements in exposed.items():
        rows.append({
            "jurisdiction": jurisdiction_name(jurisdiction),
            "code": jurisdiction,
            "people": summary["by_jurisdiction"].get(jurisdiction, 0),
            "elements": element_phrases(elements),
        })  # fmt: skip
    return sorted(rows, key=lambda r: (r["code"] == "UNKNOWN", r["jurisdiction"]))


def sample_rows(elements: dict[str, list[str]], exposed: dict[str, list[str]], languages: list[str]) -> list[dict[str, Any]]:
    """One row per jurisdiction in scope and language, linking the sample its residents get."""
    by_variant = {variant_of(s): s for s in elements}
    rows = []
    for jurisdiction in exposed or {"US-CA": []}:
        sample = by_variant[variant_of(sample_for(jurisdiction))]
        for language in languages:
            rows.append({
                "jurisdiction": jurisdiction_name(jurisdiction),
                "language": LANGUAGE_NAMES.get(language, language),
                "folder": f"samples/{sample}-{language}/",
                "stands_for": "" if sample == jurisdiction else jurisdiction_name(sample),
            })  # fmt: skip
    return rows


def owed(obligations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Required obligations, earliest due first (no fixed date last)."""
    return sorted((o for o in obligations if o["required"]), key=lambda o: (o["due"] is None, o["due"] or "", o["id"]))


def due_text(obligation: dict[str, Any]) -> str:
    """The due moment in the recipient's own zone."""
    zones = obligation.get("timezones") or [None]
    return local_time(obligation["due"], zones[0])


def review_link(trigger: IncidentTrigger, version: int, path: str) -> str:
    """Where the api-server serves a review file to a signed-in user."""
    return REVIEW_ROUTE.format(incident_id=trigger.incident_id, version=version, path=path)


def review_body(
    trigger: IncidentTrigger, version: int, summary: dict[str, Any], obligations: list[dict[str, Any]], now: datetime
) -> str:
    """The approval request's short Markdown body: what to decide, the counts, the next deadlines and the links."""
    required = owed(obligations)
    lines = [
        f"## Incident {trigger.incident_id}, version {version}: notices awaiting your decision",
        "**Approve** publishes the notification batches and starts delivery. **Reject** stops this run; "
        "give the reason in the box below (optional when approving).",
        "",
        reach_sentence(summary),
        "",
        f"**Read before deciding:** [review page: data elements per jurisdiction and every sample]"
        f"({review_link(trigger, version, 'review/index.html')}) · "
        f"[obligations calendar]({review_link(trigger, version, 'obligations.html')})",
        "",
        f"**{len(required)} notices owed**; the next {min(NEXT_DEADLINES, len(required))}:",
        "",
        "| Due (recipient's local time) | Days left | Recipient | Jurisdiction | Legal review |",
        "|---|---|---|---|---|",
        *[
            f"| {due_text(o)} | {days_left(o['due'], now) if o['due'] else '–'} | {o['name']} | "
            f"{jurisdiction_name(o['jurisdiction'])} | {'*needed*' if o['needs_legal_review'] else 'no'} |"
            for o in required[:NEXT_DEADLINES]
        ],
        "",
        REVIEW_FLAG,
    ]
    return "\n".join(lines)


def review_page(
    trigger: IncidentTrigger,
    version: int,
    summary: dict[str, Any],
    exposed: dict[str, list[str]],
    elements: dict[str, list[str]],
    texts: dict[tuple[str, str], str],
) -> str:
    """The review page: counts that add up, elements per jurisdiction, every sample linked, one email text in full."""
    languages = languages_in_scope(summary)
    shown = ("US-CA", "en") if ("US-CA", "en") in texts else next(iter(texts))
    return render_page(
        TEMPLATES,
        "review.html.j2",
        title=f"Review: incident {trigger.incident_id}, version {version}",
        incident_id=trigger.incident_id,
        version=version,
        summary=summary,
        reach=reach(summary),
        exposure=exposure_rows(exposed, summary),
        samples=sample_rows(elements, exposed, languages),
        files=SAMPLE_FILES,
        support=[(LANGUAGE_NAMES.get(lang, lang), f"samples/support-{lang}/support_pack.html") for lang in languages],
        email_label=f"{jurisdiction_name(shown[0])}, {LANGUAGE_NAMES.get(shown[1], shown[1])}",
        email_text=texts[shown].strip(),
    )


def prepare_review(
    trigger: IncidentTrigger, version: int, *, lake: Lake | None = None, url: str | None = None, config: Config | None = None
) -> ReviewResult:
    """Samples with this incident's elements per variant and language, the review page and the approval body (no PII)."""
    lake = lake or open_lake()
    summary = json.loads(lake.get(keys.incident_summary(trigger.incident_id, version)))
    obligations = json.loads(lake.get(keys.obligations(trigger.incident_id, version)))["obligations"]
    groups = json.loads(lake.get(keys.affected_groups(trigger.incident_id, version)))["groups"]
    business = business_details(url, config)
    exposed = elements_by_jurisdiction(groups)
    elements = sample_elements(sample_variants(summary), exposed)
    outputs, texts = write_samples(lake, trigger, version, elements, languages_in_scope(summary), business)
    outputs += write_support_packs(lake, trigger, version, summary, business)
    page = review_page(trigger, version, summary, exposed, elements, texts)
    outputs.append(lake.put(keys.review_page(trigger.incident_id, version), page.encode()).as_dict())
    return {"body": review_body(trigger, version, summary, obligations, datetime.now(UTC)), "outputs": outputs}
