"""One evaluation of every rule: events from the access logs and the store, the local engine, detections.

`breachctl detect` and the breach_detection DAG both call `detect`; the DAG adds a watermark and the history
(known admin networks and addresses, admin roles) kept between runs in the lake, as keyed hashes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from include.detection.engine import Detection, evaluate, event_database, load_events
from include.detection.rules import STORE_TABLE, WEB_TABLE
from include.detection.store_events import StoreContext, origin_of, store_events
from include.detection.web_events import AdminNetworks, log_events
from include.magento.source import create_source_engine

# Correlations look back at most this far: each run re-reads this much before its window so a burst that
# straddles two runs is still counted whole (the suspected incident is deduplicated across runs).
CORRELATION_LOOKBACK = timedelta(minutes=60)


@dataclass
class History:
    """What a run learns for the next one (keyed hashes only): admin networks, admin addresses, admin roles."""

    admin_networks: set[str] = field(default_factory=set)
    admin_ips: set[str] = field(default_factory=set)
    admin_roles: dict[str, dict[str, object]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the lake."""
        return {
            "admin_networks": sorted(self.admin_networks),
            "admin_ips": sorted(self.admin_ips),
            "admin_roles": self.admin_roles,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Back from the lake."""
        return cls(set(data.get("admin_networks", [])), set(data.get("admin_ips", [])), dict(data.get("admin_roles", {})))


@dataclass
class DetectionRun:
    """The detections of one evaluation, with counts and timings (no event content)."""

    detections: list[Detection]
    events: dict[str, int]
    timings: dict[str, float]
    history: History


def detect(
    *,
    store_url: str | None,
    access_logs: list[Path],
    since: datetime | None,
    allowlist: frozenset[str] = frozenset(),
    admin_path: str = "admin",
    history: History | None = None,
    hasher: Callable[[str], str] = str,
    engine: sa.Engine | None = None,
) -> DetectionRun:
    """Evaluate every rule once over the logs (events from `since` minus the correlation lookback) and the store."""
    history = history or History()
    timings: dict[str, float] = {}
    connection = event_database()
    started = time.monotonic()
    networks = AdminNetworks(set(history.admin_networks), hasher)
    web_since = since - CORRELATION_LOOKBACK if since else None
    web = sum(
        load_events(connection, WEB_TABLE, log_events(path, since=web_since, admin_path=admin_path, networks=networks))
        for path in access_logs
    )
    timings["access_logs"] = round(time.monotonic() - started, 3)
    store = 0
    if store_url or engine is not None:
        started = time.monotonic()
        source = engine or create_source_engine(str(store_url))
        try:
            context = StoreContext(since, allowlist, set(history.admin_ips), dict(history.admin_roles), hasher)
            rows, roles = store_events(source, context)
        finally:
            if engine is None:
                source.dispose()
        store = load_events(connection, STORE_TABLE, rows)
        history = History(networks.known, context.known_admin_ips, roles)
        timings["store"] = round(time.monotonic() - started, 3)
    else:
        history = History(networks.known, history.admin_ips, history.admin_roles)
    started = time.monotonic()
    detections = evaluate(connection, admin_path)
    if since is not None:
        detections = [d for d in detections if datetime.fromisoformat(d.last_seen) >= since]
    timings["rules"] = round(time.monotonic() - started, 3)
    connection.close()
    return DetectionRun(detections, {"webserver": web, "store": store}, timings, history)


def read_allowlist(path: Path) -> frozenset[str]:
    """One allowed script origin per line (`https://www.googletagmanager.com`); '#' starts a comment."""
    origins = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        origin = origin_of(text)
        if not origin.startswith(("http://", "https://")):
            raise ValueError(f"allowlist line {number}: not an origin like https://www.googletagmanager.com")
        origins.add(origin)
    return frozenset(origins)
