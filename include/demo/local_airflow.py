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
import urllib.request
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from include.airflow_api import ApiClient
from include.config import PROJECT_ROOT, SOURCE_POOL

DEFAULT_HOME = PROJECT_ROOT / ".airflow"


def airflow_bin() -> str:
    """The airflow executable of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else (shutil.which("airflow") or "airflow")


def _new_secrets() -> dict[str, str]:
    mail_house = X25519PrivateKey.generate()
    signing = Ed25519PrivateKey.generate()
    raw = serialization.Encoding.Raw
    return {
        "lake_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "pseudonym_secret": base64.b64encode(secrets.token_bytes(32)).decode(),
        "admin_password": secrets.token_urlsafe(18),
        "legal_password": secrets.token_urlsafe(18),
        "mail_house_private_key": base64.b64encode(
            mail_house.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        ).decode(),
        "mail_house_public_key": base64.b64encode(
            mail_house.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
        ).decode(),
        "signing_private_key": base64.b64encode(
            signing.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        ).decode(),
        "signing_public_key": base64.b64encode(signing.public_key().public_bytes(raw, serialization.PublicFormat.Raw)).decode(),
    }


def local_secrets(home: Path) -> dict[str, str]:
    """Per-checkout secrets (lake key, pseudonym secret, signing key, passwords), created once in the git-ignored home.

    A file from an older checkout gets the secrets it lacks added; the ones it has are never replaced.
    """
    path = home / "local-secrets.json"
    values = json.loads(path.read_text()) if path.exists() else {}
    fresh = _new_secrets()
    missing = {name: value for name, value in fresh.items() if name not in values}
    for pair in ("mail_house_", "signing_"):
        if any(name.startswith(pair) for name in missing):
            missing.update({name: value for name, value in fresh.items() if name.startswith(pair)})
    if not missing:
        return values
    values.update(missing)
    home.mkdir(parents=True, exist_ok=True)
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
            {
                "conn_type": "generic",
                "password": values["lake_key"],
                "extra": {"key_id": "local-1", "pseudonym_secret": values["pseudonym_secret"]},
            }
        ),
        "AIRFLOW_CONN_EVIDENCE_SIGNING": json.dumps({"conn_type": "generic", "password": values["signing_private_key"]}),
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
