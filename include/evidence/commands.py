"""breachctl evidence verify | index | public-key: what an auditor runs against the lake, and the key they need."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from include.config import UsageError
from include.evidence.index import write_index
from include.evidence.verify import VerifyReport, verify
from include.lake.signing import SigningKeyError, keyring, parse_public_key, public_key_text, signer_from_connection
from include.lake.store import open_lake

HASH = re.compile(r"[0-9a-f]{64}")


def public_keys(values: list[str] | None) -> dict[str, Ed25519PublicKey] | None:
    """The --public-key arguments as a key ring, or UsageError naming the argument."""
    if not values:
        return None
    parsed = []
    for value in values:
        try:
            parsed.append(parse_public_key(value))
        except ValueError as error:
            raise UsageError(f"public-key: {error}") from None
    return keyring(parsed)


def expected_head(value: str | None) -> str | None:
    """The --expect-head argument (a 64-hex entry hash), or UsageError."""
    if value is None:
        return None
    if not HASH.fullmatch(value.strip().lower()):
        raise UsageError("expect-head: give the 64-hex entry hash an earlier verify printed as the head")
    return value.strip().lower()


def since_date(value: str | None) -> datetime | None:
    """The --since argument, or UsageError."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise UsageError("since: give a date as YYYY-MM-DD") from None


def summary_line(report: VerifyReport) -> str:
    """The one-line verdict verify prints last."""
    head = report.head or {}
    signed = f"signed by {', '.join(report.signers) or 'nobody'}" if report.signatures_checked else "signatures NOT checked"
    return (
        f"{'OK' if report.ok else 'FAILED'}: {report.entries} ledger entries ({signed}), {report.manifests} manifests, "
        f"{report.outputs_checked} outputs checked, {len(report.problems)} problem(s); "
        f"head {head.get('seq')} {head.get('entry_hash')}"
    )


def verify_command(args: argparse.Namespace) -> int:
    """Recompute every hash, the chain and its signatures; exit 1 listing each problem."""
    since, keys, head = since_date(args.since), public_keys(args.public_key), expected_head(args.expect_head)
    report = verify(open_lake(args.lake), since=since, public_keys=keys, expect_head=head)
    for problem in report.problems:
        print(problem)
    print(summary_line(report))
    if report.ok and report.head:
        print(f"record this head for the next audit: --expect-head {report.head.get('entry_hash')}")
    return 0 if report.ok else 1


def index_command(args: argparse.Namespace) -> int:
    """Write the auditors' HTML index."""
    print(write_index(open_lake(args.lake), Path(args.out), public_keys=public_keys(args.public_key)))
    return 0


def public_key_command(args: argparse.Namespace) -> int:
    """Print the public key of the configured signing connection (what auditors pass to --public-key)."""
    try:
        signer = signer_from_connection(args.conn_id)
    except SigningKeyError as error:
        raise UsageError(str(error)) from None
    print(public_key_text(signer.private.public_key()))
    return 0
