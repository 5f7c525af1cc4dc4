"""breachctl: the project's command line for what is not a DAG (seeding, obligations, incidents, notices, evidence)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path


class UsageError(Exception):
    """Bad input on the command line or in an input file; printed as one line, exit status 2."""


def cmd_seed(args: argparse.Namespace) -> int:
    """Write a deterministic demo store and a manifest of what was planted."""
    from include.demo_store import SeedConfig, seed_store

    config = SeedConfig(
        customers=args.customers, violations=args.violations, seed=args.seed, california_share=args.california_share,
        legacy_hash_share=args.legacy_hash_share, as_of=args.as_of or date.today(), real_argon2=args.real_argon2,
    )
    started = time.monotonic()
    manifest = seed_store(args.url, config).to_dict()
    elapsed = time.monotonic() - started
    Path(args.manifest).parent.mkdir(parents=True, exist_ok=True)
    Path(args.manifest).write_text(json.dumps(manifest, indent=1))
    rows = sum(manifest["rows"].values())
    print(json.dumps({
        "rows": rows, "seconds": round(elapsed, 1), "rows_per_second": round(rows / elapsed) if elapsed else None,
        "planted": {f"{p['table']}.{p['column']}:{p['check']}": p["count"] for p in manifest["planted"]},
        "manifest": str(args.manifest),
    }, indent=2))
    return 0


def read_json(path: str, what: str) -> object:
    """A JSON input file, or UsageError naming the file."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"{what}: no such file {path}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{what}: not valid JSON (line {error.lineno}, column {error.colno})") from None


def cmd_obligations(args: argparse.Namespace) -> int:
    """Print every obligation for an incident and its affected counts, as JSON."""
    from include.obligations import obligations_document
    from include.rules import InputError, load_rules, parse_affected, parse_incident

    try:
        incident = parse_incident(read_json(args.incident, "INCIDENT.json"))
        affected = parse_affected(read_json(args.affected, "AFFECTED.json"))
    except InputError as error:
        raise UsageError(str(error)) from None
    print(json.dumps(obligations_document(incident, affected, load_rules()), indent=2))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Seed the embedded store and run every DAG end to end."""
    from include.demo import run_demo

    return run_demo(customers=args.customers)


def build_parser() -> argparse.ArgumentParser:
    """All subcommands."""
    parser = argparse.ArgumentParser(prog="breachctl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="write a deterministic demo Magento store (SQLite or MariaDB)")
    seed.add_argument("--url", required=True, help="SQLAlchemy URL, e.g. sqlite:///demo.db or mysql+pymysql://root@127.0.0.1/magento")
    seed.add_argument("--customers", type=int, default=2000)
    seed.add_argument("--violations", type=float, default=0.0, help="rate of planted problems per eligible row (0..1)")
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--california-share", type=float, default=0.15)
    seed.add_argument("--legacy-hash-share", type=float, default=None, help="share of md5/sha256 password hashes (default: the violation rate)")
    seed.add_argument("--as-of", type=date.fromisoformat, default=None, help="the store's 'today' (default: today)")
    seed.add_argument("--real-argon2", action="store_true", help="compute real Argon2id hashes (64 MiB each; slow)")
    seed.add_argument("--manifest", default="seed-manifest.json", help="where to write what was planted (keys and counts only)")
    seed.set_defaults(func=cmd_seed)

    obligations = sub.add_parser("obligations", help="print the obligations for an incident as JSON (what-if for legal)")
    obligations.add_argument("--incident", required=True, help="INCIDENT.json")
    obligations.add_argument("--affected", required=True, help="AFFECTED.json")
    obligations.set_defaults(func=cmd_obligations)

    demo = sub.add_parser("demo", help="seed the embedded store and run every DAG (what `make demo` runs)")
    demo.add_argument("--customers", type=int, default=2000)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the breachctl script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "seed" and not 0 <= args.violations <= 1:
        parser.error("--violations must be between 0 and 1")
    try:
        return args.func(args)
    except UsageError as error:
        print(f"breachctl: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
