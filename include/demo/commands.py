"""breachctl seed | demo: a deterministic demo store, and the whole demo end to end."""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

from include.demo.runner import run_demo
from include.demo.serve import serve
from include.demo.store import SeedConfig, seed_store


def seed(args: argparse.Namespace) -> int:
    """Write a deterministic demo store and a manifest of what was planted."""
    config = SeedConfig(
        customers=args.customers,
        violations=args.violations,
        seed=args.seed,
        california_share=args.california_share,
        legacy_hash_share=args.legacy_hash_share,
        as_of=args.as_of or date.today(),
        real_argon2=args.real_argon2,
    )
    started = time.monotonic()
    manifest = seed_store(args.url, config).to_dict()
    elapsed = time.monotonic() - started
    Path(args.manifest).parent.mkdir(parents=True, exist_ok=True)
    Path(args.manifest).write_text(json.dumps(manifest, indent=1))
    rows = sum(manifest["rows"].values())
    summary = {
        "rows": rows,
        "seconds": round(elapsed, 1),
        "rows_per_second": round(rows / elapsed) if elapsed else None,
        "planted": {f"{p['table']}.{p['column']}:{p['check']}": p["count"] for p in manifest["planted"]},
        "manifest": str(args.manifest),
    }
    print(json.dumps(summary, indent=2))
    return 0


def demo(args: argparse.Namespace) -> int:
    """Seed the embedded store and run every DAG end to end."""
    return run_demo(customers=args.customers)


def airflow(args: argparse.Namespace) -> int:
    """Serve the demo's Airflow home in the UI until Ctrl-C."""
    return serve(port=args.port, home=Path(args.home), lake=Path(args.lake), store=Path(args.store))
