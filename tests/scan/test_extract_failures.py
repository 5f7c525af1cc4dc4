"""A source connection killed mid-extract and an S3 endpoint that goes away: a clear error, nothing committed, and a
retry that ends exactly where an uninterrupted run would, with no stray object left behind."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pyarrow as pa
import pytest
import sqlalchemy as sa
from botocore.config import Config

from include.demo.local_airflow import free_port
from include.lake.crypto import default_wrapper
from include.lake.store import Lake, LakeError, S3Lake, open_lake
from include.lake.tables import read_encrypted_table
from include.magento.source import SourceError, create_source_engine
from include.pii.map import load_pii_map
from include.scan.extract import HASH_COLUMN, TableExtractor
from tests.conftest import create_magento_database, drop_database

pytestmark = [pytest.mark.mariadb, pytest.mark.s3]

TABLE = "customer_entity"
INDEX = f"state/snapshots/{TABLE}/index.json"
WATERMARK = f"state/watermarks/{TABLE}.json"


@pytest.fixture(scope="module")
def store_url(mariadb_server_url: str) -> Iterator[str]:
    from include.demo.store import SeedConfig, seed_store

    url = create_magento_database(mariadb_server_url, "faults")
    seed_store(url, SeedConfig(customers=300, violations=0.0, seed=5))
    yield url
    drop_database(url)


def extract(engine: sa.Engine, lake: Lake, run_id: str):
    spec = load_pii_map().tables[TABLE]
    return TableExtractor(engine, lake, default_wrapper(), spec, run_id, chunk_rows=50, bucket_rows=100).run()


def on_page(engine: sa.Engine, number: int, action) -> dict[str, int]:
    """Run action(connection) when the engine starts its number-th keyset page query."""
    pages = {"seen": 0}

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(connection, cursor, statement, parameters, context, executemany):
        if "ORDER BY" in statement and "LIMIT" in statement:
            pages["seen"] += 1
            if pages["seen"] == number:
                action(connection)

    return pages


def snapshot_rows(lake: Lake) -> list[tuple[int, str]]:
    """(primary key, row hash) of every row in the table's snapshot."""
    index = json.loads(lake.get(INDEX))
    tables = [read_encrypted_table(lake, entry["key"], default_wrapper()) for entry in index["buckets"].values()]
    merged = pa.concat_tables(tables).sort_by("entity_id")
    return list(zip(merged["entity_id"].to_pylist(), merged[HASH_COLUMN].to_pylist(), strict=True))


def stray_state_objects(lake: Lake) -> set[str]:
    """Objects under state/ that neither the index nor the watermark accounts for."""
    referenced = {entry["key"] for entry in json.loads(lake.get(INDEX))["buckets"].values()}
    return {key for key, _ in lake.list("state/")} - referenced - {INDEX, WATERMARK}


def test_a_connection_killed_mid_extract_commits_nothing_and_the_retry_converges(store_url, tmp_path):
    lake = open_lake((tmp_path / "lake").as_uri())
    source = create_source_engine(store_url)
    extract(source, lake, "run-1")
    with sa.create_engine(store_url).begin() as connection:
        connection.exec_driver_sql(
            "UPDATE customer_entity SET lastname = CONCAT(lastname, '-moved'), updated_at = NOW() + INTERVAL 2 SECOND "
            "WHERE entity_id <= 200"
        )
    committed = {key: lake.get(key) for key in (INDEX, WATERMARK)}
    old_buckets = {key for key, _ in lake.list(f"state/snapshots/{TABLE}/") if key != INDEX}

    killer = sa.create_engine(store_url)

    def kill(connection) -> None:
        with killer.begin() as admin:
            admin.exec_driver_sql(f"KILL {connection.connection.dbapi_connection.thread_id()}")

    flaky = create_source_engine(store_url)
    pages = on_page(flaky, 4, kill)
    with pytest.raises(SourceError) as failure:
        extract(flaky, lake, "run-2")
    assert pages["seen"] == 4, "the fourth page query must be the one that failed"
    assert str(failure.value) == "source query failed: OperationalError"
    assert {key: lake.get(key) for key in (INDEX, WATERMARK)} == committed
    assert old_buckets <= {key for key, _ in lake.list("state/")}
    assert not lake.exists(f"extracts/{TABLE}/run-2/_manifest.json")
    assert stray_state_objects(lake), "the failed attempt had already written a bucket the index does not list"
    with sa.create_engine(store_url).begin() as connection:
        connection.exec_driver_sql(
            "UPDATE customer_entity SET firstname = CONCAT(firstname, '-again'), updated_at = NOW() + INTERVAL 3 SECOND "
            "WHERE entity_id <= 50"
        )

    retried = extract(source, lake, "run-2")
    assert retried.rows_changed == 200
    assert stray_state_objects(lake) == set()
    reference = open_lake((tmp_path / "reference").as_uri())
    extract(source, reference, "fresh")
    assert snapshot_rows(lake) == snapshot_rows(reference)
    killer.dispose()


def test_an_s3_endpoint_lost_mid_extract_commits_nothing_and_the_retry_converges(store_url, tmp_path):
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=5),
    )
    bucket = f"faults-{uuid.uuid4().hex[:8]}"
    client.create_bucket(Bucket=bucket)
    lake = S3Lake(bucket, "lake", client)
    flaky = create_source_engine(store_url)
    on_page(flaky, 3, lambda connection: server.stop())
    try:
        with pytest.raises(LakeError) as failure:
            extract(flaky, lake, "run-1")
        assert str(failure.value).startswith(("S3 write of state/snapshots/customer_entity/", "S3 read of "))
        assert str(failure.value).endswith("failed: EndpointConnectionError")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        assert not lake.exists(INDEX) and not lake.exists(WATERMARK)
        extract(create_source_engine(store_url), lake, "run-1")
        assert stray_state_objects(lake) == set()
        reference = open_lake((tmp_path / "reference").as_uri())
        extract(create_source_engine(store_url), reference, "fresh")
        assert snapshot_rows(lake) == snapshot_rows(reference)
    finally:
        server.stop()
