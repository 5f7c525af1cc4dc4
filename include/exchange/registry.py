"""Who may call the exchange API: SIEM senders and processors, registered as Airflow connections, and the merchant's key.

- SIEM sender `<name>`: connection `exchange_sender_<name>`, password = the HMAC secret, extra `formats` (optional list
  of `ocsf`, `splunk`, `elastic` it may send).
- Processor `<name>`: connection `exchange_processor_<name>`, extra `encryption_public_key` (base64 X25519),
  `signing_public_key` (base64 Ed25519), `payment_methods` (Magento payment method codes) and/or `tables` (PII-map
  tables it holds a copy of), optional `display_name`.
- The merchant's share-signing key: connection `exchange_signing` (setting EXCHANGE_SIGNING_CONN_ID), password = base64
  Ed25519 private key (32 bytes), extra `key_id`.

Lookups are cached for a minute per process, unknown names included, so a caller cannot make every request cost a
secrets-backend query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from include.config import ConnectionInfo, get_connection, load_config
from include.pii.map import load_pii_map

SENDER_PREFIX = "exchange_sender_"
PROCESSOR_PREFIX = "exchange_processor_"
ALERT_FORMATS = ("ocsf", "splunk", "elastic")
CACHE_SECONDS = 60.0
CACHE_ENTRIES = 1024
T = TypeVar("T")


class RegistryError(ValueError):
    """A registration connection is malformed; the message names the connection and field, never a secret."""


@dataclass(frozen=True)
class SiemSender:
    """A SIEM allowed to post alerts."""

    name: str
    secret: bytes = field(repr=False)
    formats: tuple[str, ...] = ALERT_FORMATS


@dataclass(frozen=True)
class Processor:
    """A payment processor, mail house or other processor of the merchant's customers' data."""

    name: str
    display_name: str
    encryption_public_key: bytes
    signing_public_key: bytes
    payment_methods: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()

    @property
    def recipient_fingerprint(self) -> str:
        """SHA-256 of the processor's encryption key (names which key a share was sealed to)."""
        return hashlib.sha256(self.encryption_public_key).hexdigest()


@dataclass(frozen=True)
class SigningKey:
    """The merchant's Ed25519 key that signs share manifests."""

    key_id: str
    private_key: bytes = field(repr=False)

    @property
    def public_key(self) -> bytes:
        """The raw public key processors pin."""
        return Ed25519PrivateKey.from_private_bytes(self.private_key).public_key().public_bytes_raw()


class _TtlCache:
    """A small per-process cache of lookups (values and misses) for CACHE_SECONDS."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit and now - hit[0] < CACHE_SECONDS:
                return hit[1]
        value = load()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > CACHE_ENTRIES:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_CACHE = _TtlCache()


def clear_cache() -> None:
    """Forget cached registrations (tests, key rotation)."""
    _CACHE.clear()


def _lookup(conn_id: str, env: Mapping[str, str] | None) -> ConnectionInfo | None:
    try:
        return get_connection(conn_id, env)
    except Exception:
        return None


def _key(conn_id: str, extra: dict[str, Any], name: str, size: int = 32) -> bytes:
    try:
        raw = base64.b64decode(str(extra.get(name) or ""), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != size:
        raise RegistryError(f"connection {conn_id}: extra.{name} must be a base64 {size}-byte key")
    return raw


def _strings(conn_id: str, extra: dict[str, Any], name: str) -> tuple[str, ...]:
    value = extra.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        raise RegistryError(f"connection {conn_id}: extra.{name} must be a list of names")
    return tuple(value)


def sender_from(name: str, info: ConnectionInfo) -> SiemSender:
    """A SIEM sender from its connection."""
    conn_id = SENDER_PREFIX + name
    if not info.password or len(info.password) < 16:
        raise RegistryError(f"connection {conn_id}: password must be an HMAC secret of at least 16 characters")
    formats = _strings(conn_id, info.extra, "formats") or ALERT_FORMATS
    if unknown := sorted(set(formats) - set(ALERT_FORMATS)):
        raise RegistryError(f"connection {conn_id}: extra.formats has unknown format {unknown[0]!r}")
    return SiemSender(name, info.password.encode(), formats)


def processor_from(name: str, info: ConnectionInfo) -> Processor:
    """A processor from its connection."""
    conn_id = PROCESSOR_PREFIX + name
    extra = info.extra
    tables = _strings(conn_id, extra, "tables")
    if unknown := sorted(set(tables) - set(load_pii_map().tables)):
        raise RegistryError(f"connection {conn_id}: extra.tables has a table outside the PII map: {unknown[0]!r}")
    return Processor(
        name=name,
        display_name=str(extra.get("display_name") or name)[:128],
        encryption_public_key=_key(conn_id, extra, "encryption_public_key"),
        signing_public_key=_key(conn_id, extra, "signing_public_key"),
        payment_methods=_strings(conn_id, extra, "payment_methods"),
        tables=tables,
    )


def find_sender(name: str, env: Mapping[str, str] | None = None) -> SiemSender | None:
    """The registered SIEM sender of that name, or None."""

    def load() -> SiemSender | None:
        info = _lookup(SENDER_PREFIX + name, env)
        return sender_from(name, info) if info else None

    return _CACHE.get(f"sender:{name}", load) if env is None else load()


def find_processor(name: str, env: Mapping[str, str] | None = None) -> Processor | None:
    """The registered processor of that name, or None."""

    def load() -> Processor | None:
        info = _lookup(PROCESSOR_PREFIX + name, env)
        return processor_from(name, info) if info else None

    return _CACHE.get(f"processor:{name}", load) if env is None else load()


def signing_key(env: Mapping[str, str] | None = None) -> SigningKey:
    """The merchant's share-signing key from its connection."""
    conn_id = load_config().exchange_signing_conn_id if env is None else env.get("EXCHANGE_SIGNING_CONN_ID", "exchange_signing")
    info = _lookup(conn_id, env)
    if info is None or not info.password:
        raise RegistryError(f"connection {conn_id}: missing; it holds the merchant's Ed25519 share-signing key")
    raw = _key(conn_id, {"password": info.password}, "password")
    return SigningKey(key_id=str(info.extra.get("key_id") or "share-signing"), private_key=raw)
