"""HPKE (RFC 9180) sealing of files handed to a recipient outside the lake (the mail house's outbox, processors' shares)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)


def seal_for_recipient(payload: bytes, public_key: bytes, info: bytes) -> bytes:
    """HPKE (RFC 9180: X25519, HKDF-SHA256, ChaCha20-Poly1305) to the mail house's X25519 public key."""
    return SUITE.encrypt(payload, X25519PublicKey.from_public_bytes(public_key), info=info)


def open_for_recipient(sealed: bytes, private_key: bytes, info: bytes) -> bytes:
    """What the mail house does with an outbox file."""
    return SUITE.decrypt(sealed, X25519PrivateKey.from_private_bytes(private_key), info=info)
