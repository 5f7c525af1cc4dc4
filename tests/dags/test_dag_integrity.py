"""Every DAG imports cleanly, fast, without touching a database, the network, Great Expectations or pandas."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))

PARSE_PROBE = r"""
import json, os, socket, sys, time
from airflow.dag_processing.dagbag import DagBag
def refuse(*args, **kwargs):
    raise AssertionError("network or database access at parse time")
socket.socket.connect = refuse
socket.create_connection = refuse
import sqlalchemy, sqlite3
sqlalchemy.create_engine = refuse
sqlite3.connect = refuse
baseline = set(sys.modules)
imported_airflow = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
parsed = time.perf_counter()
heavy = sorted(m for m in ("great_expectations", "pandas", "pyarrow", "boto3", "jinja2")
               if m in sys.modules and m not in baseline)
print(json.dumps({
    "errors": {k: str(v)[-800:] for k, v in bag.import_errors.items()},
    "dags": {d.dag_id: {"tags": sorted(d.tags), "retries": d.default_args.get("retries"), "catchup": d.catchup,
                        "max_active_runs": d.max_active_runs, "doc_md": bool(d.doc_md),
                        "owner": d.default_args.get("owner"), "fileloc": d.fileloc}
             for d in bag.dags.values()},
    "heavy_imports": heavy,
    "parse_seconds": round(parsed - imported_airflow, 3),
}))
"""


def parse(dag_file: Path, tmp_path: Path) -> dict:
    env = {
        "PATH": str(Path(sys.executable).parent),
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", PARSE_PROBE, str(dag_file)], check=False, capture_output=True, text=True, env=env, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("airflow-home")
    return {f.name: parse(f, tmp) for f in DAG_FILES}


DAG_IDS = {
    "magento_pii_scan",
    "breach_incident",
    "incident_deadline_monitor",
    "compliance_report",
    "breach_detection",
    "breach_triage",
    "breach_drill",
}


def test_the_dags_are_exactly_the_pipelines(parsed):
    assert {dag_id for result in parsed.values() for dag_id in result["dags"]} == DAG_IDS


@pytest.mark.parametrize("dag_file", [f.name for f in DAG_FILES])
def test_dag_imports_without_errors_or_heavy_work(parsed, dag_file, record_property):
    result = parsed[dag_file]
    record_property("parse_seconds", result["parse_seconds"])
    print(f"\nparse time {dag_file}: {result['parse_seconds']:.3f} s")
    assert result["errors"] == {}
    assert result["dags"], "the file defines no DAG"
    assert result["heavy_imports"] == [], "GX, pandas, pyarrow, boto3 and Jinja2 must be imported inside tasks only"
    assert result["parse_seconds"] < 30, "over Airflow's default dagbag_import_timeout"


@pytest.mark.parametrize("dag_file", [f.name for f in DAG_FILES])
def test_dag_policy(parsed, dag_file):
    for dag_id, dag in parsed[dag_file]["dags"].items():
        assert dag_id == Path(dag_file).stem, "dag_id is the file name"
        assert dag["tags"] and "compliance" in dag["tags"]
        assert dag["retries"] is not None and dag["retries"] >= 1
        assert dag["catchup"] is False
        assert dag["doc_md"]
        assert dag["owner"]


def test_every_open_suspect_can_wait_for_its_decision_at_once(parsed):
    """Each triage run waits days for a person; Airflow's default cap of 16 runs left the 17th suspect never shown."""
    assert parsed["breach_triage.py"]["dags"]["breach_triage"]["max_active_runs"] >= 1000
