"""Notification batches: every new person's notice rendered and chunked into encrypted lake objects per channel.

Each object holds about 10,000 records (gzipped JSON lines, encrypted client-side); the batches' manifest lists
every object with its hash, the template and rules versions and the counts (no personal data).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict

import pandas as pd
import pyarrow as pa

from include.config import Business
from include.lake import crypto, keys
from include.lake.store import Lake, StoredOutput
from include.lake.tables import read_table, write_table
from include.legal.rules import RuleSet
from include.notices.channels import plan_channels
from include.notices.content import IncidentFacts, NoticeContext, build_context, element_labels
from include.notices.render import SkeletonRenderer, render, subject, templates_version

BATCH_SIZE = 10_000
CHANNELS = ("email", "postal", "substitute", "banner")


class BatchCounts(TypedDict):
    """Counts of a version's batches."""

    new_notices: int
    by_channel: dict[str, int]
    excluded_already_batched: int
    substitute_covered: int


class BatchesResult(TypedDict):
    """What build_batches returns through XCom (counts and stored objects only)."""

    outputs: list[StoredOutput]
    counts: BatchCounts


@dataclass(frozen=True)
class NoticeSettings:
    """What every notice of a version shares."""

    business: Business
    incident: IncidentFacts
    credit_monitoring: Mapping[str, int | None]
    sender: str
    notice_url: str


def _write_encrypted_jsonl(lake: Lake, key: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    body = gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(), mtime=0)
    stored = lake.put(key, crypto.encrypt(body, crypto.default_wrapper(), aad=key)).as_dict()
    return {**stored, "records": len(records)}


def read_batch(lake: Lake, key: str) -> list[dict[str, Any]]:
    """Records of one batch object."""
    body = gzip.decompress(crypto.decrypt(lake.get(key), crypto.default_wrapper(), aad=key))
    return [json.loads(line) for line in body.decode().splitlines() if line]


def batched_keys(lake: Lake, incident_id: str, before_version: int) -> set[str]:
    """Idempotency keys already put in a batch by earlier versions of the incident."""
    found: set[str] = set()
    for version in range(1, before_version):
        path = keys.batch_keys(incident_id, version)
        if lake.exists(path):
            found.update(read_table(lake, path, columns=["key"])["key"].to_pylist())
    return found


class BatchWriter:
    """Buffers records per channel and writes a numbered encrypted object every BATCH_SIZE records."""

    def __init__(self, lake: Lake, incident_id: str, version: int):
        self.lake, self.incident_id, self.version = lake, incident_id, version
        self.buffers: dict[str, list[dict[str, Any]]] = {channel: [] for channel in CHANNELS}
        self.counters: Counter[str] = Counter()
        self.objects: list[dict[str, Any]] = []

    def add(self, channel: str, record: dict[str, Any]) -> None:
        """Queue one record."""
        self.buffers[channel].append(record)

    def flush(self, channel: str) -> None:
        """Write the channel's queued records as its next object."""
        if self.buffers[channel]:
            self.counters[channel] += 1
            key = keys.batch_object(self.incident_id, self.version, channel, self.counters[channel])
            self.objects.append({**_write_encrypted_jsonl(self.lake, key, self.buffers[channel]), "channel": channel})
            self.buffers[channel] = []

    def flush_full(self) -> None:
        """Write every channel that holds a full batch."""
        for channel, records in self.buffers.items():
            if len(records) >= BATCH_SIZE:
                self.flush(channel)

    def close(self) -> list[dict[str, Any]]:
        """Write what is left; every object written."""
        for channel in CHANNELS:
            self.flush(channel)
        return self.objects


