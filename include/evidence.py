"""Tamper-evident evidence: per-run manifests of every output, appended to a hash-chained ledger.

Layout under the lake root:
- `evidence/manifests/<dag>/<run>.json`: each output's path, sha256, size, producing DAG/task/run and versions;
- `evidence/ledger/<seq>.json`: one immutable entry per manifest, audit event or retention deletion; each carries
  the previous entry's hash, so changing, removing or reordering any entry breaks the chain;
- `evidence/HEAD.json`: the latest sequence number and hash, so a ledger cut short is noticed.

On S3 every evidence object is written with Object Lock (COMPLIANCE) and SSE-KMS. `verify` recomputes all of it
from the bytes in the lake and needs nothing from the pipeline but the lake itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from include.lake import Lake, LakeError

LEDGER_PREFIX = "evidence/ledger/"
MANIFEST_PREFIX = "evidence/manifests/"
HEAD_KEY = "evidence/HEAD.json"
GENESIS = "0" * 64
EVIDENCED_PREFIXES = ("scans/", "extracts/", "incidents/", "reports/", "alerts/", MANIFEST_PREFIX)
PCI_AUDIT_FIELDS = ("user_id", "event_type", "timestamp", "outcome", "origin", "affected_data", "component")
ENTRY_ATTEMPTS = 50


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a hash is taken over: sorted keys, no whitespace."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


def now_iso() -> str:
    """UTC now, ISO 8601 seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@cache
def code_version() -> str:
    """PIPELINE_CODE_VERSION, else the git commit of the checkout, else 'unknown'."""
    if version := os.environ.get("PIPELINE_CODE_VERSION"):
        return version
    root = Path(__file__).resolve().parent.parent
    try:
        return subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _entry_key(seq: int) -> str:
    return f"{LEDGER_PREFIX}{seq:012d}.json"


def _ledger_keys(lake: Lake) -> list[str]:
    return sorted(key for key, _ in lake.list(LEDGER_PREFIX) if key.endswith(".json"))


def _last_entry(lake: Lake) -> dict[str, Any] | None:
    keys = _ledger_keys(lake)
    return json.loads(lake.get(keys[-1])) if keys else None


def append_entry(lake: Lake, body: dict[str, Any]) -> dict[str, Any]:
    """Append one entry after the current last one; concurrent writers retry on the next sequence number."""
    for _ in range(ENTRY_ATTEMPTS):
        last = _last_entry(lake)
        entry = {
            "seq": last["seq"] + 1 if last else 0,
            "prev_hash": last["entry_hash"] if last else GENESIS,
            "recorded_at": now_iso(),
            **body,
        }
        entry["entry_hash"] = sha256(canonical(entry))
        if lake.put_if_absent(_entry_key(entry["seq"]), canonical(entry), locked=True) is not None:
            lake.put(HEAD_KEY, canonical({"seq": entry["seq"], "entry_hash": entry["entry_hash"]}))
            return entry
    raise LakeError("could not append to the evidence ledger: too many concurrent writers")


def seal_run(
    lake: Lake,
    *,
    dag_id: str,
    run_id: str,
    outputs: list[dict[str, Any]],
    versions: dict[str, str],
    started_at: str | None = None,
    run_key: str | None = None,
) -> dict[str, Any]:
    """Write a run's manifest (every output with its hash) and chain it into the ledger."""
    sealed_at = now_iso()
    unique = {o["path"]: o for o in outputs}
    manifest = {
        "dag_id": dag_id,
        "run_id": run_id,
        "code_version": code_version(),
        "versions": versions,
        "started_at": started_at,
        "sealed_at": sealed_at,
        "outputs": [
            {
                "path": o["path"],
                "sha256": o["sha256"],
                "size": o["size"],
                "dag_id": dag_id,
                "task_id": o.get("task_id"),
                "run_id": run_id,
                "created_at": o.get("created_at", sealed_at),
            }
            for o in sorted(unique.values(), key=lambda o: o["path"])
        ],
    }
    key = f"{MANIFEST_PREFIX}{dag_id}/{run_key or run_id}.json"
    stored = lake.put(key, canonical(manifest), locked=True)
    return append_entry(
        lake,
        {
            "type": "manifest",
            "dag_id": dag_id,
            "run_id": run_id,
            "manifest": key,
            "manifest_sha256": stored.sha256,
            "outputs": len(manifest["outputs"]),
        },
    )


def record_audit(lake: Lake, event: dict[str, Any]) -> dict[str, Any]:
    """An audit-trail entry with the PCI DSS 10.2.2 fields (user, event, time, outcome, origin, data, component)."""
    missing = [name for name in PCI_AUDIT_FIELDS if name not in event]
    if missing:
        raise ValueError(f"audit event lacks {', '.join(missing)}")
    return append_entry(lake, {"type": "audit", "event": event})


def record_deletion(lake: Lake, paths: list[str], reason: str) -> dict[str, Any] | None:
    """Declare outputs removed on purpose (retention); verify then expects them to be gone."""
    if not paths:
        return None
    return append_entry(lake, {"type": "deletion", "paths": sorted(paths), "reason": reason})


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


