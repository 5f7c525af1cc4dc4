"""The breach_incident DAG's notice steps: review samples, batches after approval, delivery rounds (no Airflow imports)."""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from include import settings
from include.incident import IncidentTrigger
from include.incident_run import incident_prefix, read_individuals
from include.lake import Lake, open_lake
from include.notices.batches import build_batches
from include.notices.content import Business, incident_facts
from include.notices.delivery import DeliveryAdapter, FileOutboxAdapter, SesAdapter, SmtpAdapter, deliver_round
from include.notices.samples import DEMO_BUSINESS, render_samples
from include.rules import load_rules
from include.source import SourceError, create_source_engine, fetch_all, url_from_connection

log = logging.getLogger("airflow.task")
MAIL_HOUSE_CONN_ID = "mail_house"
SMTP_CONN_ID = "notice_smtp"


def business_details(url: str | None = None) -> Business:
    """The business giving notice, from the store's own configuration (Stores > Configuration > Store Information)."""
    try:
        engine = create_source_engine(url or url_from_connection())
        rows = fetch_all(
            engine,
            "SELECT path, value FROM core_config_data WHERE scope = 'default' AND (path LIKE 'general/store_information/%' "
            "OR path IN ('trans_email/ident_support/email', 'web/secure/base_url'))",
        )
        engine.dispose()
    except (SourceError, Exception) as error:  # the notice must still go out with the configured fallback
        log.warning("store information unavailable (%s); using the configured business details", type(error).__name__)
        rows = []
    config = {path: value for path, value in rows}
    if not config.get("general/store_information/name"):
        return (
            DEMO_BUSINESS
            if os.environ.get("BUSINESS_NAME") is None
            else Business(
                name=os.environ["BUSINESS_NAME"],
                phone=os.environ.get("BUSINESS_PHONE", ""),
                email=os.environ.get("BUSINESS_EMAIL", ""),
                address=os.environ.get("BUSINESS_ADDRESS", ""),
                website=os.environ.get("BUSINESS_WEBSITE", ""),
            )
        )
    from include.magento.geography import US_REGIONS

    region = {str(i): c for i, c, _ in US_REGIONS}.get(config.get("general/store_information/region_id", ""), "")
    address = ", ".join(
        p
        for p in (
            config.get("general/store_information/street_line1"),
            config.get("general/store_information/city"),
            f"{region} {config.get('general/store_information/postcode', '')}".strip(),
            config.get("general/store_information/country_id"),
        )
        if p
    )
    return Business(
        name=config["general/store_information/name"],
        phone=config.get("general/store_information/phone", ""),
        email=config.get("trans_email/ident_support/email", ""),
        address=address,
        website=config.get("web/secure/base_url", ""),
        dpo_contact=os.environ.get("BUSINESS_DPO_CONTACT", ""),
    )


def notice_url(business: Business, incident_id: str) -> str:
    """Where the web notice is posted."""
    return f"{(business.website or 'https://example.com/').rstrip('/')}/security-notice/{incident_id.lower()}"


def prepare_review(trigger: IncidentTrigger, version: int, *, lake: Lake | None = None) -> dict[str, Any]:
    """Samples for a synthetic person per variant and language in scope, and the approval request's body (no PII)."""
    lake = lake or open_lake()
    prefix = incident_prefix(trigger.incident_id, version)
    summary = json.loads(lake.get(f"{prefix}/summary.json"))
    obligations = json.loads(lake.get(f"{prefix}/obligations.json"))["obligations"]
    business = business_details()
    facts = incident_facts(trigger, date.today())
    jurisdictions = sorted({j for j in summary["by_jurisdiction"]} | {"US-CA"})
    languages = sorted(summary["by_language"]) or ["en"]
    outputs, links = [], []
    seen_variants = set()
    for jurisdiction in jurisdictions:
        variant = "gdpr" if jurisdiction.startswith("EU-") else "us-ma" if jurisdiction == "US-MA" else jurisdiction
        if variant in seen_variants:
            continue
        seen_variants.add(variant)
        sample_jurisdiction = "US-CA" if jurisdiction in ("UNKNOWN",) or jurisdiction.startswith("OTHER-") else jurisdiction
        for language in languages:
            for name, text in render_samples(sample_jurisdiction, language, business=business, incident=facts).items():
                stored = lake.put(f"{prefix}/review/samples/{sample_jurisdiction}-{language}/{name}", text.encode()).as_dict()
                outputs.append(stored)
                if name == "email.txt" and sample_jurisdiction == "US-CA" and language == "en":
                    email_text = text
            links.append(
                f"{sample_jurisdiction} ({language}): {lake.url}/{prefix}/review/samples/{sample_jurisdiction}-{language}/"
            )
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
        "### Email sample (US-CA, English, text part)",
        "```",
        email_text.strip()[:6000],
        "```",
        "",
        "Approve to publish the notification batches and start delivery. Reject (with a reason) to stop this run.",
    ]
    return {"body": "\n".join(lines), "outputs": outputs}


