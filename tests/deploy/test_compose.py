"""docker-compose.yaml: the official Airflow 3 layout plus MariaDB with the Magento schema and an S3 server."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
SERVICES = COMPOSE["services"]


def test_services_of_the_stack():
    assert {
        "postgres",
        "redis",
        "magento-db",
        "object-store",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
    } <= set(SERVICES)


def test_every_image_is_pinned():
    for name, service in SERVICES.items():
        image = service.get("image") or COMPOSE["x-airflow-common"]["image"]
        tag = image.rsplit(":", 1)[-1]
        assert ":" in image and tag not in ("latest", "") and any(ch.isdigit() for ch in tag), f"{name}: {image}"
    assert "3.3.2" in COMPOSE["x-airflow-common"]["image"]


def test_long_running_services_have_health_checks():
    for name in (
        "postgres",
        "redis",
        "magento-db",
        "object-store",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
    ):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_celery_executor_with_postgres_and_redis():
    env = COMPOSE["x-airflow-common"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")


def test_mounts_and_schema_loading():
    mounts = COMPOSE["x-airflow-common"]["volumes"]
    for folder in ("dags", "include", "expectations", "plugins"):
        assert any(m.startswith(f"./{folder}:/opt/airflow/{folder}") for m in mounts), folder
    magento = SERVICES["magento-db"]["volumes"]
    assert any("schema-2.4-full.sql:/docker-entrypoint-initdb.d/01" in m for m in magento)
    assert any("schema-2.4-indexer-tables.sql:/docker-entrypoint-initdb.d/02" in m for m in magento)
    for mount in mounts + magento:
        source = mount.split(":")[0]
        if source.startswith("./"):
            assert (ROOT / source).exists(), source


def test_no_secret_is_committed():
    import re

    environments = [COMPOSE["x-airflow-common"]["environment"]] + [s.get("environment") or {} for s in SERVICES.values()]
    for environment in environments:
        for name, value in environment.items():
            if re.search(r"PASSWORD$|SECRET$|FERNET_KEY$|_KEY$", name) and isinstance(value, str):
                assert value.startswith("${") or "$${" in value, f"{name} must come from .env"
    conn = COMPOSE["x-airflow-common"]["environment"]["AIRFLOW_CONN_LAKE_ENCRYPTION"]
    assert '"password": "${LAKE_ENCRYPTION_KEY}"' in conn
