"""Verification of the evidence ledger: recompute every hash and the chain from the bytes in the lake alone."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from include.lake import keys
from include.lake.ledger import GENESIS, canonical, ledger_keys, sha256
from include.lake.store import Lake


@dataclass
class Problem:
    """One thing verify found wrong."""

    kind: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind:<12} {self.path}  {self.detail}"


@dataclass
class VerifyReport:
    """Result of a full verification."""

    entries: int = 0
    manifests: int = 0
    outputs_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    head: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def parse_document(data: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


class Verifier:
    """One pass over the lake: the ledger's chain and head, every manifest, every output, and anything unsealed."""

    def __init__(self, lake: Lake, since: datetime | None):
        self.lake, self.since = lake, since
        self.report = VerifyReport()
        self.covered: set[str] = set()
        self.deleted: set[str] = set()
        self.manifests: list[dict[str, Any]] = []

    def problem(self, kind: str, path: str, detail: str) -> None:
        """Record one thing found wrong."""
        self.report.problems.append(Problem(kind, path, detail))

    def check_chain(self) -> tuple[int, str | None]:
        """Every entry's hash, sequence and link to the previous one; returns the entry count and the last hash."""
        entry_keys = ledger_keys(self.lake)
        previous_hash: str | None = GENESIS
        for position, key in enumerate(entry_keys):
            entry = parse_document(self.lake.get(key))
            self.report.entries += 1
            if entry is None:
                self.problem("altered", key, "ledger entry is not valid JSON")
                previous_hash = None
                continue
            claimed = entry.get("entry_hash")
            body = {k: v for k, v in entry.items() if k != "entry_hash"}
            if sha256(canonical(body)) != claimed:
                self.problem("altered", key, "entry content does not match its hash")
            if entry.get("seq") != position or key != keys.ledger_entry(position):
                self.problem("reordered", key, f"expected sequence {position}, entry says {entry.get('seq')}")
            if previous_hash is not None and entry.get("prev_hash") != previous_hash:
                self.problem("reordered", key, "previous-hash link broken (entry missing, moved or replaced)")
            previous_hash = claimed
            if entry.get("type") == "manifest":
                self.manifests.append(entry)
            elif entry.get("type") == "deletion":
                self.deleted.update(entry.get("paths", []))
        return len(entry_keys), previous_hash

    def check_head(self, entries: int, last_hash: str | None) -> None:
        """HEAD.json names the last entry, so a ledger cut short is noticed."""
        head = parse_document(self.lake.get(keys.HEAD)) if self.lake.exists(keys.HEAD) else None
        self.report.head = head
        if entries and head is None:
            self.problem("missing", keys.HEAD, "ledger head is missing")
        elif head is not None and (head.get("seq") != entries - 1 or head.get("entry_hash") != last_hash):
            self.problem("truncated", keys.LEDGER, f"head says entry {head.get('seq')}, ledger ends at {entries - 1}")

    def check_manifest(self, entry: dict[str, Any]) -> None:
        """One manifest against its ledger hash, and each of its outputs against the manifest."""
        key = entry.get("manifest", "")
        self.covered.add(key)
        if not self.lake.exists(key):
            self.problem("missing", key, "manifest named by the ledger is gone")
            return
        data = self.lake.get(key)
        if sha256(data) != entry.get("manifest_sha256"):
            self.problem("altered", key, "manifest does not match the hash in the ledger")
        manifest = parse_document(data) or {"outputs": []}
        self.report.manifests += 1
        recheck = self.since is None or (manifest.get("sealed_at") or "") >= self.since.isoformat()
        for output in manifest.get("outputs", []):
            self.check_output(output, manifest, recheck)

    def check_output(self, output: dict[str, Any], manifest: dict[str, Any], recheck: bool) -> None:
        """One output: present with the manifest's hash and size, or declared deleted and gone."""
        path = output["path"]
        self.covered.add(path)
        if path in self.deleted:
            if self.lake.exists(path):
                self.problem("added", path, "declared deleted by retention but still present")
            return
        if not recheck:
            return
        self.report.outputs_checked += 1
        if not self.lake.exists(path):
            self.problem("missing", path, f"output of {manifest.get('dag_id')} run {manifest.get('run_id')}")
            return
        content = self.lake.get(path)
        if sha256(content) != output["sha256"] or len(content) != output["size"]:
            self.problem("altered", path, "content does not match the manifest")

    def check_coverage(self) -> None:
        """Anything under an evidenced prefix that no sealed manifest lists."""
        for prefix in keys.EVIDENCED_PREFIXES:
            for path, _ in self.lake.list(prefix):
                if path not in self.covered:
                    self.problem("added", path, "not listed in any sealed manifest")

    def run(self) -> VerifyReport:
        """The whole verification."""
        self.check_head(*self.check_chain())
        for entry in self.manifests:
            self.check_manifest(entry)
        self.check_coverage()
        return self.report


def verify(lake: Lake, since: datetime | None = None) -> VerifyReport:
    """Recompute every hash and the chain; report each missing, altered, added or reordered object."""
    return Verifier(lake, since).run()
