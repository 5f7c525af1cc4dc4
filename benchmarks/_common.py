"""Shared helpers for the benchmark scripts: timing, peak memory, the benchmark database."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_SERVER = os.environ.get("BENCH_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")
DEFAULT_DATABASE = "bench_magento"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    """Record how long a block took, in seconds."""
    started = time.perf_counter()
    yield
    results[label] = time.perf_counter() - started


def parser(description: str) -> argparse.ArgumentParser:
    """Arguments every benchmark takes."""
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--server", default=DEFAULT_SERVER, help="SQLAlchemy URL of the MariaDB server (no database)")
    arguments.add_argument("--database", default=DEFAULT_DATABASE)
    return arguments


def database_url(args: argparse.Namespace) -> str:
    """URL of the benchmark database."""
    return f"{args.server}/{args.database}?charset=utf8mb4"


def machine() -> str:
    """One line about where the figures were taken."""
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
