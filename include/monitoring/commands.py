"""breachctl incident fulfil: record that a regulator, agency or Attorney General notice was made."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from include.config import UsageError
from include.lake.store import open_lake
from include.monitoring.fulfilments import record_fulfilment


def fulfil(args: argparse.Namespace) -> int:
    """Record that a regulator or agency notice was made."""
    at = datetime.fromisoformat(args.at)
    if at.tzinfo is None:
        raise UsageError("at: give a date-time with its UTC offset")
    print(json.dumps(record_fulfilment(open_lake(args.lake), args.incident, args.obligation, at, args.by, args.reference)))
    return 0
