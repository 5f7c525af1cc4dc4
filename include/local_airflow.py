"""Running this project's Airflow locally: environment, `airflow dags test`, an api-server and its REST API.

Used by `breachctl demo`, by `breachctl incident start`, and by the integration tests, so all three drive
Airflow the same way a person would: CLI for `dags test`, REST for triggers and approvals.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from include.settings import PROJECT_ROOT, SOURCE_POOL

DEFAULT_HOME = PROJECT_ROOT / ".airflow"


def airflow_bin() -> str:
    """The airflow executable of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def local_secrets(home: Path) -> dict[str, str]:
    """Per-checkout secrets (lake key, admin password), created once in the git-ignored Airflow home."""
    path = home / "local-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    home.mkdir(parents=True, exist_ok=True)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    mail_house = X25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    values = {
        "lake_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "admin_password": secrets.token_urlsafe(18),
        "legal_password": secrets.token_urlsafe(18),
        "mail_house_private_key": base64.b64encode(
            mail_house.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        ).decode(),
        "mail_house_public_key": base64.b64encode(
            mail_house.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
        ).decode(),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


def airflow_env(
    *, home: Path = DEFAULT_HOME, lake_url: str, magento: dict[str, Any], extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment for every Airflow command of a local run: SQLite metadata DB, this project's dags, connections."""
    values = local_secrets(home)
    passwords = home / "simple_auth_manager_passwords.json"
    if not passwords.exists():
        passwords.write_text(json.dumps({"admin": values["admin_password"], "legal": values["legal_password"]}))
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,legal:op",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "GX_ANALYTICS_ENABLED": "false",
        "LAKE_URL": lake_url,
        "AIRFLOW_CONN_MAGENTO_DB": json.dumps(magento),
        "AIRFLOW_CONN_LAKE_ENCRYPTION": json.dumps(
            {"conn_type": "generic", "password": values["lake_key"], "extra": {"key_id": "local-1"}}
        ),
        "AIRFLOW_CONN_MAIL_HOUSE": json.dumps({"conn_type": "generic", "extra": {"public_key": values["mail_house_public_key"]}}),
    }
    env.update(extra or {})
    return env


def run_airflow(
    args: list[str], env: dict[str, str], *, log: Path | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run one airflow CLI command; output goes to `log` when given."""
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as handle:
            return subprocess.run(
                [airflow_bin(), *args], env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, check=False
            )
    return subprocess.run([airflow_bin(), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def prepare_metadata_db(env: dict[str, str], log_dir: Path) -> None:
    """Create or upgrade the metadata DB and the source pool (idempotent)."""
    done = run_airflow(["db", "migrate"], env, log=log_dir / "db-migrate.log")
    if done.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed; see {log_dir / 'db-migrate.log'}")
    pool = run_airflow(
        ["pools", "set", SOURCE_POOL, "4", "Concurrent queries on the Magento source"], env, log=log_dir / "pools.log"
    )
    if pool.returncode != 0:
        raise RuntimeError(f"creating pool {SOURCE_POOL} failed; see {log_dir / 'pools.log'}")


def free_port() -> int:
    """An unused TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class ApiClient:
    """The Airflow REST API as a person or a SIEM would use it: token, trigger, HITL answers."""

    base_url: str
    username: str
    password: str
    token: str | None = None

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, *, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.login()}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            raise RuntimeError(f"{method} {path} -> HTTP {error.code}: {detail}") from None
        return json.loads(payload) if payload else None

    def login(self) -> str:
        """POST /auth/token with username and password."""
        if self.token is None:
            answer = self._request("POST", "/auth/token", {"username": self.username, "password": self.password}, auth=False)
            self.token = answer["access_token"]
        return self.token

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> dict[str, Any]:
        """POST /api/v2/dags/{dag_id}/dagRuns."""
        return self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})

    def set_paused(self, dag_id: str, paused: bool) -> None:
        """PATCH /api/v2/dags/{dag_id}."""
        self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def dag_run(self, dag_id: str, run_id: str) -> dict[str, Any]:
        """GET one DAG run."""
        return self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}")

    def pending_approvals(self, dag_id: str = "~", run_id: str = "~") -> list[dict[str, Any]]:
        """HITL requests not answered yet."""
        answer = self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='~')}/hitlDetails")
        return [d for d in answer["hitl_details"] if not d["response_received"]]

    def respond(self, detail: dict[str, Any], option: str, params_input: dict[str, Any] | None = None) -> dict[str, Any]:
        """PATCH the HITL detail of a waiting task with the chosen option."""
        ti = detail["task_instance"]
        path = (
            f"/api/v2/dags/{ti['dag_id']}/dagRuns/{urllib.parse.quote(ti['dag_run_id'], safe='')}"
            f"/taskInstances/{ti['task_id']}/{ti['map_index']}/hitlDetails"
        )
        return self._request("PATCH", path, {"chosen_options": [option], "params_input": params_input or {}})


class ApiServer:
    """An `airflow api-server` on a free loopback port for the lifetime of a `with` block."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None):
        self.env = env
        self.log = log
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("w")
        self.process = subprocess.Popen(
            [airflow_bin(), "api-server", "--port", str(self.port), "--host", "127.0.0.1"],
            env={**self.env, "AIRFLOW__API__BASE_URL": self.url},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"api-server exited early; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=2):  # noqa: S310
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        raise RuntimeError(f"api-server did not become healthy; see {self.log}")

    def __exit__(self, *exc: object) -> None:
        if self.process:
            stop_process(self.process)

    def client(self, username: str = "admin") -> ApiClient:
        """A client logged in as one of the local users (admin, legal)."""
        passwords = json.loads(Path(self.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())
        return ApiClient(self.url, username, passwords[username])
