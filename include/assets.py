"""The Assets that connect the DAGs (declared once; DAG files import them at parse time, so nothing heavy here)."""

from __future__ import annotations

from airflow.sdk import Asset

FINDINGS = Asset(name="magento_pii_findings")
