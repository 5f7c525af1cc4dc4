"""breachctl incident start | upload-scope: trigger an incident through the REST API, or upload its scope list."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from include.airflow_api import ApiClient
from include.config import UsageError
from include.incident.scope import parse_scope_file
from include.incident.trigger import validate_trigger
from include.lake import crypto, keys
from include.lake.ledger import seal_run
from include.lake.store import open_lake
from include.legal.commands import read_json
from include.legal.inputs import InputError


def start(args: argparse.Namespace) -> int:
    """Validate an incident file and trigger breach_incident through the Airflow REST API."""
    conf = read_json(args.file, "incident file")
    if not isinstance(conf, dict):
        raise UsageError("incident file: must hold a JSON object")
    try:
        validate_trigger(conf)
    except InputError as error:
        raise UsageError(str(error)) from None
    password = args.password or os.environ.get("AIRFLOW_API_PASSWORD")
    if not password:
        raise UsageError("password: set --password or AIRFLOW_API_PASSWORD")
    run = ApiClient(args.api_url, args.username, password).trigger("breach_incident", conf)
    print(json.dumps({"dag_id": run["dag_id"], "dag_run_id": run["dag_run_id"], "state": run["state"]}))
    return 0


def upload_scope(args: argparse.Namespace) -> int:
    """Encrypt a responder's scope file into the lake (and seal it) for a lake_file scope."""
    data = Path(args.file).read_bytes()
    try:
        count = len(parse_scope_file(data, args.kind))
    except ValueError as error:
        raise UsageError(f"file: {error}") from None
    name = Path(args.file).name + ".enc"
    key = keys.incident_input(args.incident, name)
    lake = open_lake(args.lake)
    stored = lake.put(key, crypto.encrypt(data, crypto.default_wrapper(), aad=key)).as_dict()
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
