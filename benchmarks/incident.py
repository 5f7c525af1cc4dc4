"""Incident benchmark: resolve an incident covering every customer of the benchmark store; time per stage, peak RSS.

.venv/bin/python benchmarks/seed.py --customers 1000000    # once
.venv/bin/python benchmarks/incident.py
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time

from _common import database_url, machine, parser, peak_rss_mb

os.environ.setdefault(
    "AIRFLOW_CONN_LAKE_ENCRYPTION", json.dumps({"conn_type": "generic", "password": base64.b64encode(os.urandom(32)).decode()})
)

from include.incident.scope import ScopeResolver, affected_groups
from include.incident.trigger import validate_trigger
from include.incident.versions import summarise_individuals, write_individuals
from include.lake.store import open_lake
from include.legal.inputs import parse_affected
from include.legal.obligations import obligations_document
from include.legal.rules import load_rules
from include.magento.source import create_source_engine
from include.pii.map import load_pii_map

TABLES = ["customer_entity", "customer_address_entity", "sales_order", "sales_order_address", "sales_order_payment"]


def main() -> None:
    args = parser(__doc__).parse_args()
    trigger = validate_trigger(
        {
            "incident_id": "BENCH-1",
            "discovered_at": "2026-11-20T09:00:00-08:00",
            "compromised_tables": TABLES,
            "entity_types": ["glba_financial_institution", "nydfs_covered"],
        }
    )
    stages: dict[str, float] = {}
    engine = create_source_engine(database_url(args))
    started = time.perf_counter()
    result = ScopeResolver(engine, load_pii_map(), trigger).resolve()
    stages["resolve_total"] = time.perf_counter() - started
    engine.dispose()
    individuals = result.individuals
    started = time.perf_counter()
    groups = affected_groups(individuals, trigger)
    summary = summarise_individuals(individuals)
    stages["groups_and_summary"] = time.perf_counter() - started
    started = time.perf_counter()
    document = obligations_document(trigger, parse_affected({"groups": groups}), load_rules())
    stages["obligations"] = time.perf_counter() - started
    lake_dir = tempfile.mkdtemp(prefix="bench-incident-")
    started = time.perf_counter()
    stored = write_individuals(open_lake(lake_dir), "incidents/BENCH-1/v1/affected.parquet.enc", individuals)
    stages["write_encrypted_individuals"] = time.perf_counter() - started
    shutil.rmtree(lake_dir, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "incident",
                "machine": machine(),
                "individuals": len(individuals),
                "groups": len(groups),
                "unknown_residency": summary["unknown_residency"],
                "jurisdictions": len(summary["by_jurisdiction"]),
                "obligations": len(document["obligations"]),
                "required": sum(o["required"] for o in document["obligations"]),
                "seconds": {k: round(v, 2) for k, v in {**result.timings, **stages}.items()},
                "individuals_file_mb": round(stored["size"] / 2**20, 1),
                "peak_rss_mb": round(peak_rss_mb()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
