"""breachctl: the project's command line for what is not a DAG (seeding, obligations, incidents, notices, evidence, keys).

The parser lives here; each command's handler lives in its domain's `commands` module and is imported only when
that command runs, so `breachctl obligations` starts without loading pandas, Great Expectations or boto3.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from datetime import date

from include.config import PROJECT_ROOT, UsageError


def _handler(parser: argparse.ArgumentParser, target: str) -> None:
    parser.set_defaults(handler=target)


def add_seed(sub: argparse._SubParsersAction) -> None:
    """breachctl seed."""
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
    _handler(seed, "include.demo.commands:seed")


def add_obligations(sub: argparse._SubParsersAction) -> None:
    """breachctl obligations."""
    obligations = sub.add_parser("obligations", help="print the obligations for an incident as JSON (what-if for legal)")
    obligations.add_argument("--incident", required=True, help="INCIDENT.json")
    obligations.add_argument("--affected", required=True, help="AFFECTED.json")
    _handler(obligations, "include.legal.commands:obligations")


def add_evidence(sub: argparse._SubParsersAction) -> None:
    """breachctl evidence verify | index."""
    evidence = sub.add_parser("evidence", help="verify the evidence store or write its HTML index").add_subparsers(
        dest="action", required=True
    )
    verify = evidence.add_parser("verify", help="recompute every hash, the chain and its signatures; exit 1 on any problem")
    verify.add_argument("--lake", required=True, help="lake URL (file:// or s3://bucket/prefix)")
    verify.add_argument(
        "--public-key",
        action="append",
        required=True,
        help="the ledger's Ed25519 public key (base64, PEM or a file); repeat for keys used before a signing-key change",
    )
    verify.add_argument("--expect-head", help="the head hash recorded at an earlier audit: fail unless the ledger still holds it")
    verify.add_argument(
        "--since", help="only re-hash outputs sealed on or after this date (YYYY-MM-DD); the chain is always checked"
    )
    _handler(verify, "include.evidence.commands:verify_command")
    index = evidence.add_parser("index", help="write an accessible HTML index of runs, incidents and audit events")
    index.add_argument("--lake", required=True)
    index.add_argument("--out", required=True)
    index.add_argument("--public-key", action="append", help="check signatures with this public key")
    _handler(index, "include.evidence.commands:index_command")
    public_key = evidence.add_parser("public-key", help="print the signing connection's public key (give it to auditors)")
    public_key.add_argument("--conn-id", default=None, help="signing connection (default: evidence_signing)")
    _handler(public_key, "include.evidence.commands:public_key_command")


def add_lake(sub: argparse._SubParsersAction) -> None:
    """breachctl lake rotate."""
    lake = sub.add_parser("lake", help="lake maintenance").add_subparsers(dest="action", required=True)
    rotate = lake.add_parser("rotate", help="re-wrap every encrypted object's data key under the current master key")
    rotate.add_argument("--lake", required=True)
    rotate.add_argument("--prefix", default="", help="only objects under this prefix")
    _handler(rotate, "include.lake.commands:rotate_command")


def add_notices(sub: argparse._SubParsersAction) -> None:
    """breachctl notices sample (and the delivery commands)."""
    notices = sub.add_parser("notices", help="notice templates").add_subparsers(dest="action", required=True)
    sample = notices.add_parser("sample", help="render every template for a synthetic person")
    sample.add_argument("--jurisdiction", required=True, help="US-CA, US-MA, EU-DE, ...")
    sample.add_argument("--lang", default="en")
    sample.add_argument("--out", required=True)
    _handler(sample, "include.notices.commands:sample")
    add_notice_delivery(notices)


def add_notice_delivery(notices: argparse._SubParsersAction) -> None:
    """breachctl notices deliver | status | reconcile."""
    deliver = notices.add_parser("deliver", help="run one delivery round for an incident (what the DAGs run)")
    deliver.add_argument("--lake", required=True, help="lake URL (file:// or s3://bucket/prefix)")
    deliver.add_argument("--incident", required=True)
    deliver.add_argument("--transport", choices=["file", "smtp", "ses"], help="email transport (default NOTICE_EMAIL_TRANSPORT)")
    deliver.add_argument("--wait", type=float, default=None, help="seconds to wait for a round already running (default 0)")
    _handler(deliver, "include.notices.commands:deliver")
    status = notices.add_parser("status", help="per-status counts and the unresolved notices (notice keys only)")
    status.add_argument("--lake", required=True)
    status.add_argument("--incident", required=True)
    status.add_argument("--json", action="store_true")
    _handler(status, "include.notices.commands:status")
    reconcile = notices.add_parser("reconcile", help="resolve unconfirmed notices with a recorded reason")
    reconcile.add_argument("--lake", required=True)
    reconcile.add_argument("--incident", required=True)
    reconcile.add_argument("--key", action="append", help="notice key from `notices status` (repeatable)")
    reconcile.add_argument("--all-unconfirmed", action="store_true", help="every unconfirmed notice of the incident")
    reconcile.add_argument("--outcome", required=True, choices=["sent", "not-sent"], help="what the relay's log shows")
    reconcile.add_argument("--reason", required=True, help="what was checked, e.g. 'relay log: queued as 4F2A1'")
    reconcile.add_argument("--by", required=True, help="who resolved it")
    _handler(reconcile, "include.notices.commands:reconcile")


def add_incident(sub: argparse._SubParsersAction) -> None:
    """breachctl incident start | fulfil | upload-scope."""
    incident = sub.add_parser("incident", help="incident runs").add_subparsers(dest="action", required=True)
    start = incident.add_parser("start", help="validate FILE.json and trigger breach_incident through the REST API")
    start.add_argument("file")
    start.add_argument("--api-url", default="http://localhost:8080")
    start.add_argument("--username", default="admin")
    start.add_argument("--password", help="prefer AIRFLOW_API_PASSWORD: a password on the command line shows in ps")
    _handler(start, "include.incident.commands:start")
    fulfil = incident.add_parser("fulfil", help="record that a regulator, agency or AG notice was made")
    fulfil.add_argument("--lake", required=True)
    fulfil.add_argument("--incident", required=True)
    fulfil.add_argument(
        "--obligation", required=True, help="obligation id from obligations.json, e.g. US-CA/attorney_general_sample"
    )
    fulfil.add_argument("--at", required=True, help="when, ISO 8601 with offset")
    fulfil.add_argument("--by", required=True, help="who made the notice")
    fulfil.add_argument("--reference", help="filing or confirmation number")
    _handler(fulfil, "include.monitoring.commands:fulfil")
    upload = incident.add_parser("upload-scope", help="encrypt a list of customer ids, order numbers or emails into the lake")
    upload.add_argument("--lake", required=True)
    upload.add_argument("--incident", required=True)
    upload.add_argument("--kind", required=True, choices=["customer_ids", "order_increment_ids", "emails"])
    upload.add_argument("--file", required=True)
    _handler(upload, "include.incident.commands:upload_scope")


def add_detection(sub: argparse._SubParsersAction) -> None:
    """breachctl detect and breachctl detections export."""
    detect = sub.add_parser("detect", help="evaluate every detection rule once over a store and access logs; print JSON")
    detect.add_argument("--store", required=True, metavar="SQLALCHEMY_URL", help="e.g. sqlite:///store.db or mysql+pymysql://...")
    detect.add_argument(
        "--access-log", action="append", default=[], metavar="PATH", help="combined format or JSON lines; repeatable"
    )
    detect.add_argument("--since", metavar="ISO8601", help="evaluate events from this time (default: 7 days ago)")
    detect.add_argument("--allowlist", metavar="FILE", help="allowed script origins, one per line")
    detect.add_argument("--admin-path", default="admin", help="the store's backend frontName (default admin)")
    _handler(detect, "include.detection.commands:detect_command")
    detections = sub.add_parser("detections", help="the detection rules").add_subparsers(dest="action", required=True)
    export = detections.add_parser("export", help="convert every rule for a SIEM with the pySigma backends")
    export.add_argument("--target", required=True, choices=["splunk", "elasticsearch", "kusto"])
    export.add_argument("--admin-path", default="admin")
    _handler(export, "include.detection.commands:export_command")


def add_exchange(sub: argparse._SubParsersAction) -> None:
    """breachctl exchange verify | public-key."""
    exchange = sub.add_parser("exchange", help="processors' shares of a breach").add_subparsers(dest="action", required=True)
    verify = exchange.add_parser("verify", help="check a downloaded share's signature and hashes and decrypt it; exit 1 if not")
    verify.add_argument("file", help="the JSON bundle GET /breach/v1/incidents/{id}/shares/{processor} returned")
    verify.add_argument("--key", required=True, help="the processor's X25519 private key (PEM or base64 raw)")
    verify.add_argument("--merchant-key", required=True, help="the merchant's Ed25519 public key: a file (PEM/base64) or base64")
    verify.add_argument("--out", help="write the decrypted rows here as JSON lines (they are personal data: keep them safe)")
    _handler(verify, "include.exchange.commands:verify")
    public = exchange.add_parser("public-key", help="print the merchant's share-signing public key for processors to pin")
    _handler(public, "include.exchange.commands:public_key")


def add_demo(sub: argparse._SubParsersAction) -> None:
    """breachctl demo | airflow."""
    demo = sub.add_parser("demo", help="seed the embedded store and run every DAG (what `make demo` runs)")
    demo.add_argument("--customers", type=int, default=2000)
    _handler(demo, "include.demo.commands:demo")
    serve = sub.add_parser("airflow", help="serve the demo's Airflow home in the UI until Ctrl-C (what `make airflow` runs)")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--home", default=str(PROJECT_ROOT / ".airflow"), help="the Airflow home (default: the demo's)")
    serve.add_argument("--lake", default=str(PROJECT_ROOT / "lake"), help="the demo's lake folder")
    serve.add_argument("--store", default=str(PROJECT_ROOT / ".demo" / "magento.db"), help="the demo's SQLite store")
    _handler(serve, "include.demo.commands:airflow")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands."""
    parser = argparse.ArgumentParser(prog="breachctl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        add_seed,
        add_obligations,
        add_evidence,
        add_lake,
        add_notices,
        add_incident,
        add_detection,
        add_exchange,
        add_demo,
    ):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the breachctl script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "seed" and not 0 <= args.violations <= 1:
        parser.error("--violations must be between 0 and 1")
    module, function = args.handler.split(":")
    try:
        return int(getattr(importlib.import_module(module), function)(args))
    except UsageError as error:
        print(f"breachctl: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
