"""The store's web access logs: nginx/Apache combined format and JSON lines, parsed into records without keeping bodies.

Lines that are neither are counted and skipped, never raised on: a log is untrusted input. A record keeps the
client address, time, method, path, query string, status, size, referrer and user agent; `record_read` says
which customer or order record a REST request read (the ids are Magento entity ids in the path).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

COMBINED = re.compile(
    r'^(?P<client>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-)'
    r'(?: "(?P<referer>[^"]*)" "(?P<agent>[^"]*)")?'
)
REST_RECORD = re.compile(r"^/rest/(?:[A-Za-z0-9_]+/)?V1/(?P<kind>customers|orders)/(?P<id>\d{1,10})(?:/|$)")
REST_SEARCH = re.compile(r"^/rest/(?:[A-Za-z0-9_]+/)?V1/(?:customers|orders)/search/?$|^/rest/(?:[A-Za-z0-9_]+/)?V1/orders/?$")
JSON_KEYS = {
    "client": ("remote_addr", "client_ip", "clientip", "c-ip", "ip"),
    "time": ("time_iso8601", "@timestamp", "timestamp", "time", "time_local"),
    "method": ("request_method", "method", "cs-method"),
    "uri": ("request_uri", "uri", "url", "cs-uri"),
    "request": ("request",),
    "status": ("status", "sc-status"),
    "size": ("body_bytes_sent", "bytes_sent", "size"),
    "referer": ("http_referer", "referer", "referrer"),
    "agent": ("http_user_agent", "user_agent", "useragent"),
}
MAX_LINE = 16_384


@dataclass(frozen=True)
class AccessRecord:
    """One request from a web access log (line numbers start at 1)."""

    line: int
    time: datetime
    client: str
    method: str
    path: str
    query: str
    status: int
    size: int
    referer: str
    agent: str


MONTHS = {
    name: number
    for number, name in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
CLF_TIME = re.compile(r"^(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$")


def parse_time(text: str) -> datetime | None:
    """A log time (`10/Oct/2026:13:55:36 +0000` or ISO 8601) as an aware UTC datetime, or None."""
    text = text.strip()
    if match := CLF_TIME.match(text):
        day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
        if month not in MONTHS:
            return None
        try:
            moment = datetime(int(year), MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
        except ValueError:
            return None
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        return moment - offset if sign == "+" else moment + offset
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _split_uri(uri: str) -> tuple[str, str]:
    path, _, query = uri.partition("?")
    return unquote(path)[:2048], query[:2048]


def _first(data: dict[str, object], field: str) -> str:
    for key in JSON_KEYS[field]:
        value = data.get(key)
        if value is not None and value != "":
            return str(value)
    return ""


def _from_json(line_number: int, text: str) -> AccessRecord | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    method, uri = _first(data, "method"), _first(data, "uri")
    if not uri and (request := _first(data, "request")):
        method, _, rest = request.partition(" ")
        uri = rest.rsplit(" ", 1)[0] if " HTTP/" in rest else rest
    moment, status = parse_time(_first(data, "time")), _first(data, "status")
    if moment is None or not uri or not status.isdigit():
        return None
    path, query = _split_uri(uri)
    size = _first(data, "size")
    return AccessRecord(
        line_number,
        moment,
        _first(data, "client")[:64],
        method.upper()[:16],
        path,
        query,
        int(status[:3]),
        int(size) if size.isdigit() else 0,
        _first(data, "referer")[:512],
        _first(data, "agent")[:512],
    )


def parse_line(line_number: int, text: str) -> AccessRecord | None:
    """One log line as a record, or None when it is in neither format."""
    text = text.strip()[:MAX_LINE]
    if text.startswith("{"):
        return _from_json(line_number, text)
    match = COMBINED.match(text)
    if not match:
        return None
    moment = parse_time(match["time"])
    parts = match["request"].split(" ")
    if moment is None or len(parts) < 2:
        return None
    path, query = _split_uri(parts[1])
    return AccessRecord(
        line_number,
        moment,
        match["client"][:64],
        parts[0].upper()[:16],
        path,
        query,
        int(match["status"]),
        int(match["size"]) if match["size"].isdigit() else 0,
        (match["referer"] or "")[:512],
        (match["agent"] or "")[:512],
    )


def parse_lines(lines: Iterable[str], start_line: int = 1) -> Iterator[AccessRecord]:
    """Every parseable record of a log, numbered from start_line; unparseable lines are skipped."""
    for number, text in enumerate(lines, start_line):
        if record := parse_line(number, text):
            yield record


def record_read(record: AccessRecord) -> str | None:
    """'customer:<id>', 'order:<id>' or 'search:<query digest>' for a successful REST read of customer or order data."""
    if record.method != "GET" or not 200 <= record.status < 300:
        return None
    if match := REST_RECORD.match(record.path):
        return f"{match['kind'].removesuffix('s')}:{match['id']}"
    if REST_SEARCH.match(record.path):
        return f"search:{hashlib.sha256(record.query.encode()).hexdigest()[:12]}"
    return None


def records_read_by(
    records: Iterable[AccessRecord], client: str, start: datetime | None = None, end: datetime | None = None
) -> tuple[set[int], set[int]]:
    """Customer ids and order entity ids one client read through REST (optionally between start and end)."""
    customers: set[int] = set()
    orders: set[int] = set()
    for record in records:
        if record.client != client or (start and record.time < start) or (end and record.time > end):
            continue
        read = record_read(record)
        if read and read.startswith("customer:"):
            customers.add(int(read.split(":")[1]))
        elif read and read.startswith("order:"):
            orders.add(int(read.split(":")[1]))
    return customers, orders


def read_log_lines(path: Path, start_line: int = 1) -> Iterator[str]:
    """The lines of a log file (gzip when it ends in .gz) from start_line on."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if number >= start_line:
                yield line
