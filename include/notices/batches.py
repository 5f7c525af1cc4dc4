"""Notification batches: every new person's notice rendered and chunked into encrypted lake objects per channel.

Each object holds about 10,000 records (gzipped JSON lines, encrypted client-side); the batches' manifest lists
every object with its hash, the template and rules versions and the counts (no personal data).
"""

from __future__ import annotations

import gzip
import json
import re
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
from include.notices.addresses import parse_mailbox
from include.notices.channels import plan_channels
from include.notices.content import IncidentFacts, NoticeContext, build_context
from include.notices.render import LANGUAGES, SkeletonRenderer, render, subject, templates_version

BATCH_SIZE = 10_000
CHANNELS = ("email", "postal", "substitute", "banner")
NOTICE_KEY = re.compile(r"[0-9a-f]{64}")
REQUIRED_FIELDS = {"email": ("to", "from", "subject", "text", "html"), "postal": ("letter_html",)}


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
    # ASCII-only JSON lines: no value (U+2028, U+0085, a raw newline) can split a record.
    body = gzip.compress("".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records).encode(), mtime=0)
    stored = lake.put(key, crypto.encrypt(body, crypto.default_wrapper(), aad=key)).as_dict()
    return {**stored, "records": len(records)}


def record_problem(record: Any, channel: str) -> str | None:
    """Why a batch record cannot be delivered on its channel (None when it can); names fields, never values."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if not isinstance(record.get("key"), str) or not NOTICE_KEY.fullmatch(record["key"]):
        return "key: missing or not a notice key"
    for name in REQUIRED_FIELDS.get(channel, ()):
        if not isinstance(record.get(name), str) or not record[name]:
            return f"{name}: missing or not text"
    return None


def read_batch_checked(lake: Lake, key: str, channel: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records of one batch object, and the lines that could not be used (object, line number and why; no values)."""
    body = gzip.decompress(crypto.decrypt(lake.get(key), crypto.default_wrapper(), aad=key))
    records, problems = [], []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            problems.append({"object": key, "line": number, "reason": "not valid JSON"})
            continue
        if reason := record_problem(record, channel):
            problems.append({"object": key, "line": number, "reason": reason})
        else:
            records.append(record)
    return records, problems


def read_batch(lake: Lake, key: str) -> list[dict[str, Any]]:
    """Records of one batch object (lines that are not records are left out; read_batch_checked reports them)."""
    channel = next((c for c in CHANNELS if keys.is_batch_object(key, c)), "")
    return read_batch_checked(lake, key, channel)[0]


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
    name = context.display_name
    records: dict[str, dict[str, Any]] = {}
    if person["channel"] == "email":
        records["email"] = {
            **base,
            "to": mailbox.normalized if (mailbox := parse_mailbox(person["email"])) else person["email"],
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


def write_web_notices(
    lake: Lake, incident_id: str, version: int, covered: pd.DataFrame, rules: RuleSet, settings: NoticeSettings
) -> list[dict[str, Any]]:
    """The substitute notice's web page per jurisdiction and language covered, with that rule's content.

    Each page is built for a person with no name or address (nothing personal is ever posted), listing every
    element exposed for the people it covers and the jurisdiction's credit-monitoring offer.
    """
    pages: list[dict[str, Any]] = []
    languages = covered["language"].map(lambda value: value if value in LANGUAGES else "en")
    for (jurisdiction, language), group in covered.assign(language=languages).groupby(["jurisdiction", "language"]):
        elements = sorted({element for els in group["data_elements"] for element in els})
        person = {"jurisdiction": str(jurisdiction), "language": str(language), "data_elements": elements}
        key = keys.substitute_web_notice(incident_id, version, str(jurisdiction), str(language))
        stored = lake.put(key, render("notice.html", context_for(person, rules, settings)).encode()).as_dict()
        pages.append(
            dict(stored, channel="substitute-web", records=len(group), jurisdiction=str(jurisdiction), language=str(language))
        )
    return pages


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
    web_notices = write_web_notices(lake, incident_id, version, new[new["substitute"]], rules, settings)
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
        "objects": objects + web_notices + [dict(keys_object.as_dict(), channel="keys", records=int(people["notify"].sum()))],
    }
    manifest_object = lake.put(keys.batch_manifest(incident_id, version), json.dumps(manifest, indent=2).encode()).as_dict()
    return {
        "manifest": manifest,
        "outputs": [*[{k: o[k] for k in ("path", "sha256", "size")} for o in manifest["objects"]], manifest_object],
    }
