"""Key rotation: re-wrap every encrypted object's data key under the current master key, declared in the ledger.

After the `lake_encryption` connection names a new current key (and keeps the old one in
`extra.retired_secret_keys`), `breachctl lake rotate` rewrites each object still wrapped under an older key.
Only the header changes (the encrypted body stays as it is), so the object's hash changes: each batch of
changes is recorded in a signed `rewrap` ledger entry first, then written, and verify accepts either the old
or the new bytes of a declared object. Once rotate reports nothing left under old keys, the old key can go.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypedDict

from include.lake import crypto, keys
from include.lake.ledger import record_rewrap, sha256
from include.lake.store import Lake

BATCH_OBJECTS = 500
BATCH_BYTES = 256 * 1024 * 1024
SKIPPED_PREFIXES = (keys.EVIDENCE, keys.LEASES)


class RotationResult(TypedDict):
    """What a rotation did (counts and keys only)."""

    key_id: str
    examined: int
    rewrapped: int
    already_current: int
    by_key_before: dict[str, int]
    plaintext: list[str]
    unreadable: list[str]


class _Batch:
    """Re-wrapped objects waiting to be declared in the ledger and written."""

    def __init__(self, lake: Lake, key_id: str):
        self.lake, self.key_id = lake, key_id
        self.changes: list[dict[str, Any]] = []
        self.blobs: dict[str, bytes] = {}

    def add(self, key: str, old: bytes, new: bytes, old_kid: str) -> None:
        """Queue one object; flush when the batch is full."""
        self.changes.append(
            {"path": key, "from_sha256": sha256(old), "sha256": sha256(new), "size": len(new), "from_key_id": old_kid}
        )
        self.blobs[key] = new
        if len(self.blobs) >= BATCH_OBJECTS or sum(map(len, self.blobs.values())) >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Declare the batch in the ledger, then write it (a crash in between leaves old bytes, which verify accepts)."""
        if not self.changes:
            return
        record_rewrap(self.lake, self.changes, self.key_id)
        for key, blob in self.blobs.items():
            self.lake.put(key, blob)
        self.changes, self.blobs = [], {}


def rotate(lake: Lake, ring: crypto.KeyWrapper, prefix: str = "") -> RotationResult:
    """Re-wrap every encrypted object under prefix that is not yet under the ring's current key."""
    result: RotationResult = {
        "key_id": ring.key_id,
        "examined": 0,
        "rewrapped": 0,
        "already_current": 0,
        "by_key_before": {},
        "plaintext": [],
        "unreadable": [],
    }
    before: Counter[str] = Counter()
    batch = _Batch(lake, ring.key_id)
    for key, _ in lake.list(prefix):
        if not keys.is_encrypted_key(key) or key.startswith(SKIPPED_PREFIXES):
            continue
        result["examined"] += 1
        blob = lake.get(key)
        if not crypto.is_encrypted(blob):
            result["plaintext"].append(key)
            continue
        try:
            envelope = crypto.parse_envelope(blob, key)
            new = crypto.rewrap(blob, ring, key)
        except crypto.DecryptionError:
            result["unreadable"].append(key)
            continue
        before[envelope.kid] += 1
        if new is None:
            result["already_current"] += 1
            continue
        batch.add(key, blob, new, envelope.kid)
        result["rewrapped"] += 1
    batch.flush()
    result["by_key_before"] = dict(sorted(before.items()))
    return result
