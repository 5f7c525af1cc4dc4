"""breachctl notices sample | deliver | status | reconcile: templates, and the operator's side of delivery."""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from include.config import UsageError
from include.legal.inputs import INCIDENT_ID, JURISDICTION
from include.notices.render import LANGUAGES
from include.notices.samples import write_samples


def sample(args: argparse.Namespace) -> int:
    """Render every template for a synthetic person."""
    if not JURISDICTION.fullmatch(args.jurisdiction) or args.jurisdiction == "UNKNOWN":
        raise UsageError(f"jurisdiction: use US-<state> or EU-<country>, not {args.jurisdiction!r}")
    if args.lang not in LANGUAGES:
        raise UsageError(f"lang: one of {', '.join(LANGUAGES)}")
    for path in write_samples(args.jurisdiction, args.lang, Path(args.out)):
        print(path)
    return 0


def _incident(args: argparse.Namespace) -> tuple[Any, str]:
    """The lake and a validated incident id that exists in it."""
    from include.incident.versions import latest_version  # noqa: PLC0415 (only for the delivery commands)
    from include.lake.store import open_lake  # noqa: PLC0415

    if not INCIDENT_ID.fullmatch(args.incident):
        raise UsageError("incident: 3-64 letters, digits, '.', '_' or '-'")
    lake = open_lake(args.lake)
    if latest_version(lake, args.incident) is None:
        raise UsageError(f"incident: {args.incident} has no resolved version in {args.lake}")
    return lake, args.incident


def deliver(args: argparse.Namespace) -> int:
    """One delivery round for an incident: the function both DAGs run, sealed into the evidence ledger."""
    from include.config import load_config  # noqa: PLC0415
    from include.lake import keys  # noqa: PLC0415
    from include.lake.ledger import seal_run  # noqa: PLC0415
    from include.notices.tasks import deliver as deliver_task  # noqa: PLC0415

    lake, incident_id = _incident(args)
    config = dataclasses.replace(
        load_config(), lake_url=args.lake, notice_transport=args.transport or load_config().notice_transport
    )
    run_id = f"breachctl-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    result = deliver_task(incident_id, run_id, lake=lake, config=config, wait=args.wait)
    if result["outputs"]:
        outputs = [dict(o, task_id="notices deliver") for o in result["outputs"]]
        seal_run(
            lake, dag_id="breachctl", run_id=run_id, outputs=outputs, versions={}, run_key=f"{incident_id}-{keys.run_key(run_id)}"
        )
    print(json.dumps(result["summary"], indent=2))
    return 0


def status(args: argparse.Namespace) -> int:
    """Per-status counts and the unresolved notices (notice keys only)."""
    from include.notices.status import delivery_status, status_text  # noqa: PLC0415

    lake, incident_id = _incident(args)
    report = delivery_status(lake, incident_id)
    print(json.dumps(report, indent=2) if args.json else status_text(report))
    return 0


def reconcile(args: argparse.Namespace) -> int:
    """Resolve unconfirmed notices with a recorded reason."""
    from include.notices.status import reconcile as resolve  # noqa: PLC0415

    if bool(args.key) == bool(args.all_unconfirmed):
        raise UsageError("key: give --key (repeatable) or --all-unconfirmed")
    lake, incident_id = _incident(args)
    stored = resolve(lake, incident_id, args.key or None, args.outcome, args.reason, args.by)
    print(json.dumps({"recorded": stored["path"], "outcome": args.outcome}))
    return 0
