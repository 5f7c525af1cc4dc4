"""Notification batches: who gets which notice on which channel, rendered and chunked into encrypted lake objects.

One idempotency key per person per incident (a keyed hash of the incident and the person), so a person
already batched in an earlier version of the incident is never batched again.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from include import lake_crypto
from include.lake import Lake
from include.notices.content import Business, IncidentFacts, build_context, is_credentials_only
from include.notices.render import SkeletonRenderer, render, subject, templates_version
from include.obligations import assess_group
from include.rules import AffectedGroup, RuleSet

BATCH_SIZE = 10_000
COST_PER_NOTICE = {
    "email": float(os.environ.get("NOTICE_COST_EMAIL", "0.05")),
    "postal": float(os.environ.get("NOTICE_COST_POSTAL", "1.20")),
}


def notice_key(incident_id: str, person: str) -> str:
    """The idempotency key of one person's notice for one incident (pseudonymous, stable across versions)."""
    return lake_crypto.pseudonym(f"{incident_id}:{person}", purpose="notice")


@dataclass(frozen=True)
class ChannelPlan:
    """Channels chosen for everyone in a version, plus the substitute-notice decisions (counts only)."""

    people: pd.DataFrame
    substitute: dict[str, dict[str, Any]]


def _rule_for(jurisdiction: str, rules: RuleSet) -> dict[str, Any]:
    return rules.for_jurisdiction("US-CA" if jurisdiction == "UNKNOWN" else jurisdiction)


def plan_channels(
    individuals: pd.DataFrame, incident_id: str, key_compromised: bool, rules: RuleSet, already_batched: set[str]
) -> ChannelPlan:
    """Who must be told (per the rules), and how: email, postal letter, or substitute notice."""
    people = individuals.copy()
    people["key"] = [notice_key(incident_id, p) for p in people["person"]]
    signature = list(
        zip(people["jurisdiction"], map(tuple, people["data_elements"]), map(tuple, people["encrypted_elements"]), strict=True)
    )
    verdicts: dict[tuple, bool] = {}
    for jurisdiction, elements, encrypted in set(signature):
        rule = _rule_for(jurisdiction, rules)
        group = AffectedGroup(
            jurisdiction=jurisdiction,
            count=1,
            data_elements=list(elements),
            key_compromised=key_compromised,
            encrypted_elements=list(encrypted),
        )
        verdicts[(jurisdiction, elements, encrypted)] = assess_group(rule, rules, group).status == "notify"
    people["notify"] = [verdicts[s] for s in signature]
    credentials_only = {elements: is_credentials_only(list(elements), rules) for _, elements, _ in set(signature)}
    people["credentials_only"] = [credentials_only[elements] for _, elements, _ in signature]
    people["already_batched"] = people["key"].isin(already_batched)
    email_ok = people["email_valid"].astype(bool) & ~people["credentials_only"]
    postal_ok = people["postal_valid"].astype(bool)
    people["channel"] = "none"
    people.loc[postal_ok, "channel"] = "postal"
    people.loc[email_ok, "channel"] = "email"
    substitute: dict[str, dict[str, Any]] = {}
    to_notify = people[people["notify"]]
    for jurisdiction, group in to_notify.groupby("jurisdiction"):
        rule_terms = _rule_for(jurisdiction, rules).get("substitute_notice") or {}
        cost = float(sum(COST_PER_NOTICE.get(c, COST_PER_NOTICE["postal"]) for c in group["channel"]))
        reasons = []
        if rule_terms.get("people_over") is not None and len(group) > rule_terms["people_over"]:
            reasons.append(f"more than {rule_terms['people_over']} people to notify")
        if rule_terms.get("cost_over") is not None and cost > rule_terms["cost_over"]:
            reasons.append(f"estimated cost {cost:,.0f} over {rule_terms['cost_over']:,}")
        no_contact = int((group["channel"] == "none").sum())
        if no_contact:
            reasons.append(f"{no_contact} without usable contact details")
        substitute[jurisdiction] = {
            "whole_jurisdiction": bool(reasons and not (len(reasons) == 1 and no_contact)),
            "reasons": reasons,
            "people": len(group),
            "estimated_cost": round(cost, 2),
            "needs_legal_review": bool(reasons) and bool(rule_terms.get("needs_legal_review")),
            "citation": rule_terms.get("citation"),
        }
    people["substitute"] = (people["channel"] == "none") | people["jurisdiction"].map(
        lambda j: substitute.get(j, {}).get("whole_jurisdiction", False)
    )
    return ChannelPlan(people, substitute)


def _write_encrypted_jsonl(lake: Lake, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    body = gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(), mtime=0)
    stored = lake.put(key, lake_crypto.encrypt(body, lake_crypto.default_wrapper(), aad=key)).as_dict()
    return {**stored, "records": len(records)}


def read_batch(lake: Lake, key: str) -> list[dict[str, Any]]:
    """Records of one batch object."""
    body = gzip.decompress(lake_crypto.decrypt(lake.get(key), lake_crypto.default_wrapper(), aad=key))
    return [json.loads(line) for line in body.decode().splitlines() if line]


def batched_keys(lake: Lake, incident_id: str, before_version: int) -> set[str]:
    """Idempotency keys already put in a batch by earlier versions of the incident."""
    keys: set[str] = set()
    for version in range(1, before_version):
        path = f"incidents/{incident_id}/v{version}/batches/keys.parquet"
        if lake.exists(path):
            keys.update(pq.read_table(io.BytesIO(lake.get(path)), columns=["key"])["key"].to_pylist())
    return keys


