"""The access-log parser (untrusted input): combined and JSON lines, never an exception, REST record reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from include.magento.access_log import parse_line, parse_time, record_read, records_read_by

COMBINED = '203.0.113.7 - - [10/Nov/2026:13:55:36 -0800] "GET /rest/default/V1/customers/42?x=1 HTTP/1.1" 200 512 "-" "curl/8"'


def test_combined_and_json_lines_parse_to_the_same_record():
    combined = parse_line(7, COMBINED)
    document = {
        "remote_addr": "203.0.113.7",
        "time_iso8601": "2026-11-10T13:55:36-08:00",
        "request": "GET /rest/default/V1/customers/42?x=1 HTTP/1.1",
        "status": 200,
        "body_bytes_sent": 512,
        "http_user_agent": "curl/8",
    }
    from_json = parse_line(7, json.dumps(document))
    assert combined and from_json
    assert (combined.time, combined.client, combined.path, combined.query, combined.status) == (
        datetime(2026, 11, 10, 21, 55, 36, tzinfo=UTC),
        "203.0.113.7",
        "/rest/default/V1/customers/42",
        "x=1",
        200,
    )
    assert (from_json.time, from_json.client, from_json.path, from_json.status) == (
        combined.time,
        combined.client,
        combined.path,
        200,
    )
    assert record_read(combined) == "customer:42"


def test_only_successful_reads_of_records_by_id_count():
    def read(path: str, status: int = 200, method: str = "GET") -> str | None:
        record = parse_line(
            1, COMBINED.replace("GET /rest/default/V1/customers/42?x=1", f"{method} {path}").replace(" 200 ", f" {status} ")
        )
        assert record is not None
        return record_read(record)

    assert read("/rest/V1/orders/9") == "order:9"
    assert read("/rest/all/V1/customers/5/addresses") == "customer:5"
    assert read("/rest/default/V1/customers/me") is None
    assert read("/rest/default/V1/customers/42", status=401) is None
    assert read("/rest/default/V1/customers/42", method="PUT") is None
    assert read("/rest/default/V1/customers/search?searchCriteria=1").startswith("search:")


def test_records_read_by_one_client_in_a_window():
    lines = [parse_line(n, COMBINED.replace("customers/42", f"customers/{n}")) for n in range(1, 4)]
    other = parse_line(9, COMBINED.replace("203.0.113.7", "198.51.100.1"))
    records = [r for r in [*lines, other] if r]
    assert records_read_by(records, "203.0.113.7") == ({1, 2, 3}, set())
    assert records_read_by(records, "203.0.113.7", start=datetime(2026, 11, 11, tzinfo=UTC)) == (set(), set())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_or_is_skipped(text):
    record = parse_line(1, text)
    assert record is None or (record.time.tzinfo is not None and 100 <= record.status <= 999)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["remote_addr", "time", "request", "status", "uri", "method"]),
        st.one_of(st.text(max_size=40), st.integers(), st.none(), st.lists(st.integers(), max_size=3)),
    )
)
def test_any_json_object_parses_or_is_skipped(document):
    record = parse_line(1, json.dumps(document))
    assert record is None or record.time.tzinfo is not None


@given(st.text(max_size=60))
def test_parse_time_never_raises(text):
    moment = parse_time(text)
    assert moment is None or moment.tzinfo is not None
