"""The lake key rotates in the middle of an incident: old objects still read, nobody is batched or sent twice.

The incident runs through the public task functions only (resolve_scope, compute_obligations, build, deliver),
on the SQLite demo store, so the test holds whatever the delivery internals look like.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections import Counter
from typing import Any

import pytest

from include.config import Config
from include.incident import tasks as incident_tasks
from include.incident.commands import store_scope_file
from include.incident.trigger import validate_trigger
from include.lake import crypto
from include.lake.rotation import rotate
from include.lake.store import open_lake
from include.notices import tasks as notice_tasks

INCIDENT = "INC-ROTATE"


class RecordingAdapter:
    """Accepts every notice and remembers each idempotency key it was handed."""

    def __init__(self, channel: str):
        self.name, self.channel = f"recording-{channel}", channel
        self.handed_over_status = "handed_over" if channel == "postal" else "sent"
        self.sent: list[str] = []

    def send(self, record: dict[str, Any]) -> str:
        self.sent.append(record["key"])
        return f"id-{record['key'][:8]}"

    def poll_events(self) -> list:
        return []

    def acknowledge(self, events: list) -> None:
        """Nothing to acknowledge."""


def sendable(counts: dict) -> int:
    """Notices of a version that go out by email or post (the rest are covered by substitute notice)."""
    return counts["by_channel"].get("email", 0) + counts["by_channel"].get("postal", 0)


def b64() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def use_keys(monkeypatch, current: tuple[str, str], retired: dict[str, str], pseudonym: str) -> None:
    """Point the lake_encryption connection at a key ring, as an operator rotating the key does."""
    extra = {"key_id": current[0], "pseudonym_secret": pseudonym, "retired_secret_keys": retired}
    monkeypatch.setenv(
        "AIRFLOW_CONN_LAKE_ENCRYPTION", json.dumps({"conn_type": "generic", "password": current[1], "extra": extra})
    )
    crypto.default_wrapper.cache_clear()
    crypto._pseudonym_secret.cache_clear()


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    from include.demo.store import SeedConfig, seed_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    seed_store(url, SeedConfig(customers=300, violations=0.0, seed=5))
    monkeypatch.setenv("AIRFLOW_CONN_MAGENTO_DB", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "store.db")}))
    return url


def run_version(lake, store: str, ids: range, name: str, run_id: str) -> tuple[int, dict]:
    """Upload a customer-id list under the current key and run scope, obligations and batches for it."""
    scope_file = store_scope_file(lake, INCIDENT, name, "\n".join(map(str, ids)).encode())[0]["path"]
    trigger = validate_trigger(
        {
            "incident_id": INCIDENT,
            "discovered_at": "2026-11-20T09:00:00Z",
            "compromised_tables": ["customer_entity", "customer_address_entity"],
            "scope_kind": "lake_file",
            "scope_file": scope_file,
            "scope_file_kind": "customer_ids",
        }
    )
    scope = incident_tasks.resolve_scope(trigger, run_id, url=store, lake=lake)
    assert scope["new_version"]
    incident_tasks.compute_obligations(trigger, scope["version"], lake=lake)
    config = Config.from_env({"LAKE_URL": lake.url, "NOTICE_SEND_RATE": "0"})
    return scope["version"], notice_tasks.build(trigger, scope["version"], lake=lake, config=config)["counts"]


def test_rotating_the_key_mid_incident_sends_nobody_twice(store, tmp_path, monkeypatch):
    lake = open_lake((tmp_path / "lake").as_uri())
    old, new, pseudonym = ("prod-1", b64()), ("prod-2", b64()), b64()
    adapters = {"email": RecordingAdapter("email"), "postal": RecordingAdapter("postal")}
    config = Config.from_env({"LAKE_URL": lake.url, "NOTICE_SEND_RATE": "0"})
    try:
        use_keys(monkeypatch, old, {}, pseudonym)
        version, first = run_version(lake, store, range(1, 101), "first.txt.enc", "run-1")
        notice_tasks.deliver(INCIDENT, "round-1", lake=lake, adapters=adapters, config=config)
        sent_before = sum(len(a.sent) for a in adapters.values())
        assert version == 1 and first["new_notices"] > 0 and sent_before == sendable(first)

        use_keys(monkeypatch, new, {old[0]: old[1]}, pseudonym)
        version, second = run_version(lake, store, range(1, 201), "second.txt.enc", "run-2")
        assert version == 2 and second["excluded_already_batched"] == first["new_notices"] and second["new_notices"] > 0
        notice_tasks.deliver(INCIDENT, "round-2", lake=lake, adapters=adapters, config=config)

        assert rotate(lake, crypto.default_wrapper())["rewrapped"] > 0
        use_keys(monkeypatch, new, {}, pseudonym)
        notice_tasks.deliver(INCIDENT, "round-3", lake=lake, adapters=adapters, config=config)
        sent = [key for adapter in adapters.values() for key in adapter.sent]
        assert len(sent) == sendable(first) + sendable(second)
        assert [key for key, n in Counter(sent).items() if n > 1] == []
        assert incident_tasks.scope_keys(lake, validate_trigger(_trigger_of(lake, "first.txt.enc"))) == [
            str(i) for i in range(1, 101)
        ]
    finally:
        monkeypatch.undo()
        crypto.default_wrapper.cache_clear()
        crypto._pseudonym_secret.cache_clear()


def _trigger_of(lake, name: str) -> dict:
    return {
        "incident_id": INCIDENT,
        "discovered_at": "2026-11-20T09:00:00Z",
        "compromised_tables": ["customer_entity"],
        "scope_kind": "lake_file",
        "scope_file": f"incidents/_inputs/{INCIDENT}/{name}",
        "scope_file_kind": "customer_ids",
    }
