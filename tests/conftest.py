"""Shared fixtures: real MariaDB with the real Magento schema, a moto S3 server over HTTP, a lake key, a lake."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

MARIADB_HOST = os.environ.get("TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("TEST_MARIADB_PORT", "3306"))
MARIADB_USER = os.environ.get("TEST_MARIADB_USER", "root")
SEED_CUSTOMERS = 1200
SEED_VIOLATIONS = 0.03


settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")

SERVICE_MARKERS = {"mariadb", "s3", "airflow", "browser", "celery", "security"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that need no service are `unit` tests (`pytest -m unit` runs them alone, in seconds)."""
    for item in items:
        if not SERVICE_MARKERS & {mark.name for mark in item.iter_markers()}:
            item.add_marker(pytest.mark.unit)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def lake_key() -> str:
    """A fresh lake master key and pseudonym secret (the lake_encryption connection) and evidence signing key."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["AIRFLOW_CONN_LAKE_ENCRYPTION"] = json.dumps(
        {
            "conn_type": "generic",
            "password": key,
            "extra": {"key_id": "test-1", "pseudonym_secret": base64.b64encode(secrets.token_bytes(32)).decode()},
        }
    )
    os.environ["AIRFLOW_CONN_EVIDENCE_SIGNING"] = json.dumps(
        {"conn_type": "generic", "password": base64.b64encode(secrets.token_bytes(32)).decode()}
    )
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    from include.lake import crypto as lake_crypto
    from include.lake import signing

    lake_crypto.default_wrapper.cache_clear()
    lake_crypto._pseudonym_secret.cache_clear()
    signing.default_signer.cache_clear()
    return key


@pytest.fixture
def ledger_public_key():
    """The evidence signing key's public half, as verify takes it (fingerprint -> key)."""
    from include.lake import signing

    return signing.keyring([signing.default_signer().private.public_key()])


@pytest.fixture
def ledger_public_key_text() -> str:
    """The evidence signing key's public half as an auditor passes it to --public-key."""
    from include.lake import signing

    return signing.public_key_text(signing.default_signer().private.public_key())


@pytest.fixture(scope="session")
def mariadb_server_url() -> str:
    """The MariaDB server; missing is a failure (CI starts it through scripts/ensure-services.sh), never a skip."""
    if not _reachable(MARIADB_HOST, MARIADB_PORT):
        pytest.fail(f"MariaDB is not reachable on {MARIADB_HOST}:{MARIADB_PORT}; run scripts/ensure-services.sh", pytrace=False)
    return f"mysql+pymysql://{MARIADB_USER}@{MARIADB_HOST}:{MARIADB_PORT}"


def create_magento_database(server_url: str, label: str) -> str:
    """A fresh database loaded with the real Magento 2.4.8 schema; returns its URL."""
    from include.magento.schema import mariadb_ddl_statements

    name = f"mbp_{label}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url + "/")
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    admin.dispose()
    url = f"{server_url}/{name}?charset=utf8mb4"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for statement in mariadb_ddl_statements():
            connection.exec_driver_sql(statement)
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    """Remove a test database."""
    name = sa.make_url(url).database
    admin = sa.create_engine(url.split("/" + name, maxsplit=1)[0] + "/")
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


@pytest.fixture(scope="session")
def magento_schema_db(mariadb_server_url: str) -> Iterator[str]:
    """An empty MariaDB database with the real schema (for the fidelity test)."""
    url = create_magento_database(mariadb_server_url, "schema")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def seeded_store(mariadb_server_url: str) -> Iterator[dict]:
    """MariaDB with the real schema, seeded with planted violations; yields url and manifest."""
    from include.demo.store import SeedConfig, seed_store

    url = create_magento_database(mariadb_server_url, "seeded")
    manifest = seed_store(url, SeedConfig(customers=SEED_CUSTOMERS, violations=SEED_VIOLATIONS, seed=7)).to_dict()
    yield {"url": url, "manifest": manifest}
    drop_database(url)


@pytest.fixture(scope="session")
def clean_store(mariadb_server_url: str) -> Iterator[dict]:
    """MariaDB with the real schema, seeded without violations."""
    from include.demo.store import SeedConfig, seed_store

    url = create_magento_database(mariadb_server_url, "clean")
    manifest = seed_store(url, SeedConfig(customers=600, violations=0.0, seed=11)).to_dict()
    yield {"url": url, "manifest": manifest}
    drop_database(url)


@pytest.fixture
def file_lake(tmp_path: Path):
    """An empty file lake."""
    from include.lake.store import open_lake

    return open_lake((tmp_path / "lake").as_uri())


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server speaking the S3/KMS/SES/SQS APIs over real HTTP on a free loopback port."""
    from moto.server import ThreadedMotoServer

    from include.demo.local_airflow import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    yield f"http://127.0.0.1:{port}"
    server.stop()
