"""Verification of the evidence ledger: recompute every hash, the chain and its signatures from the bytes in the lake.

What an auditor needs besides the lake: the public key the ledger is signed with (`--public-key`), and the head
they recorded at an earlier audit (`--expect-head`), which a ledger cut short or rewritten no longer contains.
On S3 every retained version of `HEAD.json` (kept under Object Lock) must also name an entry of the chain.

Each path's expected content is decided by the ledger in order: a manifest lists it (or its run removed it), a
deletion entry removes it, a re-wrap entry changes its hash to the same content under a new master key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from include.lake import keys
from include.lake.jsondoc import load_object
from include.lake.ledger import GENESIS, entry_hash, ledger_keys, sha256, signed_bytes
from include.lake.signing import signature_problem
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
    signatures_checked: bool = False
    signers: list[str] = field(default_factory=list)
    head_versions_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def parse_document(data: bytes) -> dict[str, Any] | None:
    """A lake JSON document (bounded in size and depth), or None when it is not a JSON object."""
    return load_object(data)


@dataclass
class Expected:
    """What one path must hold: one of the accepted hashes (with its size), or nothing when deleted."""

    accept: dict[str, int]
    origin: str
    decided_at: str
    deleted: bool = False


DELETED_DETAIL = "declared deleted but still present"


class Verifier:
    """One pass over the lake: the chain, signatures and head, every manifest, every output, and anything unsealed."""

    def __init__(
        self,
        lake: Lake,
        since: datetime | None,
        public_keys: Mapping[str, Ed25519PublicKey] | None = None,
        expect_head: str | None = None,
    ):
        self.lake, self.since = lake, since
        self.public_keys, self.expect_head = public_keys, expect_head
        self.report = VerifyReport(signatures_checked=bool(public_keys))
        self.events: list[dict[str, Any]] = []
        self.chain: list[str | None] = []
        self.expected: dict[str, Expected] = {}
        self.manifest_keys: set[str] = set()

    def problem(self, kind: str, path: str, detail: str) -> None:
        """Record one thing found wrong."""
        self.report.problems.append(Problem(kind, path, detail))

    def check_signature(self, key: str, entry: dict[str, Any]) -> None:
        """The entry is signed by one of the auditor's public keys."""
        if self.public_keys is None:
            return
        problem = signature_problem(self.public_keys, signed_bytes(entry), entry.get("signature"))
        if problem:
            self.problem("unsigned" if problem == "entry is not signed" else "forged", key, problem)
        elif (signer := str(entry["signature"]["key_id"])) not in self.report.signers:
            self.report.signers.append(signer)

    def check_chain(self) -> tuple[int, str | None]:
        """Every entry's hash, sequence, link and signature; returns the entry count and the last hash."""
        entry_keys = ledger_keys(self.lake)
        previous_hash: str | None = GENESIS
        for position, key in enumerate(entry_keys):
            entry = parse_document(self.lake.get(key))
            self.report.entries += 1
            if entry is None:
                self.problem("altered", key, "ledger entry is not valid JSON")
                previous_hash = None
                self.chain.append(None)
                continue
            claimed = entry.get("entry_hash")
            if entry_hash(entry) != claimed:
                self.problem("altered", key, "entry content does not match its hash")
            if entry.get("seq") != position or key != keys.ledger_entry(position):
                self.problem("reordered", key, f"expected sequence {position}, entry says {entry.get('seq')}")
            if previous_hash is not None and entry.get("prev_hash") != previous_hash:
                self.problem("reordered", key, "previous-hash link broken (entry missing, moved or replaced)")
            self.check_signature(key, entry)
            previous_hash = claimed if isinstance(claimed, str) else None
            self.chain.append(previous_hash)
            if entry.get("type") in ("manifest", "deletion", "rewrap"):
                self.events.append(entry)
        return len(entry_keys), previous_hash

    def check_head(self, entries: int, last_hash: str | None) -> None:
        """HEAD.json names the last entry; the auditor's recorded head and every retained head version are in the chain."""
        current = self.lake.get(keys.HEAD) if self.lake.exists(keys.HEAD) else None
        head = parse_document(current) if current is not None else None
        self.report.head = head
        if entries and head is None:
            self.problem("missing", keys.HEAD, "ledger head is missing or unreadable")
        elif head is not None and head.get("seq", -1) > entries - 1:
            self.problem("truncated", keys.LEDGER, f"head says entry {head.get('seq')}, ledger ends at {entries - 1}")
        elif head is not None and (head.get("seq") != entries - 1 or head.get("entry_hash") != last_hash):
            self.problem("head", keys.HEAD, f"head names entry {head.get('seq')}, ledger ends at {entries - 1}")
        if self.expect_head and self.expect_head not in self.chain:
            self.problem(
                "anchor",
                keys.LEDGER,
                f"the head recorded before ({self.expect_head}) is not in this ledger: entries removed or rewritten",
            )
        for version in {bytes(v) for v in self.lake.history(keys.HEAD)} - {current}:
            self.report.head_versions_checked += 1
            self.check_anchor(parse_document(version))

    def check_anchor(self, anchor: dict[str, Any] | None) -> None:
        """One retained head version names an entry of the chain, by sequence and hash."""
        seq = anchor.get("seq") if anchor else None
        if not isinstance(seq, int) or anchor is None:
            self.problem("anchor", keys.HEAD, "a retained head version is unreadable")
        elif seq >= len(self.chain) or seq < 0:
            self.problem(
                "anchor", keys.HEAD, f"a retained head version names entry {seq}, the ledger ends at {len(self.chain) - 1}"
            )
        elif self.chain[seq] != anchor.get("entry_hash"):
            self.problem("anchor", keys.HEAD, f"a retained head version names another hash for entry {seq} (chain rewritten)")

    def apply_manifest(self, entry: dict[str, Any]) -> None:
        """A manifest against its ledger hash; its outputs become expected and what its run removed, deleted."""
        key = str(entry.get("manifest", ""))
        self.manifest_keys.add(key)
        if not self.lake.exists(key):
            self.problem("missing", key, "manifest named by the ledger is gone")
            return
        data = self.lake.get(key)
        if sha256(data) != entry.get("manifest_sha256"):
            self.problem("altered", key, "manifest does not match the hash in the ledger")
        manifest = parse_document(data) or {}
        self.report.manifests += 1
        origin = f"output of {manifest.get('dag_id')} run {manifest.get('run_id')}"
        sealed_at = str(manifest.get("sealed_at") or "")
        outputs = manifest.get("outputs")
        for position, output in enumerate(outputs if isinstance(outputs, list) else []):
            if not isinstance(output, dict) or not isinstance(output.get("path"), str) or not isinstance(output.get("size"), int):
                self.problem("altered", key, f"manifest output {position} is malformed")
                continue
            self.expected[output["path"]] = Expected({str(output.get("sha256")): output["size"]}, origin, sealed_at)
        for path in manifest.get("removed") or []:
            self.expected[str(path)] = Expected({}, origin, sealed_at, deleted=True)

    def apply_rewrap(self, entry: dict[str, Any]) -> None:
        """Objects re-wrapped under a new master key: either the old or the new bytes are accepted."""
        for change in entry.get("objects") or []:
            if not isinstance(change, dict):
                continue
            current = self.expected.get(str(change.get("path")))
            old = str(change.get("from_sha256"))
            if current is not None and not current.deleted and old in current.accept:
                accept = {old: current.accept[old], str(change.get("sha256")): int(change.get("size") or 0)}
                self.expected[str(change["path"])] = Expected(accept, current.origin, str(entry.get("recorded_at")))

    def apply_events(self) -> None:
        """Every manifest, deletion and re-wrap, in ledger order."""
        for entry in self.events:
            if entry["type"] == "manifest":
                self.apply_manifest(entry)
            elif entry["type"] == "deletion":
                for path in entry.get("paths") or []:
                    self.expected[str(path)] = Expected({}, "deletion", str(entry.get("recorded_at")), deleted=True)
            else:
                self.apply_rewrap(entry)

    def check_output(self, path: str, expected: Expected) -> None:
        """One path: present with an accepted hash and size, or declared deleted and gone."""
        if expected.deleted:
            if self.lake.exists(path):
                self.problem("added", path, DELETED_DETAIL)
            return
        if self.since is not None and expected.decided_at < self.since.isoformat():
            return
        self.report.outputs_checked += 1
        if not self.lake.exists(path):
            self.problem("missing", path, expected.origin)
            return
        content = self.lake.get(path)
        if expected.accept.get(sha256(content), -1) != len(content):
            self.problem("altered", path, "content does not match the manifest")

    def check_coverage(self) -> None:
        """Anything under an evidenced prefix that no sealed manifest lists (leases excepted)."""
        for prefix in keys.EVIDENCED_PREFIXES:
            for path, _ in self.lake.list(prefix):
                if path.startswith(keys.UNSEALED_PREFIXES) or path in self.manifest_keys:
                    continue
                if path not in self.expected:
                    self.problem("added", path, "not listed in any sealed manifest")

    def check_immutable(self) -> None:
        """No ledger entry or manifest was ever overwritten (on S3 every retained version counts)."""
        for prefix in (keys.LEDGER, keys.MANIFESTS):
            for path, count in sorted(self.lake.version_counts(prefix).items()):
                if count > 1:
                    self.problem("rewritten", path, f"{count} versions: overwritten after it was written (and locked)")

    def run(self) -> VerifyReport:
        """The whole verification."""
        self.check_immutable()
        self.check_head(*self.check_chain())
        self.apply_events()
        for path, expected in self.expected.items():
            self.check_output(path, expected)
        self.check_coverage()
        return self.report


def verify(
    lake: Lake,
    since: datetime | None = None,
    *,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    expect_head: str | None = None,
) -> VerifyReport:
    """Recompute every hash, the chain and (given public keys) every signature; report each problem found."""
    return Verifier(lake, since, public_keys, expect_head).run()
