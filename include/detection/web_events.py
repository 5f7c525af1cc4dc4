"""Access-log events for the `webserver` rules: W3C field names, plus two fields derived at ingest.

- `record_id`: which customer or order record a successful REST GET read (`customer:<id>`, `order:<id>`,
  `search:<digest>`), so a value_count correlation can count distinct records per client;
- `admin_network_new`: 'true' on requests to the admin path from a /24 (IPv4) or /64 (IPv6) network that had not
  reached the admin area before the evaluation window, when such a history exists ('false' otherwise).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from include.magento.access_log import AccessRecord, parse_lines, read_log_lines, record_read

WEB_COLUMNS = (
    "timestamp",
    "c-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "sc-status",
    "sc-bytes",
    "cs-referer",
    "cs-user-agent",
    "record_id",
    "admin_network_new",
    "log_file",
    "line",
)


def network_of(client: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of an address; the text itself when it is not an address."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:64]
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass
class AdminNetworks:
    """Networks known to reach the admin area, as keyed hashes (the lake never holds staff addresses)."""

    known: set[str] = field(default_factory=set)
    hasher: Callable[[str], str] = str
    added: set[str] = field(default_factory=set)

    def seen_before(self, client: str) -> bool:
        """True when the client's network is known."""
        return self.hasher(network_of(client)) in self.known

    def learn(self, client: str) -> None:
        """Remember the client's network."""
        digest = self.hasher(network_of(client))
        if digest not in self.known:
            self.known.add(digest)
            self.added.add(digest)


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def web_event(record: AccessRecord, log_file: str, network_new: str) -> tuple[object, ...]:
    """One access-log record as a row of the `webserver` table (the order of WEB_COLUMNS)."""
    return (
        _utc_text(record.time),
        record.client,
        record.method,
        record.path,
        record.query,
        record.status,
        record.size,
        record.referer,
        record.agent,
        record_read(record),
        network_new,
        log_file,
        record.line,
    )


def web_events(
    records: Iterable[AccessRecord],
    log_file: str,
    *,
    since: datetime | None,
    admin_path: str = "admin",
    networks: AdminNetworks | None = None,
) -> Iterator[tuple[object, ...]]:
    """Rows for the records at or after `since`; earlier records only teach the admin networks they came from."""
    networks = networks if networks is not None else AdminNetworks()
    prefix = "/" + (admin_path.strip("/") or "admin")
    for record in records:
        is_admin = record.path == prefix or record.path.startswith(prefix + "/")
        if since is not None and record.time < since:
            if is_admin:
                networks.learn(record.client)
            continue
        new = "false"
        if is_admin:
            new = "true" if networks.known and not networks.seen_before(record.client) else "false"
            networks.learn(record.client)
        yield web_event(record, log_file, new)


def log_events(path: Path, **options: object) -> Iterator[tuple[object, ...]]:
    """Every event of one log file (combined format or JSON lines, plain or gzip)."""
    yield from web_events(parse_lines(read_log_lines(path)), str(path), **options)  # type: ignore[arg-type]
