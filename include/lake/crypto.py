"""Client-side envelope encryption for lake objects that hold personal data (AES-256-GCM, key from a connection or KMS).

Each object gets a fresh data key. The data key is wrapped by a master key (a local 256-bit key from the
`lake_encryption` connection, or an AWS KMS key) named in the header (`kid`). The master keys form a key ring:
the current key wraps new objects, older keys (by `kid`) still unwrap old ones, and `breachctl lake rotate`
re-wraps old data keys under the current key without touching the encrypted body.

Format 2 (written now) authenticates the body with the nonce and the object's lake key as GCM associated data,
so a ciphertext cannot be moved to another key; the wrapped data key is authenticated by its own wrap. Format 1
(read only) also bound the whole header, so re-wrapping one means re-encrypting it.

Pseudonyms (idempotency keys) come from a dedicated secret (`extra.pseudonym_secret`), not from a data key, so
they stay the same when the key rotates.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from include.config import ConnectionInfo, get_connection, load_config

MAGIC_V1 = b"MBPE\x01"
MAGIC = b"MBPE\x02"
MAGICS = (MAGIC, MAGIC_V1)
MAX_HEADER = 4096


class DecryptionError(RuntimeError):
    """An object could not be decrypted: not encrypted, corrupt header, unknown key, wrong lake key, or tampering."""


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys with a master key."""

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes) -> tuple[str, bytes]: ...
    def unwrap(self, scheme: str, wrapped: bytes) -> bytes: ...


@dataclass(frozen=True)
class LocalKey:
    """A 256-bit master key held in an Airflow connection (base64)."""

    key_id: str
    key: bytes = field(repr=False)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """AES-GCM wrap under the master key."""
        nonce = os.urandom(12)
        return "local-aesgcm", nonce + AESGCM(self.key).encrypt(nonce, data_key, self.key_id.encode())

    def unwrap(self, scheme: str, wrapped: bytes) -> bytes:
        """Reverse of wrap."""
        if scheme != "local-aesgcm":
            raise DecryptionError(f"object was wrapped with {scheme[:20]}, key {self.key_id} is a local key")
        try:
            return AESGCM(self.key).decrypt(wrapped[:12], wrapped[12:], self.key_id.encode())
        except (InvalidTag, ValueError) as error:
            raise DecryptionError(f"data key does not unwrap with master key {self.key_id}") from error