def person_records(
    person: dict[str, Any], context: NoticeContext, renderer: SkeletonRenderer, settings: NoticeSettings
) -> dict[str, dict[str, Any]]:
    """One person's records, by channel (email or postal, substitute, in-account banner)."""
    key = person["key"]
    base = {"key": key, "jurisdiction": person["jurisdiction"], "language": context.language, "variant": context.variant}
    name = f"{context.first_name} {context.last_name}".strip()
    records: dict[str, dict[str, Any]] = {}
    if person["channel"] == "email":
        records["email"] = {
            **base,
            "to": person["email"],
            "from": settings.sender,
            "from_name": settings.business.name,
            "subject": subject(context),
            "text": renderer.render("email.txt", context, key=key),
            "html": renderer.render("email.html", context, key=key),
            "name": name,
            "postal_lines": context.postal_lines if person["postal_valid"] else None,
            "letter_html": renderer.render("letter.html", context, key=key) if person["postal_valid"] else None,
        }
    elif person["channel"] == "postal":
        records["postal"] = {
            **base,
            "name": name,
            "postal_lines": context.postal_lines,
            "letter_html": renderer.render("letter.html", context, key=key),
        }
    if person["substitute"]:
        records["substitute"] = {**base, "reason": "no usable contact" if person["channel"] == "none" else "substitute notice"}
    if person["customer_ids"] is not None and len(person["customer_ids"]):
        records["banner"] = {
            **base,
            "customer_ids": [int(i) for i in person["customer_ids"]],
            "banner_html": renderer.render("banner_snippet.html", context, key=key),
        }
    return records


def context_for(person: dict[str, Any], rules: RuleSet, settings: NoticeSettings, *, credit: bool = True) -> NoticeContext:
    """The notice context of one person under the version's shared settings."""
    return build_context(
        business=settings.business,
        incident=settings.incident,
        person=person,
        rules=rules,
        credit_monitoring_months=settings.credit_monitoring.get(person["jurisdiction"]) if credit else None,
        notice_url=settings.notice_url,
    )


def write_web_notice(lake: Lake, key: str, new: pd.DataFrame, rules: RuleSet, settings: NoticeSettings) -> dict[str, Any] | None:
    """The substitute notice's web page, listing every element exposed in the version."""
    if not len(new):
        return None
    context = context_for(new.iloc[0].to_dict(), rules, settings, credit=False)
    context.elements = sorted({label for els in new["data_elements"] for label in element_labels(list(els))})
    return dict(lake.put(key, render("notice.html", context).encode()).as_dict())


def build_batches(
    lake: Lake,
    *,
    incident_id: str,
    version: int,
    individuals: pd.DataFrame,
    key_compromised: bool,
    rules: RuleSet,
    settings: NoticeSettings,
    cost_per_notice: Mapping[str, float],
) -> dict[str, Any]:
    """Render every new person's notice into ~10k-record encrypted objects per channel, plus the manifest."""
    already = batched_keys(lake, incident_id, version)
    plan = plan_channels(individuals, incident_id, key_compromised, rules, already, cost_per_notice)
    people = plan.people
    new = people[people["notify"] & ~people["already_batched"]]
    writer, renderer = BatchWriter(lake, incident_id, version), SkeletonRenderer()
    for row in new.itertuples(index=False):
        person = row._asdict()
        for channel, record in person_records(person, context_for(person, rules, settings), renderer, settings).items():
            writer.add(channel, record)
        writer.flush_full()
    objects = writer.close()
    web_notice = None
    if plan.substitute and any(v["whole_jurisdiction"] or v["reasons"] for v in plan.substitute.values()):
        web_notice = write_web_notice(lake, keys.substitute_web_notice(incident_id, version), new, rules, settings)
    notified = people[people["notify"]]
    columns = ["key", "jurisdiction", "channel", "substitute", "language", "already_batched"]
    keys_object = write_table(
        lake, keys.batch_keys(incident_id, version), pa.Table.from_pandas(notified[columns], preserve_index=False)
    )
    manifest: dict[str, Any] = {
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
        + [dict(keys_object.as_dict(), channel="keys", records=int(people["notify"].sum()))],
    }
    manifest_object = lake.put(keys.batch_manifest(incident_id, version), json.dumps(manifest, indent=2).encode()).as_dict()
    return {
        "manifest": manifest,
        "outputs": [*[{k: o[k] for k in ("path", "sha256", "size")} for o in manifest["objects"]], manifest_object],
    }
