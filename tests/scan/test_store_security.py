"""Store security configuration and audit-log coverage findings on the planted demo store (SQLite)."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from include.magento.source import create_source_engine
from include.scan.store_security import audit_findings, config_findings


def test_configuration_findings_name_the_setting_and_reference(planted_store, tmp_path):
    store = tmp_path / "store.db"  # a copy: the shared store must stay as planted
    shutil.copy(planted_store["store"], store)
    engine = create_source_engine(f"sqlite:///{store}")
    found = {f.check: f for f in config_findings(engine)}
    assert found["anonymous_web_api"].sample_keys == [103] and "PCI DSS 7.2.1" in found["anonymous_web_api"].references
    assert {"admin_2fa_disabled", "default_admin_path"} <= set(found)
    assert "admin_session_lifetime" not in found  # Magento's default 900 s is within PCI DSS 8.2.8
    assert not {"default_admin_path"} & {f.check for f in config_findings(engine, admin_path="backoffice_7x")}
    with sqlite3.connect(store) as db:
        db.execute(
            "INSERT INTO core_config_data (config_id, scope, scope_id, path, value)"
            " VALUES (950, 'default', 0, 'admin/security/session_lifetime', '3600')"
        )
    found = {f.check: f for f in config_findings(engine)}
    assert found["admin_session_lifetime"].sample_keys == [950] and found["admin_session_lifetime"].references == [
        "PCI DSS 8.2.8"
    ]
    for finding in found.values():
        assert finding.kind == "store_config" and finding.references


def test_audit_coverage_findings_name_missing_and_short_logs(planted_store):
    engine = create_source_engine(planted_store["url"])
    findings = audit_findings(engine, [Path(planted_store["log"])], datetime(2026, 11, 12))
    by_check = {(f.table, f.check) for f in findings}
    assert ("admin_user", "admin_action_log_missing") in by_check
    assert ("access_log", "audit_log_retention") in by_check  # three days of web logs for a store years old
    assert all(
        (f.kind == "audit_log_coverage" and "PCI DSS 10.5.1" in " ".join(f.references)) or f.check == "admin_action_log_missing"
        for f in findings
    )
    assert ("access_log", "audit_log_missing") in {(f.table, f.check) for f in audit_findings(engine, [], datetime(2026, 11, 12))}
