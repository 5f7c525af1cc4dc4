"""A processor's share as it travels: the signed manifest and the HPKE-sealed rows, and the processor's check of it.

Light on purpose (pydantic and cryptography only): `breachctl exchange verify` and the API plugin import it without
pandas or a database driver.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from include.exchange.registry import Processor, SigningKey
from include.exchange.signing import sign_ed25519, verify_ed25519
from include.lake.ledger import canonical, now_iso
from include.notices.delivery.hpke import open_for_recipient, seal_for_recipient

SHARE_FORMAT: Literal["breach-share/1"] = "breach-share/1"
HPKE_SUITE: Literal["X25519-HKDF-SHA256-ChaCha20Poly1305"] = "X25519-HKDF-SHA256-ChaCha20Poly1305"
PAYMENT_COLUMNS = ["order_increment_id", "payment_method", "cc_last_4", "order_date"]
TABLE_COLUMNS = ["table", "primary_key"]


class ShareError(ValueError):
    """A share cannot be given (or a bundle does not verify); one line naming the field."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


class ShareManifest(BaseModel):
    """What the merchant signs: which incident, version and processor, how many rows, and the hashes."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["breach-share/1"]
    incident_id: str
    version: int
    processor: str
    kind: Literal["payments", "tables"]
    columns: list[str]
    rows: int
    created_at: str
    plaintext_sha256: str = Field(description="sha256 of the gzip'd JSON lines before sealing")
    ciphertext_sha256: str
    hpke_suite: Literal["X25519-HKDF-SHA256-ChaCha20Poly1305"]
    recipient_key_sha256: str = Field(description="sha256 of the processor's X25519 public key it was sealed to")
    signing_key_id: str


class ShareBundle(BaseModel):
    """What a processor downloads: the signed manifest and the sealed rows (base64)."""

    model_config = ConfigDict(extra="forbid")
    manifest: ShareManifest
    signature: str = Field(description="base64 Ed25519 signature over the manifest's canonical JSON (sorted keys, no spaces)")
    ciphertext: str = Field(description="base64 HPKE ciphertext (enc || sealed gzip JSON lines)")


def hpke_info(incident_id: str, version: int, processor: str) -> bytes:
    """HPKE info binding a ciphertext to its incident, version and processor."""
    return f"{SHARE_FORMAT}\0{incident_id}\0v{version}\0{processor}".encode()


def seal_share(
    rows: list[dict[str, Any]], *, incident_id: str, version: int, processor: Processor, key: SigningKey, kind: str
) -> ShareBundle:
    """Gzip'd JSON lines, sealed to the processor, with the merchant's signed manifest."""
    lines = b"".join(json.dumps(r, sort_keys=True, separators=(",", ":")).encode() + b"\n" for r in rows)
    plaintext = gzip.compress(lines, mtime=0)
    sealed = seal_for_recipient(plaintext, processor.encryption_public_key, hpke_info(incident_id, version, processor.name))
    manifest = ShareManifest(
        format=SHARE_FORMAT,
        incident_id=incident_id,
        version=version,
        processor=processor.name,
        kind="payments" if kind == "payments" else "tables",
        columns=PAYMENT_COLUMNS if kind == "payments" else TABLE_COLUMNS,
        rows=len(rows),
        created_at=now_iso(),
        plaintext_sha256=hashlib.sha256(plaintext).hexdigest(),
        ciphertext_sha256=hashlib.sha256(sealed).hexdigest(),
        hpke_suite=HPKE_SUITE,
        recipient_key_sha256=processor.recipient_fingerprint,
        signing_key_id=key.key_id,
    )
    signature = sign_ed25519(key.private_key, canonical(manifest.model_dump(mode="json")))
    return ShareBundle(manifest=manifest, signature=signature, ciphertext=base64.b64encode(sealed).decode())


def open_bundle(data: bytes, private_key: bytes, merchant_public_key: bytes) -> tuple[ShareManifest, list[dict[str, Any]]]:
    """The processor's side: check the merchant's signature and the hashes, decrypt, and return the rows."""
    try:
        bundle = ShareBundle.model_validate_json(data)
        sealed = base64.b64decode(bundle.ciphertext, validate=True)
    except (ValidationError, binascii.Error, ValueError):
        raise ShareError("file: not a share bundle") from None
    manifest = bundle.manifest
    try:
        verify_ed25519(merchant_public_key, canonical(manifest.model_dump(mode="json")), bundle.signature)
    except ValueError:
        raise ShareError("manifest: the merchant's signature does not match") from None
    if hashlib.sha256(sealed).hexdigest() != manifest.ciphertext_sha256:
        raise ShareError("ciphertext: does not match the signed manifest")
    try:
        plaintext = open_for_recipient(sealed, private_key, hpke_info(manifest.incident_id, manifest.version, manifest.processor))
    except Exception:
        raise ShareError("ciphertext: cannot be opened with this key") from None
    if hashlib.sha256(plaintext).hexdigest() != manifest.plaintext_sha256:
        raise ShareError("ciphertext: decrypted content does not match the signed manifest")
    rows = [json.loads(line) for line in gzip.decompress(plaintext).splitlines() if line]
    if len(rows) != manifest.rows:
        raise ShareError("manifest: row count does not match the content")
    return manifest, rows
