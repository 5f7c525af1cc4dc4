"""Client-side envelope encryption for lake objects that hold personal data (AES-256-GCM, key from a connection or KMS).

Each object gets a fresh data key. The data key is wrapped by the master key (a local 256-bit key from the
`lake_encryption` connection, or an AWS KMS key), and the header plus the object's lake key are the GCM
associated data, so a ciphertext cannot be moved to another key or have its header edited unnoticed.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import struct
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from include.config import get_connection, load_config

MAGIC = b"MBPE\x01"


class DecryptionError(RuntimeError):
    """An object could not be decrypted: wrong key, wrong lake key, or tampering."""


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys with a master key."""

    @property
    def key_id(self) -> str: ...

    def wrap(self, data_key: bytes) -> tuple[str, bytes]: ...
    def unwrap(self, scheme: str, wrapped: bytes) -> bytes: ...


@dataclass(frozen=True)
class LocalKey:
    """A 256-bit master key held in an Airflow connection (password, base64)."""

    key_id: str
    key: bytes

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """AES-GCM wrap under the master key."""
        nonce = os.urandom(12)
        return "local-aesgcm", nonce + AESGCM(self.key).encrypt(nonce, data_key, self.key_id.encode())

    def unwrap(self, scheme: str, wrapped: bytes) -> bytes:
        """Reverse of wrap."""
        if scheme != "local-aesgcm":
            raise DecryptionError(f"object was wrapped with {scheme}, this keyring holds a local key")
        try:
            return AESGCM(self.key).decrypt(wrapped[:12], wrapped[12:], self.key_id.encode())
        except InvalidTag as error:
            raise DecryptionError("data key does not unwrap with this master key") from error


@dataclass(frozen=True)
class KmsKey:
    """An AWS KMS key; data keys come from GenerateDataKey and are unwrapped by Decrypt."""

    key_id: str
    client: Any

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """Encrypt the data key with KMS."""
        return "aws-kms", self.client.encrypt(KeyId=self.key_id, Plaintext=data_key)["CiphertextBlob"]

    def unwrap(self, scheme: str, wrapped: bytes) -> bytes:
        """Decrypt the data key with KMS."""
        if scheme != "aws-kms":
            raise DecryptionError(f"object was wrapped with {scheme}, this keyring uses KMS")
        return self.client.decrypt(CiphertextBlob=wrapped, KeyId=self.key_id)["Plaintext"]


def encrypt(data: bytes, wrapper: KeyWrapper, aad: str) -> bytes:
    """Seal data for the lake object at key `aad`."""
    data_key = AESGCM.generate_key(256)
    scheme, wrapped = wrapper.wrap(data_key)
    nonce = os.urandom(12)
    header = json.dumps(
        {
            "alg": "AES-256-GCM",
            "kid": wrapper.key_id,
            "wrap": scheme,
            "wrapped": base64.b64encode(wrapped).decode(),
            "nonce": base64.b64encode(nonce).decode(),
        },
        sort_keys=True,
    ).encode()
    sealed = AESGCM(data_key).encrypt(nonce, data, header + b"\0" + aad.encode())
    return MAGIC + struct.pack(">I", len(header)) + header + sealed


def decrypt(blob: bytes, wrapper: KeyWrapper, aad: str) -> bytes:
    """Open an object sealed by encrypt for the same lake key."""
    if not blob.startswith(MAGIC):
        raise DecryptionError(f"{aad} is not an encrypted lake object")
    (length,) = struct.unpack(">I", blob[len(MAGIC) : len(MAGIC) + 4])
    header_bytes = blob[len(MAGIC) + 4 : len(MAGIC) + 4 + length]
    header = json.loads(header_bytes)
    data_key = wrapper.unwrap(header["wrap"], base64.b64decode(header["wrapped"]))
    try:
        return AESGCM(data_key).decrypt(
            base64.b64decode(header["nonce"]), blob[len(MAGIC) + 4 + length :], header_bytes + b"\0" + aad.encode()
        )
    except InvalidTag as error:
        raise DecryptionError(f"{aad} failed authentication (wrong object key or tampered)") from error


def is_encrypted(blob: bytes) -> bool:
    """True when bytes carry this module's envelope."""
    return blob.startswith(MAGIC)


def wrapper_from_connection(conn_id: str | None = None) -> KeyWrapper:
    """The master key named by the `lake_encryption` connection: password = base64 key, or extra.kms_key_id."""
    conn_id = conn_id or load_config().key_conn_id
    try:
        info = get_connection(conn_id)
    except Exception as error:
        raise RuntimeError(
            f"no '{conn_id}' connection: set AIRFLOW_CONN_{conn_id.upper()} with a base64 256-bit key in 'password' "
            "or a KMS key id in extra.kms_key_id (see README, Configuration)"
        ) from error
    if kms_key_id := info.extra.get("kms_key_id"):
        import boto3  # noqa: PLC0415 (boto3 only with a KMS master key)

        client = boto3.client("kms", region_name=info.extra.get("region_name"), endpoint_url=info.extra.get("endpoint_url"))
        return KmsKey(kms_key_id, client)
    if not info.password:
        raise RuntimeError(f"connection '{conn_id}' has neither a key in 'password' nor extra.kms_key_id")
    key = base64.b64decode(info.password)
    if len(key) != 32:
        raise RuntimeError(f"connection '{conn_id}' key must be 32 bytes (base64), got {len(key)}")
    return LocalKey(info.extra.get("key_id", "local-1"), key)


@cache
def default_wrapper() -> KeyWrapper:
    """The configured master key, resolved once per process."""
    return wrapper_from_connection()


@cache
def _pseudonym_secret() -> bytes:
    wrapper = default_wrapper()
    if isinstance(wrapper, LocalKey):
        return hmac.new(wrapper.key, b"pseudonym", "sha256").digest()
    info = get_connection(load_config().key_conn_id)
    if not info.password:
        raise RuntimeError("with a KMS master key, put a base64 pseudonym secret in the lake_encryption connection's password")
    return hmac.new(base64.b64decode(info.password), b"pseudonym", "sha256").digest()


def pseudonym(value: str, purpose: str = "person") -> str:
    """A keyed, non-reversible id for a person (HMAC-SHA256 under a secret derived from the lake key)."""
    derived = hmac.new(_pseudonym_secret(), purpose.encode(), "sha256").digest()
    return hmac.new(derived, value.encode(), "sha256").hexdigest()
