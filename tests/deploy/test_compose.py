"""docker-compose.yaml and the Dockerfile: the official Airflow 3 layout on the project image, plus MariaDB with the
Magento schema behind a read-only account and an S3 server with its own KMS key."""

from __future__ import annotations

import re
import tomllib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = [name for name in SERVICES if name.startswith("airflow-")]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
GRANTS_SQL = (ROOT / "scripts" / "compose-read-only-user.sql").read_text()
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


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
        tag = image.rsplit(":", 1)[-1].rstrip("}")
        assert ":" in image and tag not in ("latest", "") and any(ch.isdigit() for ch in tag), f"{name}: {image}"
    bases = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert bases == ["apache/airflow:3.3.2-python3.11"]


def test_every_airflow_service_runs_the_project_image():
    assert {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor"} <= set(AIRFLOW_SERVICES)
    assert {"airflow-triggerer", "airflow-worker"} <= set(AIRFLOW_SERVICES)
    for name in AIRFLOW_SERVICES:
        service = SERVICES[name]
        assert service["image"] == f"${{PIPELINE_IMAGE:-magento-breach-pipeline:{VERSION}}}", name
        assert service["build"] == {"context": ".", "dockerfile": "Dockerfile"}, name
        command = " ".join(service.get("command") or []) if isinstance(service.get("command"), list) else service.get("command")
        assert "pip install" not in str(command), f"{name} installs packages at start-up instead of using the image"
        assert service["environment"].get("_PIP_ADDITIONAL_REQUIREMENTS", "") == "", name
    for name, service in SERVICES.items():
        if name not in AIRFLOW_SERVICES:
            assert "apache/airflow" not in service["image"] and "build" not in service, name


def test_the_dockerfile_installs_the_pinned_requirements_and_the_project():
    steps = re.sub(r"\\\n", " ", DOCKERFILE)
    assert re.search(r"^COPY .*requirements\.txt /opt/airflow/requirements\.txt$", steps, flags=re.MULTILINE)
    assert re.search(r"^RUN pip install .*-r /opt/airflow/requirements\.txt$", steps, flags=re.MULTILINE)
    for folder in ("include", "expectations", "dags", "plugins"):
        assert re.search(rf"^COPY .*\b{folder} /opt/airflow/{folder}$", steps, flags=re.MULTILINE), folder
    assert re.search(r"^RUN pip install .*-e /opt/airflow$", steps, flags=re.MULTILINE)
    assert steps.index("requirements.txt") < steps.index("COPY --chown=airflow:0 include")  # the slow layer first
    assert "apache-airflow==3.3.2" in (ROOT / "requirements.txt").read_text()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "lake", ".git"} <= set(ignored)


def test_minio_has_a_kms_key_and_the_lake_asks_for_it():
    store = SERVICES["object-store"]["environment"]
    name, _, material = store["MINIO_KMS_SECRET_KEY"].partition(":")
    assert re.fullmatch(r"[a-z][a-z0-9-]*", name) and material == "${MINIO_KMS_KEY}"
    assert "MINIO_KMS_KEY=" in (ROOT / ".env.dist").read_text()
    import json

    aws = json.loads(COMPOSE["x-airflow-common"]["environment"]["AIRFLOW_CONN_AWS_LAKE"].replace("${S3_ACCESS_KEY}", "x"))
    assert aws["extra"]["kms_key_id"] == name
    init = " ".join(SERVICES["object-store-init"]["command"])
    assert "--with-lock" in init and f"mc encrypt set sse-kms {name} lake/breach-lake" in init
    depends = COMPOSE["x-airflow-common"]["depends_on"]
    assert depends["object-store-init"] == {"condition": "service_completed_successfully"}


def read_only_statements(user: str, database: str) -> list[str]:
    """The compose grant script, for another account and database (comments dropped, one statement each)."""
    body = "\n".join(line for line in GRANTS_SQL.splitlines() if not line.startswith("--"))
    body = body.replace("'pipeline_ro'@'%'", f"'{user}'@'%'").replace("`magento`.*", f"`{database}`.*")
    return [statement.strip() for statement in body.split(";") if statement.strip()]