@dataclass(frozen=True)
class KmsKey:
    """An AWS KMS key; data keys are wrapped by Encrypt and unwrapped by Decrypt."""

    key_id: str
    client: Any

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Encrypt the data key with KMS."""
        return "aws-kms", self.client.encrypt(KeyId=self.key_id, Plaintext=data_key)["CiphertextBlob"]

    def unwrap(self, scheme: str, wrapped: bytes) -> bytes:
        """Decrypt the data key with KMS."""
        if scheme != "aws-kms":
            raise DecryptionError(f"object was wrapped with {scheme[:20]}, key {self.key_id} is a KMS key")
        return self.client.decrypt(CiphertextBlob=wrapped, KeyId=self.key_id)["Plaintext"]


@dataclass(frozen=True)
class KeyRing:
    """The current master key (wraps new objects) and older ones by key id (unwrap old objects until re-wrapped)."""

    current: KeyWrapper
    older: Mapping[str, KeyWrapper] = field(default_factory=dict)

    @property
    def key_id(self) -> str:
        """The current key's id (what new objects record as `kid`)."""
        return self.current.key_id

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Wrap under the current key."""
        return self.current.wrap(data_key)

    def unwrap(self, scheme: str, wrapped: bytes) -> bytes:
        """Unwrap with the current key."""
        return self.current.unwrap(scheme, wrapped)

    def reader(self, kid: str) -> KeyWrapper:
        """The key an object names, or DecryptionError when the ring does not hold it."""
        if kid == self.current.key_id:
            return self.current
        if kid in self.older:
            return self.older[kid]
        raise DecryptionError(
            f"object was encrypted under key {kid[:64]!r}, which the key ring does not hold "
            "(keep it in extra.retired_secret_keys until `breachctl lake rotate` has re-wrapped everything)"
        )


def reader_for(wrapper: KeyWrapper, kid: str) -> KeyWrapper:
    """The wrapper that unwraps an object recorded under kid."""
    if isinstance(wrapper, KeyRing):
        return wrapper.reader(kid)
    if kid != wrapper.key_id:
        raise DecryptionError(f"object was encrypted under key {kid[:64]!r}, not {wrapper.key_id!r}")
    return wrapper


@dataclass(frozen=True)
class Envelope:
    """The parts of an encrypted object."""

    version: int
    header: dict[str, Any]
    header_bytes: bytes
    body: bytes

    @property
    def kid(self) -> str:
        """The master key the data key is wrapped under."""
        return str(self.header["kid"])


def _body_aad(envelope_version: int, header: dict[str, Any], header_bytes: bytes, aad: str) -> bytes:
    bound = header_bytes if envelope_version == 1 else _canonical({"alg": header["alg"], "nonce": header["nonce"], "v": 2})
    return bound + b"\0" + aad.encode()


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def parse_envelope(blob: bytes, aad: str) -> Envelope:
    """Split an encrypted object into its parts; DecryptionError when it is not one or its header is corrupt."""
    magic = next((m for m in MAGICS if blob.startswith(m)), None)
    if magic is None:
        raise DecryptionError(f"{aad} is not an encrypted lake object (plaintext where the layout expects ciphertext)")
    start = len(magic) + 4
    if len(blob) < start:
        raise DecryptionError(f"{aad} is truncated (no header)")
    (length,) = struct.unpack(">I", blob[len(magic) : start])
    header_bytes = blob[start : start + length]
    if length > MAX_HEADER or len(header_bytes) != length:
        raise DecryptionError(f"{aad} has a corrupt header (length {length})")
    try:
        header = json.loads(header_bytes)
        fields = ("alg", "kid", "wrap", "wrapped", "nonce")
        if not isinstance(header, dict) or not all(isinstance(header.get(k), str) for k in fields):
            raise ValueError("fields")
    except ValueError:
        raise DecryptionError(f"{aad} has a corrupt header (not the expected JSON fields)") from None
    return Envelope(1 if magic == MAGIC_V1 else 2, header, header_bytes, blob[start + length :])


def _b64(value: str, aad: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (ValueError, TypeError):  # binascii.Error, non-ASCII text, or not a string at all
        raise DecryptionError(f"{aad} has a corrupt header ({what} is not base64)") from None


def _seal(data_key: bytes, scheme: str, wrapped: bytes, kid: str, data: bytes, aad: str) -> bytes:
    nonce = os.urandom(12)
    header = {
        "alg": "AES-256-GCM",
        "kid": kid,
        "nonce": base64.b64encode(nonce).decode(),
        "v": 2,
        "wrap": scheme,
        "wrapped": base64.b64encode(wrapped).decode(),
    }
    header_bytes = _canonical(header)
    sealed = AESGCM(data_key).encrypt(nonce, data, _body_aad(2, header, header_bytes, aad))
    return MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + sealed


def encrypt(data: bytes, wrapper: KeyWrapper, aad: str) -> bytes:
    """Seal data for the lake object at key `aad`, under the wrapper's current key."""
    data_key = AESGCM.generate_key(256)
    scheme, wrapped = wrapper.wrap(data_key)
    return _seal(data_key, scheme, wrapped, wrapper.key_id, data, aad)


def _data_key(envelope: Envelope, wrapper: KeyWrapper, aad: str) -> bytes:
    reader = reader_for(wrapper, envelope.kid)
    return reader.unwrap(envelope.header["wrap"], _b64(envelope.header["wrapped"], aad, "wrapped key"))


def decrypt(blob: bytes, wrapper: KeyWrapper, aad: str) -> bytes:
    """Open an object sealed by encrypt for the same lake key, with whichever key of the ring it names."""
    envelope = parse_envelope(blob, aad)
    data_key = _data_key(envelope, wrapper, aad)
    try:
        return AESGCM(data_key).decrypt(
            _b64(envelope.header["nonce"], aad, "nonce"),
            envelope.body,
            _body_aad(envelope.version, envelope.header, envelope.header_bytes, aad),
        )
    except (InvalidTag, ValueError) as error:
        raise DecryptionError(f"{aad} failed authentication (wrong object key or tampered)") from error


def rewrap(blob: bytes, wrapper: KeyWrapper, aad: str) -> bytes | None:
    """The object with its data key wrapped under the current key (None when it already is); format 1 is re-encrypted."""
    envelope = parse_envelope(blob, aad)
    if envelope.kid == wrapper.key_id and envelope.version == 2:
        return None
    if envelope.version == 1:
        return encrypt(decrypt(blob, wrapper, aad), wrapper, aad)
    data_key = _data_key(envelope, wrapper, aad)
    scheme, wrapped = wrapper.wrap(data_key)
    header = {**envelope.header, "kid": wrapper.key_id, "wrap": scheme, "wrapped": base64.b64encode(wrapped).decode()}
    header_bytes = _canonical(header)
    return MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes + envelope.body


