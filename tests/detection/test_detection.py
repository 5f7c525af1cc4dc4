"""Detection: exactly the planted detections (and none of the near-misses) through breachctl detect, no personal data
in the output, rule metadata, the evaluation window, and the history that makes 'new' mean new."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from include.cli import main
from include.config import load_config
from include.demo.store.detections import ALLOWLIST
from include.detection.detect import History, detect
from include.detection.rules import CATEGORIES, RuleError, alerting_rules, load_collection, load_rules
from include.detection.store_events import StoreContext, admin_user_events, rights_raised, script_origins
from include.detection.tasks import run_detection
from include.evidence.seal import seal
from include.evidence.verify import verify
from include.lake import keys

from .conftest import SINCE

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
NAMES = {rule.rule_id: rule.name for rule in load_rules()}


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def groups_of(detection: dict) -> set[str]:
    """table:key for store evidence; the log lines' client for access-log evidence (read back from the log)."""
    found = set()
    for item in detection["evidence"]:
        if "table" in item:
            found |= {f"{item['table']}:{key}" for key in item["primary_keys"]}
        else:
            lines = Path(item["log_file"]).read_text().splitlines()
            found |= {lines[n - 1].split(" ", 1)[0] for n in item["line_numbers"]}
    return found


def test_breachctl_detect_reports_exactly_the_planted_detections(planted):
    code, out, err = run_cli(
        "detect",
        "--store",
        planted["url"],
        "--access-log",
        str(planted["log"].path),
        "--since",
        SINCE,
        "--allowlist",
        str(planted["allowlist"]),
    )
    assert code == 0, err
    detections = json.loads(out)["detections"]
    found: dict[str, set[str]] = {}
    for detection in detections:
        assert set(detection) >= {"rule_id", "category", "level", "first_seen", "last_seen", "count", "evidence"}
        found.setdefault(NAMES[detection["rule_id"]], set()).update(groups_of(detection))
    assert found == planted["expected"]
    assert {d["category"] for d in detections} == set(CATEGORIES)


def test_detections_carry_no_customer_personal_data(planted):
    _, out, _ = run_cli("detect", "--store", planted["url"], "--access-log", str(planted["log"].path), "--since", SINCE)
    with sqlite3.connect(planted["store"]) as db:
        people = db.execute("SELECT email, firstname, lastname FROM customer_entity").fetchall()
    assert not EMAIL.search(out)
    assert not [value for row in people for value in row if value and len(value) > 3 and f'"{value}"' in out]


def test_near_misses_do_not_fire(planted):
    run = detect(
        store_url=planted["url"],
        access_logs=[planted["log"].path],
        since=datetime.fromisoformat(SINCE),
        allowlist=frozenset(ALLOWLIST),
    )
    evidence = json.dumps([d.evidence for d in run.detections])
    assert '"cms_block", "primary_keys": [2]' not in evidence  # the allowlisted analytics tag
    assert "198.51.100.200" not in {d.group for d in run.detections}  # a customer browsing their own orders
    assert "198.51.100.10" not in {d.group for d in run.detections}  # the office admin
    assert not [d for d in run.detections if d.group == "admin_user_session:8"]  # Cara in office hours, usual address


def test_without_an_allowlist_the_analytics_tag_is_reported_too(planted):
    run = detect(store_url=planted["url"], access_logs=[], since=datetime.fromisoformat(SINCE))
    skimmers = {d.group for d in run.detections if d.name == "magento_content_script_not_allowlisted"}
    assert skimmers == {"cms_block:1", "cms_block:2"}


def test_the_window_keeps_old_rows_out_and_a_second_run_learns(planted):
    early = detect(store_url=planted["url"], access_logs=[], since=datetime.fromisoformat("2026-11-20T00:00:00+00:00"))
    assert early.detections == []
    assert early.history.admin_ips and early.history.admin_roles["6"]["full_access"] is True


