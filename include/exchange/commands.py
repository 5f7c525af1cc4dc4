"""breachctl exchange verify | public-key: the processor's check of a downloaded share, the merchant's key to pin."""

from __future__ import annotations

import argparse
import base64
import binascii
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from include.config import UsageError
from include.exchange.bundle import ShareError, open_bundle
from include.exchange.registry import RegistryError, signing_key


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise UsageError(f"{what}: cannot read {path}") from None


def load_private_key(data: bytes) -> bytes:
    """A raw X25519 private key from a PEM file (`openssl genpkey -algorithm X25519`) or base64 of the 32 bytes."""
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise UsageError("--key: not a PEM private key") from None
        if not isinstance(key, X25519PrivateKey):
            raise UsageError("--key: not an X25519 private key")
        return key.private_bytes_raw()
    return _raw(data, "--key")


def load_public_key(data: bytes) -> bytes:
    """A raw Ed25519 public key from a PEM file or base64 of the 32 bytes."""
    if b"-----BEGIN" in data:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, TypeError):
            raise UsageError("--merchant-key: not a PEM public key") from None
        if not isinstance(key, Ed25519PublicKey):
            raise UsageError("--merchant-key: not an Ed25519 public key")
        return key.public_bytes_raw()
    return _raw(data, "--merchant-key")


def _raw(data: bytes, option: str) -> bytes:
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(f"{option}: neither PEM nor base64") from None
    if len(raw) != 32:
        raise UsageError(f"{option}: a raw key is 32 bytes")
    return raw


def verify(args: argparse.Namespace) -> int:
    """Check a share bundle's signature and hashes, decrypt it, and write the rows when --out is given."""
    private_key = load_private_key(_read(args.key, "--key"))
    merchant = args.merchant_key
    public = load_public_key(_read(merchant, "--merchant-key") if Path(merchant).is_file() else merchant.encode())
    try:
        manifest, rows = open_bundle(_read(args.file, "FILE"), private_key, public)
    except ShareError as error:
        print(f"FAILED: {error}")
        return 1
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))
    print(
        f"OK: incident {manifest.incident_id} v{manifest.version}, share for {manifest.processor}: {manifest.rows} "
        f"{manifest.kind} rows ({', '.join(manifest.columns)}), signed by {manifest.signing_key_id}"
        + (f"; rows written to {args.out}" if args.out else "")
    )
    return 0


def public_key(args: argparse.Namespace) -> int:
    """Print the merchant's share-signing public key (base64) for processors to pin."""
    try:
        key = signing_key()
    except RegistryError as error:
        raise UsageError(str(error)) from None
    print(f"{key.key_id} {base64.b64encode(key.public_key).decode()}")
    return 0
