"""`breachctl detections export`: every alerting rule converts for all three SIEMs, and each query parses with that
SIEM's own grammar (Kusto.Language for KQL, Elastic's ES|QL ANTLR grammar) or, for SPL, with a structural parser
of the subset the Splunk backend emits; the Splunk search is also evaluated on planted events (a round trip)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from esql_parser.EsqlBaseLexer import EsqlBaseLexer
from esql_parser.EsqlBaseParser import EsqlBaseParser

from include.config import PROJECT_ROOT
from include.detection.rules import alerting_rules, load_rules
from include.detection.siem import FIELD_MAPS, export_rules

from .test_detection import run_cli

ALERTING = {rule.rule_id for rule in alerting_rules(load_rules())}
SPL_COMMANDS = {"search", "regex", "bin", "stats", "table", "where", "eval", "fields"}


def test_export_covers_every_alerting_rule_for_every_target():
    for target in ("splunk", "elasticsearch", "kusto"):
        code, out, _ = run_cli("detections", "export", "--target", target)
        assert code == 0
        document = json.loads(out)
        assert {rule["rule_id"] for rule in document["rules"]} == ALERTING
        assert all(rule["query"].strip() for rule in document["rules"])


class Errors(ErrorListener):
    def __init__(self):
        self.messages = []

    def syntaxError(self, recognizer, symbol, line, column, message, error):
        self.messages.append(f"{line}:{column} {message}")


def esql_errors(query: str) -> list[str]:
    errors = Errors()
    lexer = EsqlBaseLexer(InputStream(query))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = EsqlBaseParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    parser.singleStatement()
    return errors.messages


def test_elasticsearch_queries_parse_as_esql():
    exported = export_rules("elasticsearch")
    assert {e.name: esql_errors(e.query) for e in exported if esql_errors(e.query)} == {}
    assert esql_errors("from x | where (a == 1") != []  # the parser does refuse bad queries


def test_kusto_queries_parse_with_kusto_language():
    node = shutil.which("node")
    module = PROJECT_ROOT / "node_modules" / "@kusto" / "language-service-next"
    assert node and module.is_dir(), "node and npm ci (@kusto/language-service-next) are needed"
    exported = export_rules("kusto")
    queries = [e.query for e in exported] + ["T | where (a == 1"]
    done = subprocess.run(
        [node, str(Path(__file__).with_name("kql_parse.js"))],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
        env={"NODE_PATH": str(PROJECT_ROOT / "node_modules"), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    diagnostics = json.loads(done.stdout)
    assert {e.name: d for e, d in zip(exported, diagnostics, strict=False) if d} == {}
    assert diagnostics[-1] != []


def spl_segments(query: str) -> list[str]:
    """Split SPL at pipes outside quotes; refuse unbalanced quotes or parentheses."""
    segments, current, quoted, depth = [], "", False, 0
    for char in query:
        if char == '"' and not current.endswith("\\"):
            quoted = not quoted
        if not quoted:
            depth += {"(": 1, ")": -1}.get(char, 0)
            assert depth >= 0, f"unbalanced ')' in {query!r}"
            if char == "|":
                segments.append(current.strip())
                current = ""
                continue
        current += char
    assert not quoted and depth == 0, f"unbalanced quotes or parentheses in {query!r}"
    return [*segments, current.strip()]


def test_splunk_queries_are_well_formed_spl_on_the_mapped_fields():
    known = set(FIELD_MAPS["splunk"].values()) | {"record_id", "admin_network_new", "_time", "value_count", "event_count"}
    store_fields = {
        "event_type",
        "script_origin_allowlisted",
        "config_path",
        "config_value",
        "config_number",
        "login_hour",
        "ip_new",
        "token_type",
        "object_key",
        "full_access",
        "admin_user_id",
        "user_type",
        "failures",
        "script_origin",
    }
    for exported in export_rules("splunk"):
        segments = spl_segments(exported.query)
        assert segments[0].startswith("index=magento sourcetype=")
        for segment in segments[1:]:
            assert segment.split(" ", 1)[0] in SPL_COMMANDS, (exported.name, segment)
        fields = set(re.findall(r"(?:^|[\s(])([A-Za-z_][\w.-]*)\s*(?:=|<|>|!=| IN \()", segments[0])) - {"index", "sourcetype"}
        assert fields <= known | store_fields, (exported.name, fields - known - store_fields)


def test_splunk_search_round_trips_on_planted_events(planted):
    """The Splunk exploit-path search, evaluated on the planted log's events, selects the lines the local engine found."""
    exported = {e.name: e for e in export_rules("splunk")}["magento_exploit_paths"]
    search = spl_segments(exported.query)[0]
    patterns = re.findall(r"uri_path IN \(([^)]*)\)", search)[0]
    wildcards = [
        re.compile("^" + ".*".join(map(re.escape, p.strip().strip('"').split("*"))) + "$", re.IGNORECASE)
        for p in patterns.split(",")
    ]
    lines = planted["log"].path.read_text().splitlines()
    selected = {
        n for n, line in enumerate(lines, 1) if any(w.match(line.split('"')[1].split(" ")[1].split("?")[0]) for w in wildcards)
    }
    code, out, _ = run_cli(
        "detect", "--store", planted["url"], "--access-log", str(planted["log"].path), "--since", "2026-11-11T00:00:00+00:00"
    )
    engine = {
        n
        for d in json.loads(out)["detections"]
        if d["title"].startswith("Request to a known Magento exploit path")
        for e in d["evidence"]
        for n in e["line_numbers"]
    }
    assert code == 0 and selected == engine and len(selected) == 3


@pytest.mark.parametrize("target", ["splunk", "elasticsearch", "kusto"])
def test_a_custom_admin_path_reaches_every_target(target):
    queries = " ".join(e.query for e in export_rules(target, admin_path="backoffice_7x"))
    assert "/backoffice_7x" in queries and "/admin/admin" not in queries
