"""breachctl obligations: every obligation for an incident and its affected counts, without a pipeline run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from include.config import ConfigError, UsageError, business_timezone_setting
from include.lake.jsondoc import MAX_BYTES, JsonInputError, load_json
from include.legal.inputs import InputError, parse_affected, parse_incident
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules


def read_json(path: str, what: str) -> object:
    """A JSON input file (bounded in size and nesting), or UsageError naming the file."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_BYTES:
            raise UsageError(f"{what}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
        return load_json(file.read_bytes())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise UsageError(f"{what}: no such file {path}") from None
    except PermissionError:
        raise UsageError(f"{what}: cannot read {path} (permission denied)") from None
    except JsonInputError as error:
        raise UsageError(f"{what}: {error}") from None


def obligations(args: argparse.Namespace) -> int:
    """Print every obligation for an incident and its affected counts, as JSON."""
    try:
        incident = parse_incident(read_json(args.incident, "INCIDENT.json"))
        affected = parse_affected(read_json(args.affected, "AFFECTED.json"))
        if incident.business_timezone is None and (zone := business_timezone_setting()):
            incident = incident.model_copy(update={"business_timezone": zone})
    except (InputError, ConfigError) as error:
        raise UsageError(str(error)) from None
    print(json.dumps(obligations_document(incident, affected, load_rules()), indent=2))
    return 0
