"""Inputs that used to slip through (issue 12): each is refused with one line naming the field, exit status 2,
or (a bad source row) read without failing the resolution; repeated uploads and fulfilments keep the lake verifiable."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from include import cli
from include.evidence.verify import verify
from include.incident import tasks as incident_tasks
from include.incident.trigger import validate_trigger
from include.lake import crypto, keys
from include.lake.store import open_lake
from include.legal.inputs import InputError, parse_incident

BASE = {"incident_id": "INC-2026-0042", "discovered_at": "2026-11-28T14:05:00-08:00", "compromised_tables": ["customer_entity"]}
LAKE_FILE = {"scope_kind": "lake_file", "scope_file_kind": "emails"}


def refused(conf: dict, field: str) -> str:
    with pytest.raises(InputError) as error:
        validate_trigger({**BASE, **conf})
    message = str(error.value)
    assert message.startswith(f"invalid trigger: {field}:") and "\n" not in message, message
    return message


def test_an_id_with_a_trailing_newline_is_refused_and_ids_have_one_canonical_form():
    refused({"incident_id": "INC-2026-0042\n"}, "incident_id")
    with pytest.raises(InputError, match="incident_id"):
        parse_incident({**BASE, "incident_id": "INC-2026-0042\n"})
    assert validate_trigger({**BASE, "incident_id": "inc-2026-0042"}).incident_id == "INC-2026-0042"


@pytest.mark.parametrize(
    "scope_file",
    [
        "incidents/_inputs/../x.csv",
        "incidents/_inputs/INC-2026-0042/../INC-OTHER/x.csv.enc",
        "incidents/_inputs/INC-OTHER/x.csv.enc",
        "incidents/_inputs/INC-2026-0042/x.csv",
        "incidents/_inputs/INC-2026-0042/sub/x.csv.enc",
        "incidents/_inputs/INC-2026-0042/x.csv.enc\n",
        "/incidents/_inputs/INC-2026-0042/x.csv.enc",
    ],
)
def test_a_scope_file_outside_the_incidents_own_input_folder_is_refused_at_validation(scope_file):
    refused({**LAKE_FILE, "scope_file": scope_file}, "scope_file")


def test_a_scope_file_key_is_normalised():
    trigger = validate_trigger({**BASE, **LAKE_FILE, "scope_file": "incidents/_inputs/INC-2026-0042/./x.csv.enc"})
    assert trigger.scope_file == "incidents/_inputs/INC-2026-0042/x.csv.enc"


def test_unbounded_lists_and_strings_are_refused_before_they_reach_the_ledger(file_lake):
    refused({"data_elements": ["user.name"] * 1_000_000}, "data_elements")
    refused({"compromised_tables": ["customer_entity"] * 1000}, "compromised_tables")
    refused({"notice_description": "x" * 100_000}, "notice_description")
    refused({"le_agency": "FBI" * 1000, "le_start": "2026-11-28T00:00:00Z"}, "law_enforcement_delay.agency")
    largest = {**BASE, "data_elements": ["user.name"] * 200, "notice_description": "x" * 4000, "notes": "y" * 4000}
    entry = incident_tasks.accept_trigger(largest, lake=file_lake)
    assert entry["incident_id"] == "INC-2026-0042"
    assert max(size for _, size in file_lake.list(keys.LEDGER)) < 64 * 1024


@pytest.mark.parametrize("field", ["discovered_at", "breach_start", "window_end"])
def test_dates_out_of_range_are_refused(field):
    conf = {**BASE, field: "9999-12-31T00:00:00Z"}
    if field == "window_end":
        conf.update(scope_kind="orders_window", window_start="2026-11-01T00:00:00Z")
    if field == "breach_start":
        conf[field] = "1901-01-01T00:00:00Z"
    refused(conf, field)


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    status = cli.main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_obligations_with_year_9999_or_deep_json_exits_2_with_one_line(tmp_path, capsys):
    incident, affected = tmp_path / "incident.json", tmp_path / "affected.json"
    affected.write_text(json.dumps({"groups": []}))
    incident.write_text(json.dumps({"incident_id": "INC-1", "discovered_at": "9999-12-31T23:00:00+00:00"}))
    status, _, err = run_cli(["obligations", "--incident", str(incident), "--affected", str(affected)], capsys)
    assert status == 2 and err.startswith("breachctl: discovered_at:") and err.count("\n") == 1
    incident.write_text("[" * 100_000 + "]" * 100_000)
    status, _, err = run_cli(["obligations", "--incident", str(incident), "--affected", str(affected)], capsys)
    assert status == 2 and err == "breachctl: INCIDENT.json: nested deeper than 64 levels\n"


def upload(lake, incident: str, path: Path, capsys) -> tuple[int, dict | str]:
    status, out, err = run_cli(
        ["incident", "upload-scope", "--lake", lake.url, "--incident", incident, "--kind", "emails", "--file", str(path)], capsys
    )
    return status, json.loads(out) if status == 0 else err


def test_upload_scope_validates_like_the_trigger_and_repeats_never_overwrite(file_lake, tmp_path, capsys, ledger_public_key):
    listing = tmp_path / "list.csv"
    listing.write_text("email\njane@example.com\n")
    status, err = upload(file_lake, "INC-2026-0042\n", listing, capsys)
    assert status == 2 and str(err).startswith("breachctl: incident:")
    spaced = tmp_path / "my list.csv"
    spaced.write_text("jane@example.com\n")
    status, err = upload(file_lake, "INC-2026-0042", spaced, capsys)
    assert status == 2 and str(err).startswith("breachctl: file:")
    status, first = upload(file_lake, "inc-2026-0042", listing, capsys)
    assert status == 0 and first["scope_file"] == "incidents/_inputs/INC-2026-0042/list.csv.enc" and first["new_upload"]
    validate_trigger({**BASE, **LAKE_FILE, "scope_file": first["scope_file"]})
    status, again = upload(file_lake, "INC-2026-0042", listing, capsys)
    assert again["scope_file"] == first["scope_file"] and not again["new_upload"]
    listing.write_text("john@example.com\n")
    status, other = upload(file_lake, "INC-2026-0042", listing, capsys)
    assert other["scope_file"] == "incidents/_inputs/INC-2026-0042/list-2.csv.enc" and other["new_upload"]
    assert verify(file_lake, public_keys=ledger_public_key).ok


def test_fulfil_twice_with_the_same_moment_is_recorded_once_and_verifies(file_lake, capsys, ledger_public_key):
    command = ["incident", "fulfil", "--lake", file_lake.url, "--incident", "INC-2026-0042", "--obligation", "US-CA/ag"]
    moment = ["--at", "2026-12-01T10:00:00-08:00", "--by", "legal"]
    first = json.loads(run_cli([*command, *moment, "--reference", "R1"], capsys)[1])
    again = json.loads(run_cli([*command, *moment, "--reference", "R1"], capsys)[1])
    corrected = json.loads(run_cli([*command, *moment, "--reference", "R2"], capsys)[1])
    assert first == again and corrected["path"].endswith("-20261201T100000-2.json")
    assert verify(file_lake, public_keys=ledger_public_key).ok
    for extra, field in ((["--at", "yesterday", "--by", "legal"], "at"), ([*moment[:2], "--by", "a\nb"], "by")):
        status, _, err = run_cli([*command, *extra], capsys)
        assert status == 2 and err.startswith(f"breachctl: {field}:") and err.count("\n") == 1


def test_a_plaintext_list_where_the_layout_says_encrypted_is_refused(file_lake):
    key = "incidents/_inputs/INC-2026-0042/list.csv.enc"
    file_lake.put(key, b"victim@example.com\n")
    trigger = validate_trigger({**BASE, **LAKE_FILE, "scope_file": key})
    with pytest.raises(InputError, match=r"scope_file: .*plaintext where the layout expects ciphertext"):
        incident_tasks.scope_keys(file_lake, trigger)
    file_lake.put(key, crypto.encrypt(b"victim@example.com\n", crypto.default_wrapper(), key))
    assert incident_tasks.scope_keys(file_lake, trigger) == ["victim@example.com"]


def test_one_street_that_is_not_utf8_does_not_fail_the_resolution(tmp_path):
    from include.demo.store import SeedConfig, seed_store

    path = tmp_path / "store.db"
    seed_store(f"sqlite:///{path}", SeedConfig(customers=60, violations=0.0, seed=3))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE customer_address_entity SET street = CAST(X'4d61696eff5374' AS TEXT) WHERE entity_id = 1")
    trigger = validate_trigger({**BASE, "compromised_tables": ["customer_entity", "customer_address_entity"]})
    lake = open_lake((tmp_path / "lake").as_uri())
    result = incident_tasks.resolve_scope(trigger, "run-1", url=f"sqlite:///{path}", lake=lake)
    summary = json.loads(lake.get(keys.incident_summary("INC-2026-0042", 1)))
    assert result["counts"]["individuals"] >= 60 and summary["unreadable_values"] >= 1
    assert datetime.fromisoformat(summary["resolved_at"]) <= datetime.now(UTC)


def test_a_fulfilment_that_crashed_before_its_seal_is_completed_by_the_repeat(file_lake, monkeypatch, ledger_public_key):
    from include.monitoring import fulfilments

    def crash(*args, **kwargs):
        raise RuntimeError("signing connection unavailable")

    at = datetime(2026, 12, 1, 18, tzinfo=UTC)
    with monkeypatch.context() as patched:
        patched.setattr(fulfilments, "seal_run", crash)
        with pytest.raises(RuntimeError):
            fulfilments.record_fulfilment(file_lake, "INC-2026-0042", "US-CA/ag", at, "legal", "R1")
    assert not verify(file_lake, public_keys=ledger_public_key).ok
    fulfilments.record_fulfilment(file_lake, "INC-2026-0042", "US-CA/ag", at, "legal", "R1")
    fulfilments.record_fulfilment(file_lake, "INC-2026-0042", "US-CA/ag", at, "legal", "R1")
    assert verify(file_lake, public_keys=ledger_public_key).ok and len(list(file_lake.list(keys.LEDGER))) == 2
