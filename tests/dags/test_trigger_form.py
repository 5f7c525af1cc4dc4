"""The Trigger DAG form's schema refuses what validate_trigger would refuse, before a run exists: the params are
validated here as the api-server validates them (the serialized DAG's params, deep-merged with the conf)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from include.incident.form import INCIDENT_ID_SCHEMA_PATTERN
from include.legal.inputs import INCIDENT_ID

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "breach_incident.py"
VALID = {"incident_id": "INC-2026-0042", "discovered_at": "2026-11-30T09:00:00-08:00", "compromised_tables": ["customer_entity"]}
PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
dag = DagBag(dag_folder=sys.argv[1]).dags["breach_incident"]
served = DagSerialization.from_dict(DagSerialization.to_dict(dag))
answers = {}
for name, conf in json.loads(sys.argv[2]).items():
    try:
        served.params.deep_merge(conf).validate()
        answers[name] = "ok"
    except Exception as error:
        answers[name] = f"{type(error).__name__}: {error}"[:300]
print(json.dumps({"answers": answers, "schema": {k: v.schema for k, v in dag.params.items()}}))
"""
CONFS = {
    "valid": VALID,
    "bad_id": {**VALID, "incident_id": "x"},
    "id_with_newline": {**VALID, "incident_id": "INC-2026-0042\n"},
    "id_with_slash": {**VALID, "incident_id": "INC/../../x"},
    "no_discovery": {k: v for k, v in VALID.items() if k != "discovered_at"},
    "discovery_not_a_time": {**VALID, "discovered_at": "last Tuesday"},
    "unknown_entity_type": {**VALID, "entity_types": ["bank"]},
    "unknown_table": {**VALID, "compromised_tables": ["customer_entity`; DROP TABLE x; --"]},
    "no_tables": {**VALID, "compromised_tables": []},
    "unknown_scope": {**VALID, "scope_kind": "everyone"},
    "with_entity_types": {**VALID, "entity_types": ["nydfs_covered", "card_merchant"], "scope_kind": "orders_window"},
}


@pytest.fixture(scope="module")
def probed(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("airflow-home")
    env = {"PATH": str(Path(sys.executable).parent), "AIRFLOW_HOME": str(home), "HOME": str(home),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__UNIT_TEST_MODE": "True"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(DAG_FILE), json.dumps(CONFS)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_complete_trigger_passes_the_form(probed):
    assert probed["answers"]["valid"] == "ok" and probed["answers"]["with_entity_types"] == "ok"


@pytest.mark.parametrize("name", sorted(set(CONFS) - {"valid", "with_entity_types"}))
def test_the_form_refuses_before_a_run_exists(probed, name):
    assert probed["answers"][name].startswith("ParamValidationError"), probed["answers"][name]


def test_required_fields_are_required_and_choices_have_labels(probed):
    schema = probed["schema"]
    for name in ("incident_id", "discovered_at"):
        assert "null" not in json.dumps(schema[name]["type"]), name  # no null: the form marks it and will not submit
    assert schema["compromised_tables"]["minItems"] == 1
    assert "customer_entity: email addresses, names" in schema["compromised_tables"]["values_display"]["customer_entity"]
    for name in ("scope_kind", "entity_types", "scope_file_kind", "compromised_tables", "data_elements"):
        choices = schema[name].get("enum") or schema[name]["items"]["enum"]
        labels = schema[name]["values_display"]
        assert all(("null" if c is None else c) in labels for c in choices), name
    timed = [name for name, s in schema.items() if s.get("format") == "date-time"]
    assert len(timed) >= 10 and all("UTC offset" in schema[name]["title"] for name in timed)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aZ09._-/\n \\$é"), min_size=0, max_size=70))
def test_the_form_pattern_accepts_exactly_the_ids_validate_trigger_accepts(candidate):
    by_schema = re.search(INCIDENT_ID_SCHEMA_PATTERN, candidate) is not None and 3 <= len(candidate) <= 64
    assert by_schema == (INCIDENT_ID.fullmatch(candidate) is not None)
