"""Request signatures: HMAC-SHA256 for SIEM senders, Ed25519 for processors, a 5-minute window and a replay guard.

What is signed (bytes, joined by a newline):
- a SIEM alert: `<timestamp>.<body>` (the common webhook form; HMAC-SHA256 hex with the sender's secret);
- a processor's request: `<timestamp>\\n<METHOD>\\n<path>\\n<body>`, path relative to the API root (`/v1/...`), so a
  signature for one request cannot be used for another (Ed25519, base64).

A signature accepted once is remembered under the minute of its timestamp (`exchange/replay/`); the same one
again within the window is a replay. Comparisons of secrets are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from include.lake import keys
from include.lake.store import Lake

WINDOW_SECONDS = 300
TIMESTAMP = re.compile(r"[0-9]{1,12}")
HEX_SIGNATURE = re.compile(r"(sha256=)?[0-9a-fA-F]{64}")
SENDER_NAME = re.compile(r"[a-z0-9_]{1,64}")


class AuthError(ValueError):
    """A request is not authenticated; the message names the header and never echoes its value."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.status = status


def check_sender(name: str | None) -> str:
    """The sender header's value when it is a well-formed name."""
    if not name:
        raise AuthError("X-Breach-Sender: missing")
    if not SENDER_NAME.fullmatch(name):
        raise AuthError("X-Breach-Sender: must be 1-64 lower-case letters, digits or '_'")
    return name


def check_timestamp(value: str | None, now: float | None = None) -> int:
    """The signed Unix timestamp, when it is within the window of now."""
    if not value:
        raise AuthError("X-Breach-Timestamp: missing")
    if not TIMESTAMP.fullmatch(value):
        raise AuthError("X-Breach-Timestamp: must be Unix seconds")
    stamp = int(value)
    if abs((time.time() if now is None else now) - stamp) > WINDOW_SECONDS:
        raise AuthError(f"X-Breach-Timestamp: outside the {WINDOW_SECONDS}-second window")
    return stamp


def alert_message(timestamp: str, body: bytes) -> bytes:
    """What a SIEM sender signs."""
    return timestamp.encode() + b"." + body


def processor_message(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    """What a processor signs."""
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def hmac_hex(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of a message, hex."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_hmac(secret: bytes, message: bytes, signature: str | None) -> None:
    """Constant-time check of a hex HMAC-SHA256 signature (optionally prefixed `sha256=`)."""
    if not signature:
        raise AuthError("X-Breach-Signature: missing")
    if not HEX_SIGNATURE.fullmatch(signature):
        raise AuthError("X-Breach-Signature: must be 64 hex digits")
    expected = hmac_hex(secret, message)
    if not hmac.compare_digest(expected, signature.removeprefix("sha256=").lower()):
        raise AuthError("X-Breach-Signature: does not match")


def verify_ed25519(public_key: bytes, message: bytes, signature: str | None) -> None:
    """Check a base64 Ed25519 signature."""
    if not signature:
        raise AuthError("X-Breach-Signature: missing")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise AuthError("X-Breach-Signature: must be base64") from None
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, message)
    except (InvalidSignature, ValueError):
        raise AuthError("X-Breach-Signature: does not match") from None


def sign_ed25519(private_key: bytes, message: bytes) -> str:
    """A base64 Ed25519 signature (the processor's side, and the merchant's over share manifests)."""
    return base64.b64encode(Ed25519PrivateKey.from_private_bytes(private_key).sign(message)).decode()


def replay_digest(kind: str, sender: str, signature: str) -> str:
    """What identifies one signed request in the replay guard (the signature is unique per timestamp and body)."""
    return hashlib.sha256(f"{kind}\0{sender}\0{signature.removeprefix('sha256=').lower()}".encode()).hexdigest()


def claim_request(lake: Lake, timestamp: int, digest: str) -> bool:
    """Remember a signed request; False when it was seen before (a replay)."""
    return lake.put_if_absent(keys.replay_marker(timestamp // 60, digest), b"") is not None


_LAST_PRUNE = [0.0]


def maybe_prune_replay_guard(lake: Lake, now: float | None = None) -> None:
    """Prune the replay guard at most once a minute per process."""
    moment = time.time() if now is None else now
    if moment - _LAST_PRUNE[0] >= 60:
        _LAST_PRUNE[0] = moment
        prune_replay_guard(lake, moment)


def prune_replay_guard(lake: Lake, now: float | None = None) -> int:
    """Forget signed requests older than the window (a replay of one would be refused as stale anyway)."""
    oldest = int((time.time() if now is None else now) - WINDOW_SECONDS) // 60 - 1
    removed = 0
    for key, _ in list(lake.list(keys.EXCHANGE_REPLAY)):
        minute = keys.replay_minute(key)
        if minute is not None and minute < oldest:
            lake.delete(key)
            removed += 1
    return removed
