"""The local engine: every rule converted by pySigma's SQLite backend and run over the events in an in-memory database.

Access-log events go to table `webserver`, store-state events to `store` (the pipeline in rules.py routes each
rule by its log source). Plain rules are `SELECT * ... WHERE`; correlations (value_count, event_count) are the
backend's window-function SQL. Hits are grouped per rule and per client (web) or per row (store) into detections
that name their evidence by log file and line numbers, or table and primary keys, never by content.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule

from include.detection.rules import (
    RULES_DIR,
    STORE_TABLE,
    WEB_TABLE,
    Rule,
    alerting_rules,
    load_collection,
    load_rules,
    local_pipeline,
)
from include.detection.store_events import STORE_COLUMNS
from include.detection.web_events import WEB_COLUMNS

MAX_EVIDENCE = 1000
INTEGER_COLUMNS = {"sc-status", "sc-bytes", "line", "login_hour", "user_type", "failures"}


@dataclass
class Detection:
    """One rule's hits for one client or one row: what `breachctl detect` prints and a suspected incident records."""

    rule_id: str
    name: str
    title: str
    category: str
    level: str
    first_seen: str
    last_seen: str
    count: int
    evidence: list[dict[str, Any]]
    group: str = field(default="", repr=False)  # the client address or table:key; kept in memory only

    @property
    def dedupe_key(self) -> str:
        """Rule and a digest of the group: the same detection in a later run gets the same suspected incident."""
        return f"{self.rule_id}:{hashlib.sha256(self.group.encode()).hexdigest()[:20]}"

    def public(self) -> dict[str, Any]:
        """The printed form (no client address)."""
        keys = ("rule_id", "title", "category", "level", "first_seen", "last_seen", "count", "evidence")
        return {key: getattr(self, key) for key in keys}


def _regexp(pattern: str, value: object) -> bool:
    return value is not None and _compiled(pattern).search(str(value)) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _column(name: str) -> str:
    kind = "INTEGER" if name in INTEGER_COLUMNS else "REAL" if name == "config_number" else "TEXT COLLATE NOCASE"
    return f"`{name}` {kind}"


def event_database() -> sqlite3.Connection:
    """An empty in-memory database with the two event tables and Sigma's REGEXP."""
    connection = sqlite3.connect(":memory:")
    connection.create_function("REGEXP", 2, _regexp, deterministic=True)
    for table, columns in ((WEB_TABLE, WEB_COLUMNS), (STORE_TABLE, STORE_COLUMNS)):
        body = ", ".join(["event_id INTEGER PRIMARY KEY", *(_column(c) for c in columns)])
        connection.execute(f"CREATE TABLE {table} ({body})")
    return connection


def load_events(connection: sqlite3.Connection, table: str, rows: Iterable[tuple[object, ...]], batch: int = 50_000) -> int:
    """Insert event rows (in the column order of their table); returns how many."""
    columns = WEB_COLUMNS if table == WEB_TABLE else STORE_COLUMNS
    sql = f"INSERT INTO {table} ({', '.join(f'`{c}`' for c in columns)}) VALUES ({', '.join('?' * len(columns))})"
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            connection.executemany(sql, chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        connection.executemany(sql, chunk)
        count += len(chunk)
    return count


@cache
def compiled_rules(admin_path: str = "admin") -> tuple[tuple[Rule, str], ...]:
    """(rule, SQLite query) for every alerting rule, converted once per process and admin path."""
    rules = {rule.rule_id: rule for rule in alerting_rules(load_rules())}
    collection = load_collection(RULES_DIR)
    backend = sqliteBackend(processing_pipeline=local_pipeline(admin_path))
    out = []
    for sigma in collection.rules:
        rule = rules.get(str(sigma.id))
        if rule is None:
            continue
        if isinstance(sigma, SigmaCorrelationRule):
            referenced = [ref.rule for ref in sigma.rules or []]
            queries = backend.convert(SigmaCollection([*referenced, sigma]))
        else:
            queries = backend.convert_rule(sigma)
        out.append((rule, str(queries[-1])))
    return tuple(sorted(out, key=lambda item: item[0].rule_id))


def _iso(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


def _evidence(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_place: dict[tuple[str, str], list[Any]] = defaultdict(list)
    references: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        if row.get("log_file") is not None:
            by_place[("log_file", str(row["log_file"]))].append(int(row["line"]))
        else:
            place = ("table", str(row["object_table"]))
            key = row["object_key"]
            by_place[place].append(int(key) if str(key).isdigit() else key)
            if row.get("script_origin"):
                references[place].add(f"script origin {row['script_origin']}")
    evidence = []
    for (kind, name), keys in sorted(by_place.items()):
        ordered = sorted(set(keys), key=lambda k: (isinstance(k, str), k))[:MAX_EVIDENCE]
        item: dict[str, Any] = (
            {"log_file": name, "line_numbers": ordered} if kind == "log_file" else {"table": name, "primary_keys": ordered}
        )
        if references.get((kind, name)):
            item["reference"] = "; ".join(sorted(references[(kind, name)]))[:256]
        evidence.append(item)
    return evidence


def _detection(rule: Rule, group: str, rows: list[dict[str, Any]]) -> Detection:
    times = sorted(str(row["timestamp"]) for row in rows)
    return Detection(
        rule.rule_id,
        rule.name,
        rule.title,
        rule.category,
        rule.level,
        _iso(times[0]),
        _iso(times[-1]),
        len(rows),
        _evidence(rows),
        group,
    )


def _rows(connection: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _group_of(rule: Rule, row: dict[str, Any]) -> str:
    if rule.table == WEB_TABLE:
        return str(row.get("c-ip") or "")
    return f"{row['object_table']}:{row['object_key']}"


def _correlation(connection: sqlite3.Connection, rule: Rule, sql: str) -> list[Detection]:
    events: dict[str, set[int]] = defaultdict(set)
    for alert in _rows(connection, sql):
        group = "|".join(str(v) for v in json.loads(alert["group_keys"]).values())
        events[group].update(int(identity.split(":", 1)[1]) for identity in json.loads(alert["event_ids"]))
    detections = []
    for group, ids in sorted(events.items()):
        ordered = sorted(ids)
        rows = []
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            rows += _rows(connection, f"SELECT * FROM {rule.table} WHERE event_id IN ({','.join('?' * len(chunk))})", chunk)
        detections.append(_detection(rule, group, rows))
    return detections


def evaluate(connection: sqlite3.Connection, admin_path: str = "admin") -> list[Detection]:
    """Run every alerting rule once over the loaded events; detections in rule, then first-seen order."""
    detections: list[Detection] = []
    for rule, sql in compiled_rules(admin_path):
        if isinstance(rule.sigma, SigmaCorrelationRule):
            detections += _correlation(connection, rule, sql)
            continue
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in _rows(connection, sql):
            groups[_group_of(rule, row)].append(row)
        detections += [_detection(rule, group, rows) for group, rows in sorted(groups.items())]
    return sorted(detections, key=lambda d: (d.rule_id, d.first_seen, d.dedupe_key))
