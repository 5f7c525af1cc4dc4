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
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(elapsed, 1),
                "rows_per_second": round(rows / elapsed) if elapsed else None,
                "planted": {f"{p['table']}.{p['column']}:{p['check']}": p["count"] for p in manifest["planted"]},
                "manifest": str(args.manifest),
            },
            indent=2,
        )
    )
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


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    """Recompute every hash and the chain; exit 1 listing each problem."""
    from datetime import UTC, datetime

    from include.evidence import verify
    from include.lake import open_lake

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


def cmd_evidence_index(args: argparse.Namespace) -> int:
    """Write the auditors' HTML index."""
    from include.evidence import write_index
    from include.lake import open_lake

    print(write_index(open_lake(args.lake), Path(args.out)))
    return 0


def cmd_notices_sample(args: argparse.Namespace) -> int:
    """Render every template for a synthetic person."""
    from include.notices.render import LANGUAGES
    from include.notices.samples import write_samples
    from include.rules import JURISDICTION

    if not JURISDICTION.match(args.jurisdiction) or args.jurisdiction == "UNKNOWN":
        raise UsageError(f"jurisdiction: use US-<state> or EU-<country>, not {args.jurisdiction!r}")
    if args.lang not in LANGUAGES:
        raise UsageError(f"lang: one of {', '.join(LANGUAGES)}")
    for path in write_samples(args.jurisdiction, args.lang, Path(args.out)):
        print(path)
    return 0


def cmd_incident_start(args: argparse.Namespace) -> int:
    """Validate an incident file and trigger breach_incident through the Airflow REST API."""
    import os

    from include.incident import validate_trigger
    from include.local_airflow import ApiClient
    from include.rules import InputError

    conf = read_json(args.file, "incident file")
    try:
        validate_trigger(conf)
    except InputError as error:
        raise UsageError(str(error)) from None
    password = args.password or os.environ.get("AIRFLOW_API_PASSWORD")
    if not password:
        raise UsageError("password: set --password or AIRFLOW_API_PASSWORD")
    client = ApiClient(args.api_url, args.username, password)
    run = client.trigger("breach_incident", conf)
    print(json.dumps({"dag_id": run["dag_id"], "dag_run_id": run["dag_run_id"], "state": run["state"]}))
    return 0


def cmd_incident_fulfil(args: argparse.Namespace) -> int:
    """Record that a regulator or agency notice was made."""
    from datetime import datetime

    from include.lake import open_lake
    from include.monitor import record_fulfilment

    at = datetime.fromisoformat(args.at)
    if at.tzinfo is None:
        raise UsageError("at: give a date-time with its UTC offset")
    print(json.dumps(record_fulfilment(open_lake(args.lake), args.incident, args.obligation, at, args.by, args.reference)))
    return 0