def is_encrypted(blob: bytes) -> bool:
    """True when bytes carry this module's envelope."""
    return blob.startswith(MAGICS)


def _local_key(conn_id: str, key_id: str, text: str) -> LocalKey:
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RuntimeError(f"connection '{conn_id}' key {key_id!r} is not base64") from None
    if len(key) != 32:
        raise RuntimeError(f"connection '{conn_id}' key {key_id!r} must be 32 bytes (base64), got {len(key)}")
    return LocalKey(key_id, key)


def _kms_client(info: ConnectionInfo) -> Any:
    import boto3  # noqa: PLC0415 (boto3 only with a KMS master key)

    return boto3.client("kms", region_name=info.extra.get("region_name"), endpoint_url=info.extra.get("endpoint_url"))


def keyring_from(info: ConnectionInfo, conn_id: str) -> KeyRing:
    """The key ring a connection describes: current key (password or extra.kms_key_id) and retired keys by id."""
    extra = info.extra
    client = _kms_client(info) if extra.get("kms_key_id") or extra.get("retired_kms_key_ids") else None
    current: KeyWrapper
    if kms_key_id := extra.get("kms_key_id"):
        current = KmsKey(str(kms_key_id), client)
    elif info.password:
        current = _local_key(conn_id, str(extra.get("key_id", "local-1")), info.password)
    else:
        raise RuntimeError(f"connection '{conn_id}' has neither a key in 'password' nor extra.kms_key_id")
    older: dict[str, KeyWrapper] = {}
    retired = extra.get("retired_secret_keys") or {}
    if not isinstance(retired, dict):
        raise RuntimeError(f"connection '{conn_id}': extra.retired_secret_keys must map key ids to base64 keys")
    for key_id, text in retired.items():
        older[str(key_id)] = _local_key(conn_id, str(key_id), str(text))
    for key_id in extra.get("retired_kms_key_ids") or []:
        older[str(key_id)] = KmsKey(str(key_id), client)
    older.pop(current.key_id, None)
    return KeyRing(current, older)


def _connection(conn_id: str) -> ConnectionInfo:
    try:
        return get_connection(conn_id)
    except Exception as error:
        raise RuntimeError(
            f"no '{conn_id}' connection: set AIRFLOW_CONN_{conn_id.upper()} with a base64 256-bit key in 'password' "
            "or a KMS key id in extra.kms_key_id (see README, Configuration)"
        ) from error


def wrapper_from_connection(conn_id: str | None = None) -> KeyRing:
    """The key ring of the `lake_encryption` connection."""
    conn_id = conn_id or load_config().key_conn_id
    return keyring_from(_connection(conn_id), conn_id)


@cache
def default_wrapper() -> KeyRing:
    """The configured key ring, resolved once per process."""
    return wrapper_from_connection()


def pseudonym_secret_from(info: ConnectionInfo, ring: KeyRing, conn_id: str) -> bytes:
    """The secret pseudonyms are keyed with: extra.pseudonym_secret, else (older setups) derived from one named local key."""
    if text := info.extra.get("pseudonym_secret"):
        secret = _local_key(conn_id, "pseudonym_secret", str(text)).key
        return hmac.new(secret, b"pseudonym", "sha256").digest()
    if legacy_id := info.extra.get("pseudonym_key_id"):
        key = ring.reader(str(legacy_id))
        if not isinstance(key, LocalKey):
            raise RuntimeError(f"connection '{conn_id}': extra.pseudonym_key_id must name a local key")
        return hmac.new(key.key, b"pseudonym", "sha256").digest()
    if ring.older:
        raise RuntimeError(
            f"connection '{conn_id}' holds retired keys but no extra.pseudonym_secret: idempotency keys would change "
            "with the data key and people would be notified twice; set pseudonym_key_id to the key they were made with"
        )
    if isinstance(ring.current, LocalKey):
        return hmac.new(ring.current.key, b"pseudonym", "sha256").digest()
    if not info.password:
        raise RuntimeError(f"connection '{conn_id}': with a KMS master key, set extra.pseudonym_secret (base64 32 bytes)")
    return hmac.new(base64.b64decode(info.password), b"pseudonym", "sha256").digest()


@cache
def _pseudonym_secret() -> bytes:
    conn_id = load_config().key_conn_id
    return pseudonym_secret_from(_connection(conn_id), default_wrapper(), conn_id)


def pseudonym(value: str, purpose: str = "person") -> str:
    """A keyed, non-reversible id for a person (HMAC-SHA256 under the dedicated pseudonym secret)."""
    derived = hmac.new(_pseudonym_secret(), purpose.encode(), "sha256").digest()
    return hmac.new(derived, value.encode(), "sha256").hexdigest()