def _parse(data: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def verify(lake: Lake, since: datetime | None = None) -> VerifyReport:
    """Recompute every hash and the chain; report each missing, altered, added or reordered object."""
    report = VerifyReport()
    keys = _ledger_keys(lake)
    previous_hash = GENESIS
    covered: set[str] = set()
    deleted: set[str] = set()
    manifests: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for position, key in enumerate(keys):
        entry = _parse(lake.get(key))
        report.entries += 1
        if entry is None:
            report.problems.append(Problem("altered", key, "ledger entry is not valid JSON"))
            previous_hash = None
            continue
        claimed = entry.get("entry_hash")
        body = {k: v for k, v in entry.items() if k != "entry_hash"}
        if sha256(canonical(body)) != claimed:
            report.problems.append(Problem("altered", key, "entry content does not match its hash"))
        if entry.get("seq") != position or key != _entry_key(position):
            report.problems.append(Problem("reordered", key, f"expected sequence {position}, entry says {entry.get('seq')}"))
        if previous_hash is not None and entry.get("prev_hash") != previous_hash:
            report.problems.append(Problem("reordered", key, "previous-hash link broken (entry missing, moved or replaced)"))
        previous_hash = claimed
        if entry.get("type") == "manifest":
            manifests.append((entry, {}))
        elif entry.get("type") == "deletion":
            deleted.update(entry.get("paths", []))
    head = _parse(lake.get(HEAD_KEY)) if lake.exists(HEAD_KEY) else None
    report.head = head
    if keys and head is None:
        report.problems.append(Problem("missing", HEAD_KEY, "ledger head is missing"))
    elif head is not None and (head.get("seq") != len(keys) - 1 or head.get("entry_hash") != previous_hash):
        report.problems.append(
            Problem("truncated", LEDGER_PREFIX, f"head says entry {head.get('seq')}, ledger ends at {len(keys) - 1}")
        )
    for entry, _ in manifests:
        key = entry.get("manifest", "")
        covered.add(key)
        if not lake.exists(key):
            report.problems.append(Problem("missing", key, "manifest named by the ledger is gone"))
            continue
        data = lake.get(key)
        if sha256(data) != entry.get("manifest_sha256"):
            report.problems.append(Problem("altered", key, "manifest does not match the hash in the ledger"))
        manifest = _parse(data) or {"outputs": []}
        report.manifests += 1
        recheck = since is None or (manifest.get("sealed_at") or "") >= since.isoformat()
        for output in manifest.get("outputs", []):
            path = output["path"]
            covered.add(path)
            if path in deleted:
                if lake.exists(path):
                    report.problems.append(Problem("added", path, "declared deleted by retention but still present"))
                continue
            if not recheck:
                continue
            report.outputs_checked += 1
            if not lake.exists(path):
                report.problems.append(
                    Problem("missing", path, f"output of {manifest.get('dag_id')} run {manifest.get('run_id')}")
                )
                continue
            content = lake.get(path)
            if sha256(content) != output["sha256"] or len(content) != output["size"]:
                report.problems.append(Problem("altered", path, "content does not match the manifest"))
    for prefix in EVIDENCED_PREFIXES:
        for path, _ in lake.list(prefix):
            if path not in covered:
                report.problems.append(Problem("added", path, "not listed in any sealed manifest"))
    return report


def index_entries(lake: Lake) -> dict[str, Any]:
    """Runs (from the ledger's manifests) and audit events, for the auditors' HTML index."""
    runs, audits = [], []
    for key in _ledger_keys(lake):
        entry = _parse(lake.get(key)) or {}
        if entry.get("type") == "manifest" and lake.exists(entry.get("manifest", "")):
            manifest = _parse(lake.get(entry["manifest"])) or {}
            runs.append(
                {
                    "seq": entry["seq"],
                    "dag_id": manifest.get("dag_id"),
                    "run_id": manifest.get("run_id"),
                    "sealed_at": manifest.get("sealed_at"),
                    "manifest": entry["manifest"],
                    "manifest_sha256": entry["manifest_sha256"],
                    "entry_hash": entry["entry_hash"],
                    "outputs": manifest.get("outputs", []),
                }
            )
        elif entry.get("type") == "audit":
            audits.append({"seq": entry["seq"], **entry["event"], "entry_hash": entry["entry_hash"]})
    incidents = sorted({o["path"].split("/")[1] for r in runs for o in r["outputs"] if o["path"].startswith("incidents/")})
    return {"runs": runs, "audits": audits, "incidents": incidents}


def write_index(lake: Lake, out: Path) -> Path:
    """An accessible HTML index of runs, incidents and audit events, linking each artefact with its hash."""
    from include.reports import render_page

    entries = index_entries(lake)
    report = verify(lake)
    local_root = lake.url.removeprefix("file://") if lake.url.startswith("file://") else None
    html = render_page(
        "evidence_index.html.j2",
        title="Evidence index",
        lake_url=lake.url,
        local_root=local_root,
        generated_at=now_iso(),
        report=report,
        **entries,
    )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