def cmd_incident_upload_scope(args: argparse.Namespace) -> int:
    """Encrypt a responder's scope file into the lake (and seal it) for a lake_file scope."""
    from include import lake_crypto
    from include.evidence import seal_run
    from include.lake import open_lake
    from include.scope import parse_scope_file

    data = Path(args.file).read_bytes()
    try:
        count = len(parse_scope_file(data, args.kind))
    except ValueError as error:
        raise UsageError(f"file: {error}") from None
    name = Path(args.file).name + ".enc"
    key = f"incidents/_inputs/{args.incident}/{name}"
    lake = open_lake(args.lake)
    stored = lake.put(key, lake_crypto.encrypt(data, lake_crypto.default_wrapper(), aad=key)).as_dict()
    seal_run(
        lake,
        dag_id="breachctl",
        run_id=f"scope-upload-{args.incident}-{name}",
        outputs=[dict(stored, task_id="upload-scope")],
        versions={},
        run_key=f"scope-upload-{args.incident}-{name}",
    )
    print(json.dumps({"scope_file": key, "scope_file_kind": args.kind, "values": count}))
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
    seed.add_argument(
        "--url", required=True, help="SQLAlchemy URL, e.g. sqlite:///demo.db or mysql+pymysql://root@127.0.0.1/magento"
    )
    seed.add_argument("--customers", type=int, default=2000)
    seed.add_argument("--violations", type=float, default=0.0, help="rate of planted problems per eligible row (0..1)")
    seed.add_argument("--seed", type=int, default=42)
    seed.add_argument("--california-share", type=float, default=0.15)
    seed.add_argument(
        "--legacy-hash-share", type=float, default=None, help="share of md5/sha256 password hashes (default: the violation rate)"
    )
    seed.add_argument("--as-of", type=date.fromisoformat, default=None, help="the store's 'today' (default: today)")
    seed.add_argument("--real-argon2", action="store_true", help="compute real Argon2id hashes (64 MiB each; slow)")
    seed.add_argument("--manifest", default="seed-manifest.json", help="where to write what was planted (keys and counts only)")
    seed.set_defaults(func=cmd_seed)

    obligations = sub.add_parser("obligations", help="print the obligations for an incident as JSON (what-if for legal)")
    obligations.add_argument("--incident", required=True, help="INCIDENT.json")
    obligations.add_argument("--affected", required=True, help="AFFECTED.json")
    obligations.set_defaults(func=cmd_obligations)

    evidence = sub.add_parser("evidence", help="verify the evidence store or write its HTML index").add_subparsers(
        dest="action", required=True
    )
    verify = evidence.add_parser("verify", help="recompute every hash and the chain; exit 1 on any problem")
    verify.add_argument("--lake", required=True, help="lake URL (file:// or s3://bucket/prefix)")
    verify.add_argument(
        "--since", help="only re-hash outputs sealed on or after this date (YYYY-MM-DD); the chain is always checked"
    )
    verify.set_defaults(func=cmd_evidence_verify)
    index = evidence.add_parser("index", help="write an accessible HTML index of runs, incidents and audit events")
    index.add_argument("--lake", required=True)
    index.add_argument("--out", required=True)
    index.set_defaults(func=cmd_evidence_index)

    notices = sub.add_parser("notices", help="notice templates").add_subparsers(dest="action", required=True)
    sample = notices.add_parser("sample", help="render every template for a synthetic person")
    sample.add_argument("--jurisdiction", required=True, help="US-CA, US-MA, EU-DE, ...")
    sample.add_argument("--lang", default="en")
    sample.add_argument("--out", required=True)
    sample.set_defaults(func=cmd_notices_sample)

    incident = sub.add_parser("incident", help="incident runs").add_subparsers(dest="action", required=True)
    start = incident.add_parser("start", help="validate FILE.json and trigger breach_incident through the REST API")
    start.add_argument("file")
    start.add_argument("--api-url", default="http://localhost:8080")
    start.add_argument("--username", default="admin")
    start.add_argument("--password", help="prefer AIRFLOW_API_PASSWORD: a password on the command line shows in ps")
    start.set_defaults(func=cmd_incident_start)
    fulfil = incident.add_parser("fulfil", help="record that a regulator, agency or AG notice was made")
    fulfil.add_argument("--lake", required=True)
    fulfil.add_argument("--incident", required=True)
    fulfil.add_argument(
        "--obligation", required=True, help="obligation id from obligations.json, e.g. US-CA/attorney_general_sample"
    )
    fulfil.add_argument("--at", required=True, help="when, ISO 8601 with offset")
    fulfil.add_argument("--by", required=True, help="who made the notice")
    fulfil.add_argument("--reference", help="filing or confirmation number")
    fulfil.set_defaults(func=cmd_incident_fulfil)
    upload = incident.add_parser("upload-scope", help="encrypt a list of customer ids, order numbers or emails into the lake")
    upload.add_argument("--lake", required=True)
    upload.add_argument("--incident", required=True)
    upload.add_argument("--kind", required=True, choices=["customer_ids", "order_increment_ids", "emails"])
    upload.add_argument("--file", required=True)
    upload.set_defaults(func=cmd_incident_upload_scope)

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