def build_batches(
    lake: Lake,
    *,
    incident_id: str,
    version: int,
    individuals: pd.DataFrame,
    key_compromised: bool,
    rules: RuleSet,
    business: Business,
    incident: IncidentFacts,
    credit_monitoring: dict[str, int | None],
    sender: str,
    notice_url: str,
) -> dict[str, Any]:
    """Render every new person's notice into ~10k-record encrypted objects per channel, plus the manifest."""
    prefix = f"incidents/{incident_id}/v{version}/batches"
    plan = plan_channels(individuals, incident_id, key_compromised, rules, batched_keys(lake, incident_id, version))
    people = plan.people
    new = people[people["notify"] & ~people["already_batched"]]
    objects: list[dict[str, Any]] = []
    buffers: dict[str, list[dict[str, Any]]] = {"email": [], "postal": [], "substitute": [], "banner": []}
    counters: Counter[str] = Counter()
    renderer = SkeletonRenderer()

    def flush(channel: str) -> None:
        if buffers[channel]:
            counters[channel] += 1
            objects.append(
                {
                    **_write_encrypted_jsonl(
                        lake, f"{prefix}/{channel}/batch-{counters[channel]:05d}.jsonl.gz.enc", buffers[channel]
                    ),
                    "channel": channel,
                }
            )
            buffers[channel] = []

    for row in new.itertuples(index=False):
        person = row._asdict()
        context = build_context(
            business=business,
            incident=incident,
            person=person,
            rules=rules,
            credit_monitoring_months=credit_monitoring.get(person["jurisdiction"]),
            notice_url=notice_url,
        )
        base = {
            "key": person["key"],
            "jurisdiction": person["jurisdiction"],
            "language": context.language,
            "variant": context.variant,
        }
        key = person["key"]
        name = f"{context.first_name} {context.last_name}".strip()
        if person["channel"] == "email":
            buffers["email"].append(
                {
                    **base,
                    "to": person["email"],
                    "from": sender,
                    "from_name": business.name,
                    "subject": subject(context),
                    "text": renderer.render("email.txt", context, key=key),
                    "html": renderer.render("email.html", context, key=key),
                    "name": name,
                    "postal_lines": context.postal_lines if person["postal_valid"] else None,
                    "letter_html": renderer.render("letter.html", context, key=key) if person["postal_valid"] else None,
                }
            )
        elif person["channel"] == "postal":
            buffers["postal"].append(
                {
                    **base,
                    "name": name,
                    "postal_lines": context.postal_lines,
                    "letter_html": renderer.render("letter.html", context, key=key),
                }
            )
        if person["substitute"]:
            buffers["substitute"].append(
                {**base, "reason": "no usable contact" if person["channel"] == "none" else "substitute notice"}
            )
        if person["customer_ids"] is not None and len(person["customer_ids"]):
            buffers["banner"].append(
                {
                    **base,
                    "customer_ids": [int(i) for i in person["customer_ids"]],
                    "banner_html": renderer.render("banner_snippet.html", context, key=key),
                }
            )
        for channel, records in buffers.items():
            if len(records) >= BATCH_SIZE:
                flush(channel)
    for channel in list(buffers):
        flush(channel)
    web_notice = None
    if plan.substitute and any(v["whole_jurisdiction"] or v["reasons"] for v in plan.substitute.values()):
        sample = new.iloc[0].to_dict() if len(new) else None
        if sample is not None:
            context = build_context(
                business=business,
                incident=incident,
                person=sample,
                rules=rules,
                credit_monitoring_months=None,
                notice_url=notice_url,
            )
            context.elements = sorted({label for els in new["data_elements"] for label in _labels(els)})
            web_notice = lake.put(f"{prefix}/substitute/notice.html", render("notice.html", context).encode()).as_dict()
    keys_table = pa.Table.from_pandas(
        people[people["notify"]][["key", "jurisdiction", "channel", "substitute", "language", "already_batched"]],
        preserve_index=False,
    )
    buffer = io.BytesIO()
    pq.write_table(keys_table, buffer, compression="zstd")
    keys_object = lake.put(f"{prefix}/keys.parquet", buffer.getvalue()).as_dict()
    manifest = {
        "incident_id": incident_id,
        "version": version,
        "built_on": date.today().isoformat(),
        "templates_version": templates_version(),
        "rules_version": rules.version,
        "people_to_notify": int(people["notify"].sum()),
        "new_notices": len(new),
        "excluded_already_batched": int((people["notify"] & people["already_batched"]).sum()),
        "not_required": int((~people["notify"]).sum()),
        "by_channel": {c: int((new["channel"] == c).sum()) for c in ("email", "postal", "none")},
        "substitute": plan.substitute,
        "substitute_covered": int(new["substitute"].sum()),
        "objects": objects
        + ([dict(web_notice, channel="substitute-web", records=1)] if web_notice else [])
        + [dict(keys_object, channel="keys", records=int(people["notify"].sum()))],
    }
    manifest_object = lake.put(f"{prefix}/manifest.json", json.dumps(manifest, indent=2).encode()).as_dict()
    return {
        "manifest": manifest,
        "outputs": [*[{k: o[k] for k in ("path", "sha256", "size")} for o in manifest["objects"]], manifest_object],
    }


def _labels(elements: list[str]) -> list[str]:
    from include.notices.content import element_labels

    return element_labels(list(elements))
