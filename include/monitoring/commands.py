"""breachctl incident fulfil: record that a regulator, agency or Attorney General notice was made.

It also records the steps of a substitute notice, `<jurisdiction>/substitute_notice/posting` (with the posting's
URL as reference), `.../media` and `.../regulator`: the monitor counts a substitute notice only once all the steps
its rule requires are recorded.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from include.config import UsageError
from include.lake.store import open_lake
from include.legal.inputs import canonical_incident_id, sane_moment
from include.monitoring.fulfilments import check_fulfilment, record_fulfilment

SUBSTITUTE_STEPS = ("posting", "media", "regulator")


def check_substitute_step(obligation: str, reference: str | None) -> None:
    """A substitute-notice step is one of posting, media or regulator; a posting is recorded with its https URL."""
    if "/substitute_notice" not in obligation:
        return
    step = obligation.rsplit("/", 1)[-1]
    if obligation.count("/") != 2 or step not in SUBSTITUTE_STEPS:
        raise UsageError(f"obligation: use <jurisdiction>/substitute_notice/<{'|'.join(SUBSTITUTE_STEPS)}>")
    if step == "posting" and not (reference or "").startswith("https://"):
        raise UsageError("reference: the posting's URL (https://...) is what proves the notice was posted")
    if not reference:
        raise UsageError(f"reference: say where the {step} notice was made (outlet, filing number)")


def fulfil(args: argparse.Namespace) -> int:
    """Record that a regulator or agency notice was made; a repeat of the same record is recorded once."""
    try:
        incident_id = canonical_incident_id(args.incident)
    except ValueError as error:
        raise UsageError(f"incident: {error}") from None
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        raise UsageError("at: give an ISO 8601 date-time with its UTC offset, e.g. 2026-12-01T10:00:00-08:00") from None
    if at.tzinfo is None:
        raise UsageError("at: give a date-time with its UTC offset")
    try:
        sane_moment(at)
    except ValueError as error:
        raise UsageError(f"at: {error}") from None
    try:
        check_substitute_step(args.obligation, args.reference)
        check_fulfilment(args.obligation, args.by, args.reference)
        stored = record_fulfilment(open_lake(args.lake), incident_id, args.obligation, at, args.by, args.reference)
    except ValueError as error:
        raise UsageError(str(error)) from None
    print(json.dumps(stored))
    return 0