def test_the_read_only_account_gets_select_and_show_view_only():
    statements = read_only_statements("pipeline_ro", "magento")
    assert statements[0] == "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'pipeline_ro'@'%'"
    grants = [s for s in statements if s.startswith("GRANT")]
    assert grants == ["GRANT SELECT, SHOW VIEW ON `magento`.* TO 'pipeline_ro'@'%'"]
    magento = SERVICES["magento-db"]
    assert magento["environment"]["MARIADB_USER"] == "pipeline_ro" and magento["environment"]["MARIADB_DATABASE"] == "magento"
    assert any("compose-read-only-user.sql:/docker-entrypoint-initdb.d/03" in m for m in magento["volumes"])
    assert '"login": "pipeline_ro"' in COMPOSE["x-airflow-common"]["environment"]["AIRFLOW_CONN_MAGENTO_DB"]


def execute(connection, statement: str) -> list[tuple]:
    """One statement through the driver without parameters (account names hold a literal '%')."""
    cursor = connection.connection.cursor()
    cursor.execute(statement)
    return list(cursor.fetchall())


@pytest.mark.mariadb
def test_the_grant_script_leaves_a_real_account_unable_to_write(mariadb_server_url):
    """What the MariaDB image does (CREATE USER, GRANT ALL on the database), then the script, on the real server."""
    suffix = uuid.uuid4().hex[:8]
    user, database = f"ro_{suffix}", f"mbp_grants_{suffix}"
    admin = sa.create_engine(mariadb_server_url + "/")
    try:
        with admin.begin() as connection:
            execute(connection, f"CREATE DATABASE `{database}`")
            execute(connection, f"CREATE TABLE `{database}`.t (id INT PRIMARY KEY)")
            execute(connection, f"CREATE USER '{user}'@'%' IDENTIFIED BY 'x-{suffix}'")
            execute(connection, f"GRANT ALL PRIVILEGES ON `{database}`.* TO '{user}'@'%'")
            for statement in read_only_statements(user, database):
                execute(connection, statement)
            grants = [row[0] for row in execute(connection, f"SHOW GRANTS FOR '{user}'@'%'")]
        assert [g for g in grants if " ON `" in g] == [f"GRANT SELECT, SHOW VIEW ON `{database}`.* TO `{user}`@`%`"]
        reader = sa.create_engine(mariadb_server_url.replace("://root@", f"://{user}:x-{suffix}@") + f"/{database}")
        with reader.connect() as connection:
            assert connection.exec_driver_sql("SELECT COUNT(*) FROM t").scalar() == 0
            for statement in ("INSERT INTO t VALUES (1)", "DELETE FROM t", "CREATE TABLE u (id INT)", "DROP TABLE t"):
                with pytest.raises(sa.exc.OperationalError, match="denied"):
                    connection.exec_driver_sql(statement)
        reader.dispose()
    finally:
        with admin.begin() as connection:
            execute(connection, f"DROP USER IF EXISTS '{user}'@'%'")
            execute(connection, f"DROP DATABASE IF EXISTS `{database}`")
        admin.dispose()


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
    environments = [COMPOSE["x-airflow-common"]["environment"]] + [s.get("environment") or {} for s in SERVICES.values()]
    for environment in environments:
        for name, value in environment.items():
            if re.search(r"PASSWORD$|SECRET$|FERNET_KEY$|_KEY$", name) and isinstance(value, str):
                secret = value.partition(":")[2] if name == "MINIO_KMS_SECRET_KEY" else value  # "<key name>:<key>"
                assert secret.startswith("${") or "$${" in secret, f"{name} must come from .env"
    conn = COMPOSE["x-airflow-common"]["environment"]["AIRFLOW_CONN_LAKE_ENCRYPTION"]
    assert '"password": "${LAKE_ENCRYPTION_KEY}"' in conn
