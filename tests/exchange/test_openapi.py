"""The committed OpenAPI schema is the one the app generates and serves (regenerate it with
`.venv/bin/python plugins/breach_exchange.py > plugins/breach_exchange_openapi.json`)."""

from __future__ import annotations

import json

from tests.exchange.conftest import PLUGINS

COMMITTED = PLUGINS / "breach_exchange_openapi.json"


def test_the_committed_schema_is_what_the_app_generates():
    import breach_exchange

    assert COMMITTED.read_text() == breach_exchange.schema_text(), (
        "plugins/breach_exchange_openapi.json is stale: regenerate it with "
        "`.venv/bin/python plugins/breach_exchange.py > plugins/breach_exchange_openapi.json`"
    )


def test_the_served_schema_is_the_committed_one(client):
    assert client.get("/v1/openapi.json").json() == json.loads(COMMITTED.read_text())


def test_every_operation_is_versioned_signed_and_documents_its_refusals():
    schema = json.loads(COMMITTED.read_text())
    assert schema["servers"] == [{"url": "/breach", "description": "mounted on the Airflow api-server"}]
    for path, operations in schema["paths"].items():
        assert path.startswith("/v1/")
        for operation in operations.values():
            assert operation["security"] == [{"sender": [], "signature": [], "timestamp": []}]
            assert {"401", "409", "422"} <= set(operation["responses"])
            assert all(
                response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
                for code, response in operation["responses"].items()
                if code.startswith("4")
            )
