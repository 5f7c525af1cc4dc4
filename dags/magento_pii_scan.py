"""
### Magento PII scan (daily)

Is the personal data in the store encrypted where it must be, and do we keep only what we need?

Each day, one mapped task per table in `include/pii/pii_map.yaml` reads only the rows that changed since the
last run (read-only, READ COMMITTED, short keyset-paginated queries, capped by the `magento_source` pool),
keeps only the mapped columns, encrypts them client-side into the lake, and re-validates the touched
snapshot buckets with the Great Expectations suites in `expectations/suites/`. Retention and orphaned
grid rows are checked in SQL; schema drift compares the live catalogue with the map.

Outputs: `<lake>/scans/<run>/findings.json` and `summary.json`, extracts under `<lake>/extracts/`, and an
evidence manifest chained into `<lake>/evidence/ledger/`. The `magento_pii_findings` Asset event carries
counts only and schedules `compliance_report`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from include.assets import FINDINGS
from include.config import SOURCE_POOL


@dag(
    dag_id="magento_pii_scan",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["compliance", "magento", "scan"],
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
    },
    params={
        "full_refresh": Param(
            False,
            type="boolean",
            title="Full refresh",
            description="Ignore watermarks and re-read every mapped table (after a restore or a map change).",
        ),
    },
)
def magento_pii_scan():
    @task
    def plan_scan() -> list[str]:
        """Mapped tables that exist in the source."""
        from include.scan import tasks as scan

        return scan.plan_tables()

    @task(pool=SOURCE_POOL, map_index_template="{{ table }}", max_active_tis_per_dagrun=4)
    def scan_table(table: str, params=None, run_id=None) -> dict:
        """Extract changed rows of one table, merge into its snapshot, validate touched buckets."""
        from include.scan import tasks as scan

        return scan.scan_table(table, run_id, full_refresh=params["full_refresh"])

    @task(pool=SOURCE_POOL)
    def relational_checks() -> list[dict]:
        """Retention and orphaned grid rows, as SQL in the source."""
        from include.scan import tasks as scan

        return scan.relational_checks()

    @task(pool=SOURCE_POOL)
    def schema_drift() -> list[dict]:
        """Personal-looking columns and attributes the map does not cover."""
        from include.scan import tasks as scan

        return scan.schema_drift()

    @task(pool=SOURCE_POOL)
    def store_security() -> list[dict]:
        """Store security configuration and audit-log coverage."""
        from include.scan import tasks as scan

        return scan.store_security()

    @task(outlets=[FINDINGS])
    def publish_findings(
        table_results: list[dict],
        relational: list[dict],
        drift: list[dict],
        security: list[dict],
        run_id=None,
        outlet_events=None,
    ) -> dict:
        """findings.json and summary.json; the Asset event carries counts only."""
        from include.scan import tasks as scan

        written = scan.write_scan_outputs(run_id, list(table_results), relational, [*drift, *security])
        summary = written["summary"]
        outlet_events[FINDINGS].extra = {
            "run_id": run_id,
            "findings": summary["findings"],
            "by_severity": summary["by_severity"],
            "by_kind": summary["by_kind"],
        }
        return written

    @task
    def purge_expired_extracts() -> list[str]:
        """Delete encrypted extracts past the policy's retention (recorded in the ledger)."""
        from include.scan import tasks as scan

        return scan.purge_expired_extracts()

    @task
    def seal_evidence(table_results: list[dict], published: dict | None, run_id=None, dag_run=None) -> dict:
        """Manifest of every output of this run, chained into the ledger (a teardown: runs even when a table failed)."""
        from include.evidence.seal import seal

        started_at = dag_run.start_date.isoformat() if dag_run and dag_run.start_date else None
        results = {"scan_table": list(table_results or []), "publish_findings": published}
        return seal("magento_pii_scan", run_id, results, started_at=started_at)

    plan = plan_scan()
    tables = scan_table.expand(table=plan)
    published = publish_findings(tables, relational_checks(), schema_drift(), store_security())
    published >> purge_expired_extracts()
    seal_evidence(tables, published).as_teardown(setups=plan)


magento_pii_scan()
