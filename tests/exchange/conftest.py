"""Registered senders and processors with fresh keys, a lake, and a client that signs as they do."""

from __future__ import annotations

import base64
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from include.config import PROJECT_ROOT
from include.exchange import signing

PLUGINS = PROJECT_ROOT / "plugins"
if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

SIEM_SECRET = "siem-test-secret-0123456789abcdef"
CARD_METHOD = "payment_services_paypal_hosted_fields"
PAYPAL_METHOD = "paypal_express"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass
class ProcessorKeys:
    """A processor's two key pairs (what it keeps) and its registration (what the merchant stores)."""

    name: str
    methods: list[str]
    tables: list[str] = field(default_factory=list)
    encryption: X25519PrivateKey = field(default_factory=X25519PrivateKey.generate)
    signing: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def private_key(self) -> bytes:
        return self.encryption.private_bytes_raw()

    def connection(self) -> str:
        extra = {
            "display_name": self.name.title(),
            "encryption_public_key": b64(self.encryption.public_key().public_bytes_raw()),
            "signing_public_key": b64(self.signing.public_key().public_bytes_raw()),
            "payment_methods": self.methods,
            "tables": self.tables,
        }
        return json.dumps({"conn_type": "generic", "extra": extra})

    def headers(self, method: str, path: str, body: bytes = b"", *, stamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if stamp is None else stamp)
        message = signing.processor_message(ts, method, path, body)
        return {
            "X-Breach-Sender": self.name,
            "X-Breach-Timestamp": ts,
            "X-Breach-Signature": b64(self.signing.sign(message)),
        }


def siem_headers(body: bytes, *, sender: str = "soc", secret: str = SIEM_SECRET, stamp: int | None = None) -> dict[str, str]:
    """What a SIEM relay sends: sender, timestamp and HMAC-SHA256 over '<timestamp>.<body>'."""
    ts = str(int(time.time()) if stamp is None else stamp)
    return {
        "X-Breach-Sender": sender,
        "X-Breach-Timestamp": ts,
        "X-Breach-Signature": signing.hmac_hex(secret.encode(), signing.alert_message(ts, body)),
        "Content-Type": "application/json",
    }


@dataclass
class Registry:
    """Everything the exchange tests register, and the environment that registers it."""

    lake_url: str
    merchant: Ed25519PrivateKey
    processors: dict[str, ProcessorKeys]
    env: dict[str, str]

    @property
    def merchant_public(self) -> bytes:
        return self.merchant.public_key().public_bytes_raw()


def registry_env(lake_url: str, processors: dict[str, ProcessorKeys], merchant: Ed25519PrivateKey) -> dict[str, str]:
    """The environment (connections in AIRFLOW_CONN_ form) of the exchange tests' registrations."""
    env = {
        "LAKE_URL": lake_url,
        "AIRFLOW_CONN_EXCHANGE_SENDER_SOC": json.dumps({"conn_type": "generic", "password": SIEM_SECRET}),
        "AIRFLOW_CONN_EXCHANGE_SENDER_SPLUNKONLY": json.dumps(
            {"conn_type": "generic", "password": SIEM_SECRET, "extra": {"formats": ["splunk"]}}
        ),
        "AIRFLOW_CONN_EXCHANGE_SIGNING": json.dumps(
            {"conn_type": "generic", "password": b64(merchant.private_bytes_raw()), "extra": {"key_id": "merchant-test-1"}}
        ),
    }
    for name, keys in processors.items():
        env[f"AIRFLOW_CONN_EXCHANGE_PROCESSOR_{name.upper()}"] = keys.connection()
    return env


def make_processors() -> dict[str, ProcessorKeys]:
    return {
        "cardgw": ProcessorKeys("cardgw", [CARD_METHOD]),
        "paypal": ProcessorKeys("paypal", [PAYPAL_METHOD]),
        "mailhouse": ProcessorKeys("mailhouse", [], ["newsletter_subscriber", "sales_order_address"]),
    }


def reset_caches() -> None:
    """Forget cached configuration, registrations and the plugin's lake."""
    from include.config import load_config
    from include.exchange.registry import clear_cache

    load_config.cache_clear()
    clear_cache()
    if "breach_exchange" in sys.modules:
        sys.modules["breach_exchange"].lake.cache_clear()


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """Senders, processors and the merchant key registered in the environment, and an empty file lake."""
    processors = make_processors()
    merchant = Ed25519PrivateKey.generate()
    lake_url = (tmp_path / "lake").as_uri()
    env = registry_env(lake_url, processors, merchant)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_caches()
    yield Registry(lake_url, merchant, processors, env)
    reset_caches()


@pytest.fixture
def client(registry: Registry):
    """The FastAPI app in process (the api-server tests run the same app mounted by Airflow)."""
    import breach_exchange
    from fastapi.testclient import TestClient

    with TestClient(breach_exchange.app, base_url="http://testserver/breach", root_path="/breach") as test_client:
        yield test_client
