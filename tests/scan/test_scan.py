"""The scan against MariaDB with the real schema: exact planted counts, clean store clean, incremental reads."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from include.lake.store import open_lake
from include.scan import tasks as scan

pytestmark = pytest.mark.mariadb


def run_scan(url: str, lake, run_id: str, **kwargs) -> tuple[list[dict], dict, list[dict]]:
    tables = scan.plan_tables(url)
    results = [scan.scan_table(t, run_id, url=url, lake=lake, chunk_rows=700, bucket_rows=400, **kwargs) for t in tables]
    written = scan.write_scan_outputs(run_id, results, scan.relational_checks(url=url), scan.schema_drift(url=url), lake=lake)
    findings = json.loads(lake.get(f"scans/{run_id}/findings.json"))
    return findings, written["summary"], results


@pytest.fixture(scope="module")
def seeded_scan(seeded_store, tmp_path_factory):
    lake = open_lake((tmp_path_factory.mktemp("scan") / "lake").as_uri())
    findings, summary, results = run_scan(seeded_store["url"], lake, "run-1")
    return {"lake": lake, "findings": findings, "summary": summary, "results": results, **seeded_store}


def test_every_planted_violation_is_found_with_its_exact_count(seeded_scan):
    planted = {(p["table"], p["column"], p["check"]): (p["kind"], p["count"]) for p in seeded_scan["manifest"]["planted"]}
    found = {(f["table"], f["column"], f["check"]): (f["kind"], f["unexpected_count"]) for f in seeded_scan["findings"]}
    assert planted, "the seeded store must have planted problems"
    assert found == planted


def test_findings_have_the_documented_fields_and_no_values(seeded_scan):
    keys = {
        "table",
        "column",
        "check",
        "kind",
        "category",
        "severity",
        "element_count",
        "unexpected_count",
        "sample_keys",
        "references",
    }
    for finding in seeded_scan["findings"]:
        assert keys <= set(finding)
        assert len(finding["sample_keys"]) <= 20
        assert all(isinstance(k, int) for k in finding["sample_keys"])
        assert finding["references"]
    kinds = {f["kind"] for f in seeded_scan["findings"]}
    assert kinds == {
        "plaintext_pan",
        "stored_cvv",
        "unencrypted_value",
        "legacy_cipher",
        "legacy_password_hash",
        "minimisation",
        "retention",
        "orphaned_pii",
        "schema_drift",
    }


def test_sample_keys_point_at_planted_rows(seeded_scan):
    planted = {(p["table"], p["column"], p["check"]): set(p["keys"]) for p in seeded_scan["manifest"]["planted"]}
    for finding in seeded_scan["findings"]:
        assert set(finding["sample_keys"]) <= planted[(finding["table"], finding["column"], finding["check"])], finding["check"]


def test_near_misses_exist_and_are_not_flagged(seeded_scan):
    near = {(n["table"], n["column"]): set(n["keys"]) for n in seeded_scan["manifest"]["near_misses"]}
    assert sum(len(keys) for keys in near.values()) >= 20
    for finding in seeded_scan["findings"]:
        assert not set(finding["sample_keys"]) & near.get((finding["table"], finding["column"]), set())


def test_clean_store_has_no_high_or_critical_finding(clean_store, tmp_path):
    lake = open_lake((tmp_path / "lake").as_uri())
    findings, summary, _ = run_scan(clean_store["url"], lake, "clean-1")
    assert [f for f in findings if f["severity"] in ("critical", "high")] == []
    assert summary["by_severity"]["critical"] == summary["by_severity"]["high"] == 0
    assert summary["checks_run"] > 40


def test_second_run_reads_only_changed_rows_and_unchanged_run_writes_nothing(seeded_store, tmp_path):
    lake = open_lake((tmp_path / "lake").as_uri())
    run_scan(seeded_store["url"], lake, "inc-1")
    engine = sa.create_engine(seeded_store["url"])
    with engine.begin() as connection:
        changed = connection.exec_driver_sql(
            "UPDATE customer_entity SET lastname = CONCAT(lastname, '-x'), updated_at = NOW() + INTERVAL 1 SECOND "
            "WHERE entity_id IN (5, 9, 13, 21)"
        ).rowcount
        connection.exec_driver_sql(
            "UPDATE sales_order SET customer_note = 'called again', updated_at = NOW() + INTERVAL 1 SECOND "
            "WHERE entity_id IN (3, 8)"
        )
    engine.dispose()
    assert changed == 4
    _, _summary, results = run_scan(seeded_store["url"], lake, "inc-2")
    by_table = {r["table"]: r for r in results}
    customer_manifest = json.loads(lake.get("extracts/customer_entity/inc-2/_manifest.json"))
    assert customer_manifest["rows_changed"] == 4
    assert customer_manifest["mode"] == "incremental"
    assert json.loads(lake.get("extracts/sales_order/inc-2/_manifest.json"))["rows_changed"] == 2
    assert by_table["customer_address_entity"]["rows_changed"] == 0
    assert not lake.exists("extracts/customer_address_entity/inc-2/_manifest.json")

    before = dict(lake.list("extracts/")) | dict(lake.list("state/"))
    run_scan(seeded_store["url"], lake, "inc-3")
    after = dict(lake.list("extracts/")) | dict(lake.list("state/"))
    assert after == before


def test_extracts_are_encrypted_and_minimised(seeded_scan):
    from include.lake.crypto import default_wrapper, is_encrypted
    from include.lake.tables import read_encrypted_table
    from include.pii.map import load_pii_map

    lake = seeded_scan["lake"]
    parts = [key for key, _ in lake.list("extracts/customer_entity/") if key.endswith(".parquet.enc")]
    assert parts
    assert all(is_encrypted(lake.get(key)) for key in parts)
    table = read_encrypted_table(lake, parts[0], default_wrapper())
    spec = load_pii_map().tables["customer_entity"]
    assert set(table.column_names) == set(spec.extract_columns)
    assert "confirmation" in table.column_names and "failures_num" not in table.column_names
