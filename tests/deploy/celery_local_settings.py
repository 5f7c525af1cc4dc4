"""Cluster policy of the Celery test's Airflow home (copied there as airflow_local_settings.py).

A task that lost its worker is retried after the DAG's retry_delay (minutes in production); here a few seconds, so
the test shows the same recovery within its time budget. Nothing else about the DAGs changes.
"""

from __future__ import annotations

from datetime import timedelta

RETRY_DELAY = timedelta(seconds=2)


def task_policy(task) -> None:  # type: ignore[no-untyped-def]
    """Short, flat retry delays for every task that retries."""
    if task.retries:
        task.retry_delay = RETRY_DELAY
        task.retry_exponential_backoff = 0
