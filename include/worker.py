"""Celery workers: Airflow's default Celery configuration plus a preload of the pipeline's heavy modules.

Airflow runs each task in a process forked from a worker's pool process. Without a preload every task imports
pandas, pyarrow, SQLAlchemy and Great Expectations again (5-10 s of CPU each on a 2-core machine, longer than most
scan tasks take to do their work); with it, each pool process imports them once when it starts and every task forked
from it finds them loaded. Enable with `[celery] celery_config_options = include.worker.CELERY_CONFIG`
(docker-compose.yaml and the Celery test do). The scheduler imports this module too, but the signal fires only in
workers' pool processes, so the scheduler stays small.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_process_init

log = logging.getLogger(__name__)

PRELOAD = (
    "pandas",
    "pyarrow.parquet",
    "sqlalchemy",
    "great_expectations",
    "expectations.custom",
    "include.scan.tasks",
    "include.scan.validation",
    "include.incident.tasks",
    "include.notices.tasks",
    "include.evidence.seal",
)

# A pool process reports "up" only after worker_process_init returns; Celery's default wait is 4 s.
CELERY_CONFIG: dict[str, Any] = {**DEFAULT_CELERY_CONFIG, "worker_proc_alive_timeout": 300}


@worker_process_init.connect
def preload_task_modules(**_: Any) -> None:
    """Import what tasks import, once per pool process (a module that fails to import is left to the task)."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # the task that needs it reports the real error
            log.warning("preloading %s failed", name, exc_info=True)
