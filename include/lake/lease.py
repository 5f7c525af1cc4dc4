"""Leases: one holder at a time for a named job (a delivery round, a ledger append), across processes and workers.

A lease is a numbered series of small records under `state/leases/<name>/`, each written with a conditional
create (`put_if_absent`: exclusive create on the file lake, `If-None-Match: *` on S3). Whoever writes record N+1
after reading record N wins; a second writer of N+1 is refused, so two holders can never both believe they hold
it. A record says who holds the lease until when; an expired one is taken over by writing the next number, and a
released one likewise. Nothing is ever overwritten, so the mechanism needs no compare-and-swap beyond create.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from include.lake import keys
from include.lake.store import Lake, LakeError

LEASES = keys.LEASES
KEEP_RECORDS = 8


class LeaseHeld(LakeError):
    """Another holder has the lease and it has not expired."""


class LeaseLost(LakeError):
    """The lease expired or was taken over while this holder still worked."""


@dataclass(frozen=True)
class LeaseRecord:
    """One record of a lease's series."""

    seq: int
    owner: str
    until: datetime
    released: bool = False

    def to_bytes(self) -> bytes:
        """The record as stored."""
        document = {"seq": self.seq, "owner": self.owner, "until": self.until.isoformat(), "released": self.released}
        return json.dumps(document, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LeaseRecord:
        """Read a stored record."""
        document = json.loads(data)
        return cls(
            int(document["seq"]), str(document["owner"]), datetime.fromisoformat(document["until"]), bool(document["released"])
        )

    def free_at(self, now: datetime) -> bool:
        """True when anyone may take the lease over from this record."""
        return self.released or self.until <= now


def _valid_name(name: str) -> str:
    if not name or any(part in ("", ".", "..") for part in name.split("/")):
        raise LakeError(f"invalid lease name {name!r}")
    return name


class Lease:
    """A named lease in a lake, held by one owner at a time for `ttl` at most unless renewed."""

    def __init__(
        self, lake: Lake, name: str, *, ttl: timedelta, owner: str | None = None, clock: Callable[[], datetime] | None = None
    ):
        self.lake, self.name, self.ttl = lake, _valid_name(name), ttl
        self.owner = owner or f"{uuid.uuid4().hex[:12]}"
        self.clock = clock or (lambda: datetime.now(UTC))
        self.held: LeaseRecord | None = None

    @property
    def prefix(self) -> str:
        """Where this lease's records live."""
        return f"{LEASES}{self.name}/"

    def _key(self, seq: int) -> str:
        return f"{self.prefix}{seq:012d}.json"

    def current(self) -> LeaseRecord | None:
        """The newest record of the series, or None when the lease was never taken."""
        found = sorted(key for key, _ in self.lake.list(self.prefix) if key.endswith(".json"))
        return LeaseRecord.from_bytes(self.lake.get(found[-1])) if found else None

    def _write(self, seq: int, *, released: bool = False) -> LeaseRecord | None:
        record = LeaseRecord(seq, self.owner, self.clock() + (timedelta(0) if released else self.ttl), released)
        return record if self.lake.put_if_absent(self._key(seq), record.to_bytes()) is not None else None

    def try_acquire(self) -> bool:
        """Take the lease if it is free (never taken, released or expired); False when someone else holds it."""
        latest = self.current()
        if latest is not None and not latest.free_at(self.clock()) and latest.owner != self.owner:
            return False
        record = self._write(latest.seq + 1 if latest else 0)
        if record is None:
            return False
        self.held = record
        self._prune(record.seq)
        return True

    def acquire(self, *, wait: float = 0.0, poll: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        """Take the lease, waiting up to `wait` seconds for the holder to finish; LeaseHeld when it does not."""
        deadline = time.monotonic() + wait
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                holder = self.current()
                until = holder.until.isoformat(timespec="seconds") if holder else "?"
                raise LeaseHeld(f"lease {self.name} is held by another worker until {until}")
            sleep(poll)

    def renew(self) -> None:
        """Extend the lease by ttl; LeaseLost when it expired or another holder took it meanwhile."""
        if self.held is None:
            raise LeaseLost(f"lease {self.name} is not held")
        latest = self.current()
        if latest is None or latest.seq != self.held.seq or latest.owner != self.owner or latest.free_at(self.clock()):
            self.held = None
            raise LeaseLost(f"lease {self.name} was lost (expired or taken over)")
        record = self._write(latest.seq + 1)
        if record is None:
            self.held = None
            raise LeaseLost(f"lease {self.name} was taken over while renewing")
        self.held = record

    def check(self) -> None:
        """LeaseLost unless this holder still holds an unexpired lease (call before each irreversible step)."""
        latest = self.current()
        if self.held is None or latest is None or latest.seq != self.held.seq or latest.free_at(self.clock()):
            self.held = None
            raise LeaseLost(f"lease {self.name} was lost (expired or taken over)")

    def release(self) -> None:
        """Give the lease back (a released record, so the next holder need not wait for expiry)."""
        if self.held is not None:
            latest = self.current()
            if latest is not None and latest.seq == self.held.seq:
                self._write(latest.seq + 1, released=True)
            self.held = None

    def _prune(self, seq: int) -> None:
        for key, _ in self.lake.list(self.prefix):
            if key.endswith(".json") and int(key.rsplit("/", 1)[1].removesuffix(".json")) < seq - KEEP_RECORDS:
                self.lake.delete(key)


@contextmanager
def holding(lake: Lake, name: str, *, ttl: timedelta, wait: float = 0.0, poll: float = 1.0) -> Iterator[Lease]:
    """`with holding(lake, "delivery/INC-1", ttl=...) as lease:` runs the block as the only holder, then releases."""
    lease = Lease(lake, name, ttl=ttl)
    lease.acquire(wait=wait, poll=poll)
    try:
        yield lease
    finally:
        lease.release()
