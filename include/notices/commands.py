"""breachctl notices sample: every template rendered for a synthetic person."""

from __future__ import annotations

import argparse
from pathlib import Path

from include.config import UsageError
from include.legal.inputs import JURISDICTION
from include.notices.render import LANGUAGES
from include.notices.samples import write_samples


def sample(args: argparse.Namespace) -> int:
    """Render every template for a synthetic person."""
    if not JURISDICTION.match(args.jurisdiction) or args.jurisdiction == "UNKNOWN":
        raise UsageError(f"jurisdiction: use US-<state> or EU-<country>, not {args.jurisdiction!r}")
    if args.lang not in LANGUAGES:
        raise UsageError(f"lang: one of {', '.join(LANGUAGES)}")
    for path in write_samples(args.jurisdiction, args.lang, Path(args.out)):
        print(path)
    return 0
