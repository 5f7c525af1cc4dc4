"""The first task of breach_incident refuses bad triggers, naming the field."""

from __future__ import annotations

import pytest

from include.incident.trigger import public_parameters, validate_trigger
from include.legal.inputs import InputError

GOOD = {"incident_id": "INC-2026-7", "discovered_at": "2026-11-01T10:00:00+00:00", "compromised_tables": ["customer_entity"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"incident_id": None}, "incident_id"),
        ({"discovered_at": None}, "discovered_at"),
        ({"discovered_at": "yesterday"}, "discovered_at"),
        ({"compromised_tables": []}, "compromised_tables"),
        ({"compromised_tables": ["customer_entity; DROP TABLE customer_entity"]}, "compromised_tables"),
        ({"compromised_tables": ["core_config_data"]}, "compromised_tables"),
        ({"data_elements": ["user.contact.email' OR '1'='1"]}, "data_elements"),
        ({"incident_id": "../../etc"}, "incident_id"),
        ({"breach_start": "2026-11-05T00:00:00Z", "breach_end": "2026-11-01T00:00:00Z"}, "breach_end"),
        (
            {"scope_kind": "orders_window", "window_start": "2026-11-05T00:00:00Z", "window_end": "2026-11-01T00:00:00Z"},
            "window_end",
        ),
        ({"scope_kind": "orders_window"}, "window_start"),
        ({"scope_kind": "lake_file", "scope_file": "../../secrets.json", "scope_file_kind": "emails"}, "scope_file"),
        ({"scope_kind": "lake_file", "scope_file": "incidents/_inputs/INC-2026-7/x.csv.enc"}, "scope_file_kind"),
        ({"scope_kind": "everything"}, "scope_kind"),
        ({"le_agency": "FBI", "le_start": "2026-11-05T00:00:00Z", "le_end": "2026-11-01T00:00:00Z"}, "law_enforcement_delay"),
        ({"determined_at": "2026-10-01T00:00:00Z"}, "determined_at"),
        ({"entity_types": ["bank"]}, "entity_types"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_triggers_name_the_field(change, field):
    with pytest.raises(InputError) as caught:
        validate_trigger({**GOOD, **change})
    assert field in str(caught.value) and "\n" not in str(caught.value)


def test_a_good_trigger_and_its_public_form_leave_out_notes():
    trigger = validate_trigger(
        {
            **GOOD,
            "notes": "Caller said: Jane Doe jane@example.com",
            "le_agency": "FBI",
            "le_start": "2026-11-02T00:00:00Z",
            "scope_kind": "all_rows",
            "window_start": None,
        }
    )
    assert trigger.law_enforcement_delay.agency == "FBI"
    public = public_parameters(trigger)
    assert "notes" not in public and "jane@example.com" not in repr(public)
