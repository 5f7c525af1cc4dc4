"""The configuration object: every setting read from the environment once, with defaults and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from include.config import DEMO_BUSINESS, PROJECT_ROOT, Config, ConfigError, get_connection, has_connection


def test_defaults_without_any_setting():
    config = Config.from_env({})
    assert config.lake_url == (PROJECT_ROOT / "lake").as_uri()
    assert (config.magento_conn_id, config.aws_conn_id, config.key_conn_id) == ("magento_db", "aws_lake", "lake_encryption")
    assert config.notice_transport == "file"
    assert config.notice_send_rate == 50.0
    assert dict(config.cost_per_notice) == {"email": 0.05, "postal": 1.20}
    assert config.lock_days == 2555 and config.kms_key_id is None
    assert config.business is None
    assert config.suites_dir == PROJECT_ROOT / "expectations" / "suites"
    assert (config.suites_dir / "customer_entity.json").is_file()


def test_every_setting_comes_from_the_environment(tmp_path: Path):
    env = {
        "LAKE_URL": "s3://bucket/prefix",
        "MAGENTO_CONN_ID": "replica",
        "NOTICE_EMAIL_TRANSPORT": "smtp",
        "NOTICE_SENDER": "privacy@shop.example",
        "NOTICE_SEND_RATE": "12.5",
        "NOTICE_OUTBOX_DIR": str(tmp_path / "outbox"),
        "NOTICE_COST_EMAIL": "0.01",
        "NOTICE_COST_POSTAL": "0.9",
        "LAKE_KMS_KEY_ID": "arn:aws:kms:eu-west-1:1:key/x",
        "LAKE_LOCK_DAYS": "30",
        "PIPELINE_CODE_VERSION": "v1.2.3",
        "BUSINESS_NAME": "Shop",
        "BUSINESS_PHONE": "1-800",
        "BUSINESS_DPO_CONTACT": "dpo@shop.example",
        "EXPECTATIONS_DIR": str(tmp_path),
    }
    config = Config.from_env(env)
    assert config.lake_url == "s3://bucket/prefix" and config.magento_conn_id == "replica"
    assert (config.notice_transport, config.notice_sender, config.notice_send_rate) == ("smtp", "privacy@shop.example", 12.5)
    assert config.notice_outbox_dir == tmp_path / "outbox"
    assert dict(config.cost_per_notice) == {"email": 0.01, "postal": 0.9}
    assert (config.kms_key_id, config.lock_days, config.code_version) == ("arn:aws:kms:eu-west-1:1:key/x", 30, "v1.2.3")
    assert config.business is not None and config.business.name == "Shop" and config.business.dpo_contact == "dpo@shop.example"
    assert config.suites_dir == tmp_path / "suites"


def test_the_aws_connection_extra_wins_for_kms_and_object_lock():
    env = {
        "LAKE_URL": "s3://bucket/prefix",
        "LAKE_KMS_KEY_ID": "from-env",
        "LAKE_LOCK_DAYS": "1",
        "AIRFLOW_CONN_AWS_LAKE": json.dumps({"conn_type": "aws", "extra": {"kms_key_id": "from-conn", "object_lock_days": 90}}),
    }
    config = Config.from_env(env)
    assert (config.kms_key_id, config.lock_days) == ("from-conn", 90)


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"NOTICE_EMAIL_TRANSPORT": "pigeon"}, "NOTICE_EMAIL_TRANSPORT"),
        ({"NOTICE_SEND_RATE": "fast"}, "NOTICE_SEND_RATE"),
        ({"NOTICE_COST_POSTAL": "1,20"}, "NOTICE_COST_POSTAL"),
        ({"LAKE_LOCK_DAYS": "forever"}, "object_lock_days"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(env: dict[str, str], setting: str):
    with pytest.raises(ConfigError) as raised:
        Config.from_env(env)
    assert setting in str(raised.value) and "\n" not in str(raised.value)


def test_connections_from_json_and_uri_forms():
    env = {
        "AIRFLOW_CONN_MAGENTO_DB": "mysql://ro%40user:p%3Ass@replica:3307/magento?charset=utf8mb4",
        "AIRFLOW_CONN_MAIL_HOUSE": json.dumps({"conn_type": "generic", "extra": json.dumps({"public_key": "abc"})}),
    }
    uri = get_connection("magento_db", env)
    assert (uri.conn_type, uri.host, uri.port, uri.login, uri.password, uri.schema) == (
        "mysql",
        "replica",
        3307,
        "ro@user",
        "p:ss",
        "magento",
    )
    assert uri.extra == {"charset": "utf8mb4"}
    assert get_connection("mail_house", env).extra == {"public_key": "abc"}
    assert "p:ss" not in repr(uri)


def test_has_connection_is_false_when_nothing_defines_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AIRFLOW_HOME", "/nonexistent-airflow-home")
    assert not has_connection("no_such_connection_anywhere", {})


def test_the_demo_business_is_the_fallback_for_notices():
    assert DEMO_BUSINESS.name and DEMO_BUSINESS.email.endswith(".example")


def test_a_file_lake_never_asks_airflow_for_connections():
    """Reading the configuration must not import Airflow (5 s) when nothing on S3 needs its connection."""
    import subprocess
    import sys

    probe = "import sys; from include.config import Config; Config.from_env({}); print('airflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert done.stdout.strip() == "False"