def test_rights_raised_needs_the_previous_roles():
    before, now = {"role": 2, "resources": 1, "full_access": False}, {"role": 1, "resources": 1, "full_access": True}
    assert rights_raised(before, now) and not rights_raised(now, before) and not rights_raised(None, now)


def test_admin_user_events_report_a_raise_against_history(planted):
    from include.magento.source import create_source_engine

    engine = create_source_engine(planted["url"])
    context = StoreContext(datetime.fromisoformat(SINCE), previous_roles={"1": {"role": 2, "resources": 1, "full_access": False}})
    roles = {"1": {"role": 1, "resources": 1, "full_access": True}}
    events = [e for e in admin_user_events(engine, context, roles) if e[1] == "admin_rights_raised"]
    assert [e[3] for e in events] == ["1"]


def test_script_origins():
    html = (
        '<script src="//evil.example/a.js"></script><script>var x = "https://pay-cdn.example/x.js";</script>'
        "<script>eval(atob('Zm9v'))</script><script>gtag('config','G-1')</script><script src='/static/own.js'></script>"
    )
    assert script_origins(html) == ["https://evil.example", "https://pay-cdn.example", "inline:obfuscated", ""]


def test_every_rule_has_what_triage_and_socs_need():
    rules = load_rules()
    assert len(alerting_rules(rules)) == 17
    for rule in rules:
        sigma = rule.sigma
        assert sigma.id and sigma.title and sigma.falsepositives and rule.category in CATEGORIES
        assert any(tag.namespace == "attack" for tag in sigma.tags)


def test_a_rule_without_a_category_is_refused_naming_the_file(tmp_path):
    source = Path(load_rules()[0].sigma.source.path).read_text()
    (tmp_path / "bad.yml").write_text(re.sub(r"(?m)^category: .*\n", "", source))
    with pytest.raises(RuleError, match=r"bad.yml: category must be one of"):
        load_collection(tmp_path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--store", "not a url"], "store: not a SQLAlchemy URL"),
        (["--store", "sqlite:////nonexistent/store.db"], "store: no such SQLite file"),
        (["--since", "2026-11-11"], "since: give a date-time with its UTC offset"),
        (["--access-log", "/nonexistent.log"], "access-log: no such file"),
    ],
)
def test_bad_input_exits_2_with_one_line(planted, argv, message):
    args = ["detect", "--store", planted["url"], *argv] if argv[0] != "--store" else ["detect", *argv]
    code, out, err = run_cli(*args)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_a_bad_allowlist_line_is_named(planted, tmp_path):
    bad = tmp_path / "allow.txt"
    bad.write_text("https://www.googletagmanager.com\nnot an origin\n")
    code, _, err = run_cli("detect", "--store", planted["url"], "--allowlist", str(bad))
    assert code == 2 and "allowlist: allowlist line 2" in err


def test_history_round_trips():
    history = History({"a"}, {"1:b"}, {"1": {"role": 1, "resources": 2, "full_access": True}})
    assert History.from_dict(json.loads(json.dumps(history.to_dict()))) == history


def test_detection_runs_and_their_seals_leave_the_lake_verifying_clean(planted, file_lake, ledger_public_key):
    """The watermark and the history are state/: each run's manifest lists them, or verify reports them as added."""
    config = replace(load_config(), access_logs=(str(planted["log"].path),), script_allowlist=frozenset(ALLOWLIST))
    for run_id in ("scheduled__2026-11-11T00:00:00+00:00", "scheduled__2026-11-11T00:15:00+00:00"):
        result = run_detection(run_id, SINCE, lake=file_lake, url=planted["url"], config=config)
        assert {keys.detection_watermark(), keys.detection_history()} <= {o["path"] for o in result["outputs"]}
        seal("breach_detection", run_id, {"detect": result}, lake=file_lake)
    report = verify(file_lake, public_keys=ledger_public_key)
    assert report.ok, str(report)