def build(trigger: IncidentTrigger, version: int, *, lake: Lake | None = None) -> dict[str, Any]:
    """After approval: the notification batches of this version."""
    lake = lake or open_lake()
    prefix = incident_prefix(trigger.incident_id, version)
    individuals = read_individuals(lake, f"{prefix}/affected.parquet.enc")
    obligations = json.loads(lake.get(f"{prefix}/obligations.json"))["obligations"]
    credit = {o["jurisdiction"]: o.get("credit_monitoring_months") for o in obligations if o["recipient"] == "individuals"}
    business = business_details()
    result = build_batches(
        lake,
        incident_id=trigger.incident_id,
        version=version,
        individuals=individuals,
        key_compromised=trigger.key_compromised,
        rules=load_rules(),
        business=business,
        incident=incident_facts(trigger, date.today()),
        credit_monitoring=credit,
        sender=business.email or "privacy@example.com",
        notice_url=notice_url(business, trigger.incident_id),
    )
    manifest = result["manifest"]
    log.info(
        "batches v%d: %d new notices (%s), %d already batched earlier, %d covered by substitute notice",
        version,
        manifest["new_notices"],
        manifest["by_channel"],
        manifest["excluded_already_batched"],
        manifest["substitute_covered"],
    )
    return {
        "outputs": result["outputs"],
        "counts": {k: manifest[k] for k in ("new_notices", "by_channel", "excluded_already_batched", "substitute_covered")},
    }


def outbox_directory() -> Path:
    """Where the file outbox writes (outside the lake): NOTICE_OUTBOX_DIR, default .demo/outbox in the project."""
    return Path(os.environ.get("NOTICE_OUTBOX_DIR") or settings.PROJECT_ROOT / ".demo" / "outbox")


def _mail_house_key() -> bytes:
    if not settings.has_connection(MAIL_HOUSE_CONN_ID):
        raise RuntimeError(
            "file outbox needs the mail house's X25519 public key: connection 'mail_house', extra.public_key (base64)"
        )
    return base64.b64decode(settings.get_connection(MAIL_HOUSE_CONN_ID).extra["public_key"])


def adapters_from_configuration() -> dict[str, DeliveryAdapter]:
    """Email and postal adapters as configured by NOTICE_EMAIL_TRANSPORT (file | smtp | ses); postal always via the outbox."""
    transport = os.environ.get("NOTICE_EMAIL_TRANSPORT", "file")
    adapters: dict[str, DeliveryAdapter] = {
        "postal": FileOutboxAdapter(outbox_directory() / "postal", "postal", _mail_house_key())
    }
    if transport == "file":
        adapters["email"] = FileOutboxAdapter(outbox_directory() / "email", "email", _mail_house_key())
    elif transport == "smtp":
        info = settings.get_connection(SMTP_CONN_ID)
        adapters["email"] = SmtpAdapter(info.host or "localhost", info.port or 25, username=info.login, password=info.password)
    elif transport == "ses":
        import boto3

        info = (
            settings.get_connection(settings.LAKE_AWS_CONN_ID).extra if settings.has_connection(settings.LAKE_AWS_CONN_ID) else {}
        )
        endpoint = {"endpoint_url": info.get("endpoint_url")} if info.get("endpoint_url") else {}
        adapters["email"] = SesAdapter(
            boto3.client("ses", **endpoint),
            sender=os.environ["NOTICE_SENDER"],
            events_queue_url=os.environ.get("NOTICE_SES_EVENTS_QUEUE"),
            sqs_client=boto3.client("sqs", **endpoint),
        )
    else:
        raise RuntimeError(f"unknown NOTICE_EMAIL_TRANSPORT {transport!r} (use file, smtp or ses)")
    return adapters


def deliver(
    incident_id: str, run_id: str, *, lake: Lake | None = None, adapters: dict[str, DeliveryAdapter] | None = None
) -> dict[str, Any]:
    """One delivery round for an incident."""
    from include.extract import run_key

    lake = lake or open_lake()
    round_key = f"{run_key(run_id)}"
    return deliver_round(
        lake,
        incident_id,
        adapters or adapters_from_configuration(),
        round_key,
        per_second=float(os.environ.get("NOTICE_SEND_RATE", "50")),
    )


def approval_record(decision: dict[str, Any] | None) -> dict[str, Any]:
    """Normalise the HITL answer: who, when, what, and why (the reason field of the form)."""
    if not decision:
        return {"approved": False, "by": None, "at": None, "reason": "no response recorded"}
    responder = decision.get("responded_by_user") or {}
    chosen = (decision.get("chosen_options") or [""])[0]
    responded_at = decision.get("responded_at")
    return {
        "approved": chosen == "Approve",
        "option": chosen,
        "by": responder.get("name") or responder.get("id"),
        "by_id": responder.get("id"),
        "at": responded_at.isoformat() if isinstance(responded_at, datetime) else responded_at,
        "reason": str((decision.get("params_input") or {}).get("reason") or "")[:500],
    }
