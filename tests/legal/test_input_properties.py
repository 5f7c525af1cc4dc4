"""Property tests (hypothesis) for the untrusted parsers of incident inputs: whatever arrives, the result is a
validated model or one InputError line naming the field; never another exception, never a second form of an id."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from include.incident.trigger import IncidentTrigger, validate_trigger
from include.lake.jsondoc import MAX_DEPTH, JsonInputError, depth_of, load_json
from include.legal.inputs import INCIDENT_ID, InputError, canonical_incident_id, parse_affected, parse_incident

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
)
moments = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | st.text(max_size=40)
ids = st.from_regex(INCIDENT_ID, fullmatch=True) | st.text(max_size=80)
TRIGGER_FIELDS = {
    "incident_id": ids,
    "discovered_at": moments,
    "determined_at": moments,
    "breach_start": moments,
    "compromised_tables": st.lists(st.sampled_from(["customer_entity", "sales_order", "nope"]) | st.text(max_size=20)),
    "data_elements": st.lists(st.sampled_from(["user.name", "user.contact.email"]) | st.text(max_size=20), max_size=5),
    "scope_kind": st.sampled_from(["all_rows", "orders_window", "lake_file", "x"]),
    "scope_file": st.text(max_size=120) | ids.map(lambda i: f"incidents/_inputs/{i}/list.csv.enc"),
    "scope_file_kind": st.sampled_from(["emails", "customer_ids", "x"]),
    "window_start": moments,
    "window_end": moments,
    "le_agency": st.text(max_size=40),
    "le_start": moments,
}
triggers = st.fixed_dictionaries({}, optional={**TRIGGER_FIELDS, "unknown": documents}) | st.dictionaries(
    st.text(max_size=20), documents
)


def one_line(message: str) -> bool:
    return "\n" not in message and len(message) < 600


@SETTINGS
@given(triggers)
def test_a_trigger_validates_or_fails_with_one_line(conf: dict[str, Any]):
    try:
        trigger = validate_trigger(conf)
    except InputError as error:
        assert one_line(str(error)) and str(error).startswith("invalid trigger: ")
        return
    assert isinstance(trigger, IncidentTrigger) and INCIDENT_ID.fullmatch(trigger.incident_id)
    assert trigger.incident_id == trigger.incident_id.upper()
    if trigger.scope_file is not None:
        assert trigger.scope_file.startswith(f"incidents/_inputs/{trigger.incident_id}/") and ".." not in trigger.scope_file


@SETTINGS
@given(documents)
def test_incident_and_affected_documents_parse_or_fail_with_one_line(document: Any):
    for parse in (parse_incident, parse_affected):
        try:
            parse(document)
        except InputError as error:
            assert one_line(str(error))


@SETTINGS
@given(st.text(max_size=80))
def test_an_incident_id_has_exactly_one_canonical_form(value: str):
    try:
        canonical = canonical_incident_id(value)
    except ValueError:
        assert not INCIDENT_ID.fullmatch(value)
        return
    assert INCIDENT_ID.fullmatch(canonical) and canonical_incident_id(canonical) == canonical == value.upper()


@SETTINGS
@given(st.text(max_size=200) | documents.map(json.dumps) | st.integers(1, 5000).map(lambda n: "[" * n + "]" * n))
def test_json_input_parses_within_bounds_or_fails_with_one_line(text: str):
    try:
        document = load_json(text)
    except JsonInputError as error:
        assert one_line(str(error))
        return
    assert depth_of(document) <= MAX_DEPTH
