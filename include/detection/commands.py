"""breachctl detect and breachctl detections export."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from include.config import UsageError
from include.detection.detect import detect, read_allowlist
from include.detection.rules import RuleError
from include.detection.siem import export_rules
from include.magento.source import SourceError

DEFAULT_LOOKBACK = timedelta(days=7)


def _since(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC) - DEFAULT_LOOKBACK
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"since: not an ISO 8601 date-time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise UsageError("since: give a date-time with its UTC offset")
    return moment


def _inputs(args: argparse.Namespace) -> tuple[str, list[Path], datetime, frozenset[str]]:
    try:
        sa.make_url(args.store)
    except sa.exc.ArgumentError:
        raise UsageError("store: not a SQLAlchemy URL (sqlite:///store.db, mysql+pymysql://user@host/db)") from None
    logs = [Path(p) for p in args.access_log]
    for path in logs:
        if not path.is_file():
            raise UsageError(f"access-log: no such file {str(path)[:200]}")
    allowlist: frozenset[str] = frozenset()
    if args.allowlist:
        try:
            allowlist = read_allowlist(Path(args.allowlist))
        except OSError:
            raise UsageError(f"allowlist: cannot read {args.allowlist[:200]}") from None
        except ValueError as error:
            raise UsageError(f"allowlist: {error}") from None
    return args.store, logs, _since(args.since), allowlist


def detect_command(args: argparse.Namespace) -> int:
    """Evaluate every rule once; print {"detections": [...]}; exit 0 with or without detections."""
    store, logs, since, allowlist = _inputs(args)
    if store.startswith("sqlite:///") and not Path(store.removeprefix("sqlite:///")).is_file():
        raise UsageError(f"store: no such SQLite file {store.removeprefix('sqlite:///')[:200]}")
    try:
        run = detect(store_url=store, access_logs=logs, since=since, allowlist=allowlist, admin_path=args.admin_path)
    except (SourceError, RuleError) as error:
        raise UsageError(str(error)) from None
    print(json.dumps({"detections": [d.public() for d in run.detections]}, indent=1))
    return 0


def export_command(args: argparse.Namespace) -> int:
    """Print every rule converted for the target SIEM as JSON."""
    exported = export_rules(args.target, args.admin_path)
    print(json.dumps({"target": args.target, "rules": [e.as_dict() for e in exported]}, indent=1))
    return 0
