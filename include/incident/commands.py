"""breachctl incident start | upload-scope: trigger an incident through the REST API, or upload its scope list."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from include.airflow_api import ApiClient
from include.config import UsageError
from include.incident.scope import MAX_SCOPE_BYTES, parse_scope_file
from include.incident.trigger import scope_file_key, validate_trigger
from include.lake import crypto, keys
from include.lake.ledger import seal_run, sha256
from include.lake.store import Lake, StoredOutput, open_lake
from include.legal.commands import read_json
from include.legal.inputs import InputError, canonical_incident_id

MAX_UPLOADS = 100


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


def store_scope_file(lake: Lake, incident_id: str, name: str, data: bytes) -> tuple[StoredOutput, bool]:
    """Encrypt a scope file into the incident's input folder without overwriting: the same content is found again,
    other content gets the next free name (`list-2.csv.enc`); returns the object and whether it is new."""
    wrapper = crypto.default_wrapper()
    for attempt in range(1, MAX_UPLOADS + 1):
        try:
            key = scope_file_key(incident_id, keys.incident_input(incident_id, keys.numbered(name, attempt)))
        except ValueError:
            raise UsageError(f"file: {name} was uploaded with other content already and is too long to number") from None
        stored = lake.put_if_absent(key, crypto.encrypt(data, wrapper, aad=key))
        if stored is not None:
            return stored.as_dict(), True
        existing = lake.get(key)
        try:
            same = crypto.decrypt(existing, wrapper, aad=key) == data
        except crypto.DecryptionError:
            same = False
        if same:
            return {"path": key, "sha256": sha256(existing), "size": len(existing)}, False
    raise UsageError(f"file: {MAX_UPLOADS} different files named {name} were already uploaded; rename the file")


def upload_scope(args: argparse.Namespace) -> int:
    """Encrypt a responder's scope file into the lake (and seal it) for a lake_file scope, validated like the trigger."""
    try:
        incident_id = canonical_incident_id(args.incident)
    except ValueError as error:
        raise UsageError(f"incident: {error}") from None
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"file: no such file {args.file}")
    name = path.name + keys.ENCRYPTED_SUFFIX
    try:
        scope_file_key(incident_id, keys.incident_input(incident_id, name))
    except ValueError:
        raise UsageError(
            "file: name it with letters, digits, '.', '_' or '-' (at most 128) ending in .csv, .txt or .json"
        ) from None
    if path.stat().st_size > MAX_SCOPE_BYTES:
        raise UsageError(f"file: larger than {MAX_SCOPE_BYTES // (1024 * 1024)} MiB")
    data = path.read_bytes()
    try:
        count = len(parse_scope_file(data, args.kind))
    except ValueError as error:
        raise UsageError(f"file: {error}") from None
    lake = open_lake(args.lake)
    stored, new = store_scope_file(lake, incident_id, name, data)
    slug = f"scope-upload-{incident_id}-{stored['path'].rsplit('/', 1)[1]}"
    seal_run(lake, dag_id="breachctl", run_id=slug, outputs=[dict(stored, task_id="upload-scope")], versions={}, run_key=slug)
    print(json.dumps({"scope_file": stored["path"], "scope_file_kind": args.kind, "values": count, "new_upload": new}))
    return 0
