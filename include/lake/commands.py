"""breachctl lake rotate: re-wrap old data keys under the current master key after a key change."""

from __future__ import annotations

import argparse
import json

from include.config import UsageError
from include.lake import crypto
from include.lake.rotation import rotate
from include.lake.store import open_lake


def rotate_command(args: argparse.Namespace) -> int:
    """Re-wrap every object still under an older key; exit 1 when some object is plaintext or unreadable."""
    if args.prefix.startswith("/") or ".." in args.prefix.split("/"):
        raise UsageError("prefix: give a lake prefix such as incidents/ (no '..', no leading '/')")
    result = rotate(open_lake(args.lake), crypto.default_wrapper(), args.prefix)
    print(json.dumps({**result, "plaintext": result["plaintext"][:20], "unreadable": result["unreadable"][:20]}, indent=1))
    return 1 if result["plaintext"] or result["unreadable"] else 0
