"""The auditors' evidence index: runs, incidents and audit events in an accessible HTML page, each with its hash."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from include.evidence.verify import parse_document, verify
from include.lake import keys
from include.lake.ledger import ledger_keys, now_iso
from include.lake.store import Lake
from include.pages import render_page
from include.pages.text import local_time

TEMPLATES = Path(__file__).parent / "templates"


def index_entries(lake: Lake) -> dict[str, Any]:
    """Runs (from the ledger's manifests) and audit events, for the auditors' HTML index."""
    runs, audits = [], []
    for key in ledger_keys(lake):
        entry = parse_document(lake.get(key)) or {}
        if entry.get("type") == "manifest" and lake.exists(entry.get("manifest", "")):
            manifest = parse_document(lake.get(entry["manifest"])) or {}
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
    for run in runs:
        run["incident"] = next((i for o in run["outputs"] if (i := keys.incident_of(o["path"]))), None)
    runs.sort(key=lambda r: (r["sealed_at"] or "", r["seq"]))
    return {"runs": runs, "audits": audits, "incidents": incident_rows(runs, audits)}


DECISIONS = {"incident_triggered": "triggered", "notices_approved": "notices approved", "notices_rejected": "notices rejected"}


def incident_rows(runs: list[dict[str, Any]], audits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each incident in the order it first appears: its runs, first and last seal, and the latest decision on it."""
    rows: dict[str, dict[str, Any]] = {}
    for run in runs:
        if run["incident"]:
            row = rows.setdefault(run["incident"], {"id": run["incident"], "runs": 0, "first": run["sealed_at"], "decision": "–"})
            row["runs"] += 1
            row["last"] = run["sealed_at"]
    for audit in audits:
        for incident, row in rows.items():
            if audit.get("event_type") in DECISIONS and f"incident {incident} " in f"{audit.get('affected_data')} ":
                row["decision"] = (
                    f"{DECISIONS[audit['event_type']]} by {audit.get('user_id')}, {local_time(audit.get('timestamp'))}"
                )
    return list(rows.values())


def run_status(run: dict[str, Any], problem_paths: set[str]) -> str:
    """'verified' when every output of the run matches, else how many do not."""
    bad = sum(1 for o in run["outputs"] if o["path"] in problem_paths)
    return "verified" if not bad else f"{bad} output(s) do not match"


def write_index(lake: Lake, out: Path, *, public_keys: Mapping[str, Ed25519PublicKey] | None = None) -> Path:
    """An accessible HTML index of runs, incidents and audit events, linking each artefact with its hash and the head."""
    entries = index_entries(lake)
    report = verify(lake, public_keys=public_keys)
    problem_paths = {p.path for p in report.problems}
    for run in entries["runs"]:
        run["status"] = run_status(run, problem_paths)
    local_root = lake.url.removeprefix("file://") if lake.url.startswith("file://") else None
    html = render_page(
        TEMPLATES,
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
