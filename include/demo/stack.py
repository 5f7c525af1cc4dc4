"""Airflow's long-running components as local processes: api-server, scheduler, dag-processor, triggerer, Celery workers.

The same topology as docker-compose.yaml, one process per service, so it runs where there is no Docker engine:
`make airflow` serves the demo's Airflow home with it (LocalExecutor), and the Celery test runs it with
CeleryExecutor, Redis and PostgreSQL and two workers, killing one mid-run the way a lost container dies.
"""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from include.demo.local_airflow import ApiServer, airflow_bin, free_port, stop_process

SERVICES = ("scheduler", "dag-processor", "triggerer")


@dataclass(frozen=True)
class CeleryWorker:
    """One `airflow celery worker`: its own hostname (what task instances record) and concurrency."""

    name: str
    concurrency: int = 2


def celery_env(env: dict[str, str], *, metadata_url: str, broker_url: str, result_backend: str, queue: str) -> dict[str, str]:
    """What turns a local Airflow environment into the production topology: CeleryExecutor, PostgreSQL, Redis."""
    return {
        **env,
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": result_backend,
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "include.worker.CELERY_CONFIG",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "include.config.worker_hostname",
        "AIRFLOW__API_AUTH__JWT_SECRET": env.get("AIRFLOW__API_AUTH__JWT_SECRET") or secrets.token_urlsafe(32),
    }


def process_tree(pid: int) -> list[psutil.Process]:
    """A process and every descendant it has now."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class AirflowStack:
    """api-server, scheduler, dag-processor, triggerer and any Celery workers, for the lifetime of a `with` block."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        *,
        port: int | None = None,
        services: tuple[str, ...] = SERVICES,
        workers: tuple[CeleryWorker, ...] = (),
    ):
        self.port = port or free_port()
        self.env = {**env, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.port}/execution/"}
        self.log_dir = log_dir
        self.services, self.initial_workers = services, workers
        self.api = ApiServer(self.env, log_dir / "api-server.log", port=self.port)
        self.processes: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, args: list[str], extra: dict[str, str] | None = None) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("a") as handle:
            process = subprocess.Popen(
                [airflow_bin(), *args],
                env={**self.env, **(extra or {})},
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def start_worker(self, worker: CeleryWorker) -> subprocess.Popen:
        """Start (or restart) one Celery worker on the environment's queue, without a log server of its own."""
        queue = self.env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE", "default")
        args = ["celery", "worker", "--celery-hostname", f"{worker.name}@%h", "--concurrency", str(worker.concurrency)]
        args += ["--queues", queue, "--skip-serve-logs", "--without-gossip", "--without-mingle"]
        return self._start(worker.name, args, {"AIRFLOW_WORKER_HOSTNAME": worker.name})

    def kill(self, name: str) -> int:
        """SIGKILL a component and every process under it at once, as when its container or host dies; how many died."""
        process = self.processes[name]
        victims = process_tree(process.pid)
        for victim in victims:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.kill()
        process.wait(timeout=30)
        psutil.wait_procs(victims, timeout=30)
        return len(victims)

    def check(self) -> None:
        """Raise naming the first component that exited on its own."""
        if self.api.process is not None and self.api.process.poll() is not None:
            raise RuntimeError(f"api-server exited; see {self.api.log}")
        for name, process in self.processes.items():
            if process.poll() is not None and process.returncode != -signal.SIGKILL:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.log_dir / (name + '.log')}")

    def __enter__(self) -> AirflowStack:
        self.api.__enter__()
        try:
            for service in self.services:
                self._start(service, [service])
            for worker in self.initial_workers:
                self.start_worker(worker)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        """Workers and services first (SIGTERM, then SIGKILL after a grace period), the api-server last."""
        for process in reversed(list(self.processes.values())):
            stop_process(process, grace=20)
        self.api.__exit__()
        leftovers = [p for p in self.processes.values() if p.poll() is None]
        if leftovers:
            raise RuntimeError(f"{len(leftovers)} Airflow component(s) did not stop")


def wait_until(predicate: Callable[[], object], *, timeout: float, every: float = 2.0, what: str = "condition") -> None:
    """Poll `predicate` until it is true; raise naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
