"""Suspected incidents: what detection, SIEM alerts and processors' reports produce, and what triage decides on.

A suspected incident carries no personal data: rule or alert ids, categories, times, counts, and evidence as
table and primary keys or log file and line numbers. It lives at `detections/suspects/<id>.json`, where the id
is derived from its source and dedupe key, so the same detection or the same alert sent twice is recorded once;
later sightings are appended as updates (`detections/suspects/<id>/updates/<seq>.json`), never overwriting.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from include.lake import keys
from include.lake.store import Lake

SUSPECTS = "detections/suspects/"
Source = Literal["detection", "siem", "processor"]


class Evidence(BaseModel):
    """Where the evidence is: table and primary keys, a log file and line numbers, or an external alert reference."""

    model_config = ConfigDict(extra="forbid")
    table: str | None = Field(default=None, max_length=64)
    primary_keys: list[int | str] = Field(default_factory=list, max_length=1000)
    log_file: str | None = Field(default=None, max_length=512)
    line_numbers: list[int] = Field(default_factory=list, max_length=1000)
    reference: str | None = Field(default=None, max_length=256)


class SuspectedIncident(BaseModel):
    """One suspected incident awaiting triage."""

    model_config = ConfigDict(extra="forbid")
    source: Source
    sender: str | None = Field(default=None, max_length=128)
    dedupe_key: str = Field(min_length=1, max_length=256)
    rule_id: str | None = Field(default=None, max_length=128)
    category: str = Field(min_length=1, max_length=64)
    level: Literal["informational", "low", "medium", "high", "critical"] = "medium"
    title: str = Field(min_length=1, max_length=300)
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    count: int = Field(ge=1)
    compromised_tables: list[str] = Field(default_factory=list, max_length=100)
    evidence: list[Evidence] = Field(default_factory=list, max_length=100)
    # The requesting client of an access-log enumeration (the attacker's address, which the access_log scope needs).
    client: str | None = Field(default=None, max_length=64, pattern=r"^[0-9A-Fa-f:.]+$")

    @property
    def suspect_id(self) -> str:
        """Stable id: the same source and dedupe key always give the same suspected incident."""
        digest = hashlib.sha256(f"{self.source}\0{self.sender or ''}\0{self.dedupe_key}".encode()).hexdigest()
        return f"SUS-{digest[:16]}"


def suspect_key(suspect_id: str) -> str:
    """Where a suspected incident is first recorded."""
    return f"{SUSPECTS}{suspect_id}.json"


def record_suspect(lake: Lake, suspect: SuspectedIncident) -> tuple[str, bool]:
    """Record a suspected incident once; returns its id and whether this call created it (False when already known)."""
    suspect_id = suspect.suspect_id
    body = json.dumps({"id": suspect_id, **suspect.model_dump(mode="json")}, sort_keys=True, indent=1).encode()
    return suspect_id, lake.put_if_absent(suspect_key(suspect_id), body) is not None


def load_suspect(lake: Lake, suspect_id: str) -> dict[str, object]:
    """A recorded suspected incident, as stored."""
    return dict(json.loads(lake.get(suspect_key(suspect_id))))


def suspect_ids(lake: Lake) -> list[str]:
    """Every recorded suspected incident, in id order."""
    return sorted(
        key.removeprefix(SUSPECTS).removesuffix(".json")
        for key, _ in lake.list(SUSPECTS)
        if key.endswith(".json") and "/" not in key.removeprefix(SUSPECTS)
    )


def first_evidence_time(suspect: dict[str, object]) -> datetime:
    """When the earliest evidence was seen (the clock of a confirmed incident starts here)."""
    return datetime.fromisoformat(str(suspect["first_seen"]))


def suspect_updates(lake: Lake, suspect_id: str) -> list[str]:
    """The keys of a suspected incident's later sightings, in order."""
    prefix = keys.suspect_update(suspect_id, 0).rsplit("/", 1)[0] + "/"
    return sorted(key for key, _ in lake.list(prefix) if key.endswith(".json"))


def append_sighting(lake: Lake, suspect: SuspectedIncident) -> str | None:
    """Record a later sighting of a known suspected incident when it adds something (a later last_seen or more
    hits); returns the update's key, or None when nothing is new. Never overwrites."""
    suspect_id = suspect.suspect_id
    known = [load_suspect(lake, suspect_id)] + [json.loads(lake.get(key)) for key in suspect_updates(lake, suspect_id)]
    latest = max(datetime.fromisoformat(str(item["last_seen"])) for item in known)
    if suspect.last_seen <= latest and suspect.count <= max(int(str(item["count"])) for item in known):
        return None
    key = keys.suspect_update(suspect_id, len(known))
    body = json.dumps({"id": suspect_id, **suspect.model_dump(mode="json")}, sort_keys=True, indent=1).encode()
    return key if lake.put_if_absent(key, body) is not None else None
