"""breachctl evidence verify | index: what an auditor runs against the lake."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from include.evidence.index import write_index
from include.evidence.verify import verify
from include.lake.store import open_lake


def verify_command(args: argparse.Namespace) -> int:
    """Recompute every hash and the chain; exit 1 listing each problem."""
    since = datetime.fromisoformat(args.since).replace(tzinfo=UTC) if args.since else None
    report = verify(open_lake(args.lake), since=since)
    for problem in report.problems:
        print(problem)
    head = report.head or {}
    print(
        f"{'OK' if report.ok else 'FAILED'}: {report.entries} ledger entries, {report.manifests} manifests, "
        f"{report.outputs_checked} outputs checked, {len(report.problems)} problem(s); "
        f"head {head.get('seq')} {head.get('entry_hash')}"
    )
    return 0 if report.ok else 1


def index_command(args: argparse.Namespace) -> int:
    """Write the auditors' HTML index."""
    print(write_index(open_lake(args.lake), Path(args.out)))
    return 0
