"""Leases: one holder at a time across threads and processes, expiry takes over a crashed holder, nothing overwritten."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import pytest

from include.lake.lease import Lease, LeaseHeld, LeaseLost, holding
from include.lake.store import open_lake


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_second_holder_is_refused_until_release(file_lake):
    first = Lease(file_lake, "delivery/INC-1", ttl=timedelta(minutes=5))
    second = Lease(file_lake, "delivery/INC-1", ttl=timedelta(minutes=5))
    assert first.try_acquire()
    assert not second.try_acquire()
    with pytest.raises(LeaseHeld):
        second.acquire(wait=0)
    first.release()
    assert second.try_acquire()


def test_an_expired_lease_is_taken_over_and_the_old_holder_notices(file_lake):
    clock = Clock()
    crashed = Lease(file_lake, "delivery/INC-2", ttl=timedelta(minutes=5), clock=clock)
    successor = Lease(file_lake, "delivery/INC-2", ttl=timedelta(minutes=5), clock=clock)
    assert crashed.try_acquire()
    clock.now += timedelta(minutes=4)
    assert not successor.try_acquire()
    clock.now += timedelta(minutes=2)
    assert successor.try_acquire()
    with pytest.raises(LeaseLost):
        crashed.check()
    with pytest.raises(LeaseLost):
        crashed.renew()
    successor.check()


def test_renewal_keeps_the_lease(file_lake):
    clock = Clock()
    holder = Lease(file_lake, "ledger", ttl=timedelta(minutes=5), clock=clock)
    other = Lease(file_lake, "ledger", ttl=timedelta(minutes=5), clock=clock)
    assert holder.try_acquire()
    for _ in range(10):
        clock.now += timedelta(minutes=4)
        holder.renew()
        assert not other.try_acquire()
    holder.check()


def test_records_are_never_overwritten_and_old_ones_pruned(file_lake):
    lease = Lease(file_lake, "ledger", ttl=timedelta(seconds=30))
    seen = []
    for _ in range(30):
        assert lease.try_acquire()
        seen.append(lease.held.seq)
        lease.release()
    assert seen == sorted(set(seen))
    assert len(list(file_lake.list(lease.prefix))) <= 10


def test_threads_never_hold_it_together(file_lake):
    inside, overlaps, runs = [], [], []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(15):
            lease = Lease(file_lake, "delivery/INC-T", ttl=timedelta(minutes=1))
            if lease.try_acquire():
                with lock:
                    inside.append(1)
                    overlaps.append(len(inside))
                runs.append(1)
                with lock:
                    inside.pop()
                lease.release()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert runs and max(overlaps) == 1


def _hold_and_count(url: str, name: str, counter: str, rounds: int) -> None:
    lake = open_lake(url)
    for _ in range(rounds):
        with holding(lake, name, ttl=timedelta(minutes=1), wait=30, poll=0.01):
            value = int(lake.get(counter)) if lake.exists(counter) else 0
            lake.put(counter, str(value + 1).encode())


def test_processes_serialise_a_read_modify_write(tmp_path):
    url = (tmp_path / "lake").as_uri()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hold_and_count, args=(url, "counter", "state/counter.txt", 10)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert all(worker.exitcode == 0 for worker in workers)
    assert int(open_lake(url).get("state/counter.txt")) == 30


def test_lease_names_cannot_escape_the_lease_folder(file_lake):
    with pytest.raises(Exception, match="invalid lease name"):
        Lease(file_lake, "../evidence", ttl=timedelta(seconds=1))
