"""Property tests for the parsers of untrusted input: alert payloads, processor reports, signature headers, the
incident trigger and responders' scope files. Whatever arrives, each either parses or refuses with its own error:
one line, naming a field, echoing no value it was sent; it never raises anything else."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from include.exchange import signing
from include.exchange.alerts import AlertError, parse_alert, redact
from include.exchange.intake import ProcessorReport
from include.incident.scope import parse_scope_file
from include.incident.trigger import validate_trigger
from include.legal.inputs import InputError
from tests.exchange.samples import SAMPLES

pytestmark = pytest.mark.security
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
MARKER = "Zq9xMARKERx"  # planted in generated values: it must never come back in an error

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.just(MARKER + "@example.com"),
    st.just("2026-11-28T14:05:00Z"),
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20
)


def mutated(document: dict) -> st.SearchStrategy[dict]:
    """A real sample with some of its fields (top level or nested) replaced, removed or added."""

    def mutate(draw_keys: list, values: list, drops: list) -> dict:
        copy = json.loads(json.dumps(document))
        for key, value in zip(draw_keys, values, strict=False):
            target = copy
            path = key.split("/")
            for part in path[:-1]:
                target = target.get(part) if isinstance(target.get(part), dict) else target
            target[path[-1]] = value
        for key in drops:
            copy.pop(key, None)
        return copy

    paths = sorted(_paths(document))
    return st.builds(
        mutate,
        st.lists(st.sampled_from(paths) | st.text(max_size=10), max_size=3),
        st.lists(json_values, max_size=3),
        st.lists(st.sampled_from(sorted(document)), max_size=2),
    )


def _paths(document: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in document.items():
        found.add(prefix + key)
        if isinstance(value, dict):
            found |= _paths(value, prefix + key + "/")
    return found


def assert_one_line(message: str) -> None:
    assert message and "\n" not in message
    assert MARKER not in message
    assert ": " in message


@SETTINGS
@given(st.sampled_from(sorted(SAMPLES)).flatmap(lambda fmt: mutated(SAMPLES[fmt]())))
def test_alert_payloads_parse_or_name_the_field(document):
    try:
        alert = parse_alert(json.dumps(document).encode())
    except AlertError as error:
        assert_one_line(str(error))
        assert str(error).startswith("body")
        return
    suspect = alert.to_suspect("soc", __import__("datetime").datetime.now(__import__("datetime").UTC))
    assert MARKER not in suspect.model_dump_json()


@SETTINGS
@given(st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()))
def test_arbitrary_bodies_are_refused_as_alerts_with_one_line(data):
    try:
        parse_alert(data)
    except AlertError as error:
        assert_one_line(str(error))


@SETTINGS
@given(st.text(max_size=400))
def test_redaction_removes_emails_addresses_and_long_numbers(text):
    cleaned = redact(text + f" {MARKER}@example.com 4111 1111 1111 1111 10.1.2.3")
    assert "@example.com" not in cleaned
    assert "4111 1111" not in cleaned
    assert "10.1.2.3" not in cleaned
    assert len(cleaned) <= 300


REPORT = {
    "report_id": "PR-1",
    "title": "Skimmer",
    "first_seen": "2026-11-20T08:00:00Z",
    "affected_count": 3,
    "payment_methods": ["checkmo"],
    "compromised_tables": ["sales_order_payment"],
    "references": ["CASE-1"],
}


@SETTINGS
@given(mutated(REPORT))
def test_processor_reports_parse_or_name_the_field(document):
    from include.exchange.alerts import error_line

    try:
        ProcessorReport.model_validate(json.loads(json.dumps(document)))
    except ValidationError as error:
        assert_one_line(error_line(error.errors(include_input=False), ("body",)))


@SETTINGS
@given(st.text(max_size=80), st.text(max_size=20), st.text(max_size=100), st.binary(max_size=200))
def test_signature_headers_are_checked_without_echoing_them(sender, stamp, signature, body):
    for check in (
        lambda: signing.check_sender(MARKER + sender),
        lambda: signing.check_timestamp(stamp + MARKER),
        lambda: signing.verify_hmac(b"k" * 32, signing.alert_message(stamp, body), signature + MARKER),
        lambda: signing.verify_ed25519(b"\x01" * 32, body, signature + MARKER),
    ):
        with pytest.raises(signing.AuthError) as refused:
            check()
        assert_one_line(str(refused.value))
        assert str(refused.value).startswith("X-Breach-")


TRIGGER = {
    "incident_id": "INC-2026-0042",
    "discovered_at": "2026-11-28T14:05:00-08:00",
    "compromised_tables": ["customer_entity", "sales_order"],
    "scope_kind": "orders_window",
    "window_start": "2026-11-01T00:00:00Z",
    "window_end": "2026-11-27T23:59:59Z",
    "le_agency": "FBI",
    "le_start": "2026-11-29T00:00:00Z",
}


@SETTINGS
@given(mutated(TRIGGER))
def test_trigger_conf_validates_or_names_the_field(conf):
    try:
        trigger = validate_trigger(conf)
    except InputError as error:
        message = str(error)
        assert message.startswith("invalid trigger: ")
        assert message and "\n" not in message
        return
    assert trigger.incident_id


scope_lines = st.lists(
    st.one_of(
        st.from_regex(r"[0-9]{1,10}", fullmatch=True),
        st.emails(),
        st.from_regex(r"[A-Za-z0-9-]{1,50}", fullmatch=True),
        st.text(alphabet=string.printable, max_size=40),
    ),
    max_size=30,
)


@SETTINGS
@given(
    st.sampled_from(["customer_ids", "order_increment_ids", "emails"]),
    st.one_of(
        scope_lines.map(lambda lines: "\n".join(lines).encode()),
        scope_lines.map(lambda lines: json.dumps(lines).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=300),
    ),
)
def test_scope_files_parse_or_refuse_with_one_line(kind, data):
    try:
        values = parse_scope_file(data, kind)
    except ValueError as error:
        message = str(error)
        assert "\n" not in message
        assert MARKER not in message
        return
    assert all(v and "\n" not in v and "," not in v for v in values)
