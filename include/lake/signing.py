"""Ed25519 signatures on ledger entries: the private key lives in an Airflow connection, never in the lake.

Someone who can write the lake but does not hold the key cannot append or rewrite an entry that verifies
against the public key an auditor was given (`breachctl evidence verify --public-key ...`). The connection
(`evidence_signing` by default) holds the 32-byte private key, base64, in its password (or a PKCS#8 PEM).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from include.config import get_connection, load_config

ALGORITHM = "Ed25519"


class SigningKeyError(RuntimeError):
    """The signing key is missing or malformed; the message names the connection or the argument."""


def public_bytes(public: Ed25519PublicKey) -> bytes:
    """The raw 32-byte public key."""
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(public: Ed25519PublicKey) -> str:
    """The public key as an auditor passes it to --public-key (base64 of the raw 32 bytes)."""
    return base64.b64encode(public_bytes(public)).decode()


def fingerprint(public: Ed25519PublicKey) -> str:
    """A short id for a public key, recorded in each entry it signed."""
    return hashlib.sha256(public_bytes(public)).hexdigest()[:16]


def private_key_text(private: Ed25519PrivateKey) -> str:
    """A private key as the connection's password holds it (base64 of the raw 32 bytes)."""
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Signer:
    """Signs ledger entries with one Ed25519 private key."""

    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        """Fingerprint of the public half."""
        return fingerprint(self.private.public_key())

    def sign(self, data: bytes) -> dict[str, str]:
        """The signature block stored with an entry."""
        return {"alg": ALGORITHM, "key_id": self.key_id, "value": base64.b64encode(self.private.sign(data)).decode()}


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """A private key from base64 raw bytes or PKCS#8 PEM; ValueError when it is neither."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 private key is 32 bytes, got {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A public key from base64 raw bytes, a PEM text, or a file holding either; ValueError otherwise."""
    text = text.strip()
    if not text.startswith("-----BEGIN") and len(text) < 1024 and Path(text).is_file():
        text = Path(text).read_text().strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64, PEM or a readable file") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def signer_from_connection(conn_id: str | None = None) -> Signer:
    """The signer held by the `evidence_signing` connection (password: the private key)."""
    conn_id = conn_id or load_config().signing_conn_id
    try:
        info = get_connection(conn_id)
    except Exception as error:
        raise SigningKeyError(
            f"no '{conn_id}' connection: the evidence ledger is signed with an Ed25519 key; set "
            f"AIRFLOW_CONN_{conn_id.upper()} with the base64 private key in 'password' (see README, Configuration)"
        ) from error
    if not info.password:
        raise SigningKeyError(f"connection '{conn_id}' has no private key in 'password'")
    try:
        return Signer(parse_private_key(info.password))
    except ValueError as error:
        raise SigningKeyError(f"connection '{conn_id}': {error}") from None


@cache
def default_signer() -> Signer:
    """The configured signer, resolved once per process."""
    return signer_from_connection()


def trusted_keys(conn_id: str | None = None) -> dict[str, Ed25519PublicKey]:
    """The keys whose entries the pipeline acts on: its own signer's and those retired keys the connection lists.

    After a signing-key rotation, the connection's extra `retired_public_keys` (base64 or PEM) keeps the decisions
    signed with the old key valid; an entry signed by any other key is not one the pipeline wrote.
    """
    conn_id = conn_id or load_config().signing_conn_id
    retired = get_connection(conn_id).extra.get("retired_public_keys") or []
    if not isinstance(retired, list):
        raise SigningKeyError(f"connection '{conn_id}': extra 'retired_public_keys' must be a list of public keys")
    try:
        keys = [parse_public_key(str(text)) for text in retired]
    except ValueError as error:
        raise SigningKeyError(f"connection '{conn_id}': a retired public key: {error}") from None
    return keyring([signer_from_connection(conn_id).private.public_key(), *keys])


def keyring(public_keys: list[Ed25519PublicKey]) -> dict[str, Ed25519PublicKey]:
    """Fingerprint -> public key, for checking entries."""
    return {fingerprint(key): key for key in public_keys}


def signature_problem(public_keys: Mapping[str, Ed25519PublicKey], data: bytes, signature: Any) -> str | None:
    """None when signature is a valid signature of data by one of the keys, else what is wrong."""
    if not isinstance(signature, dict) or not signature.get("value"):
        return "entry is not signed"
    if signature.get("alg") != ALGORITHM:
        return f"entry is signed with {str(signature.get('alg'))[:20]!r}, not {ALGORITHM}"
    key = public_keys.get(str(signature.get("key_id")))
    if key is None:
        return f"entry is signed by key {str(signature.get('key_id'))[:20]!r}, not by the public key given"
    try:
        key.verify(base64.b64decode(str(signature["value"]), validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return "signature does not match the entry (forged or altered)"
    return None
