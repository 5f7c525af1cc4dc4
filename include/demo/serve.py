"""`make airflow`: the demo's Airflow home (what `make demo` ran) served in the UI until Ctrl-C.

api-server, scheduler, dag-processor and triggerer on the demo's SQLite metadata DB (LocalExecutor), so a person can
browse the runs `make demo` left, read task logs, answer approvals and try the trigger forms.
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from types import FrameType

from include.config import UsageError
from include.demo.local_airflow import DEFAULT_HOME, local_secrets, prepare_metadata_db
from include.demo.runner import LAKE, STORE, demo_env
from include.demo.stack import AirflowStack


def port_is_free(port: int) -> bool:
    """True when nothing listens on the loopback port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def banner(url: str, home: Path) -> str:
    """What `make airflow` prints once everything is up: where to go and how to log in."""
    values = local_secrets(home)
    return "\n".join(
        [
            "",
            f"Airflow UI: {url}",
            f"  log in as admin / {values['admin_password']}",
            f"  legal approvals as legal / {values['legal_password']}",
            f"  Airflow home {home} (logs of the components in {home / 'logs' / 'components'})",
            "Unpause a DAG or use Trigger to run it; Ctrl-C stops everything.",
            "",
        ]
    )


def serve(port: int = 8080, home: Path = DEFAULT_HOME, lake: Path = LAKE, store: Path = STORE) -> int:
    """Serve the Airflow home until Ctrl-C (or SIGTERM); the exit status."""
    if not port_is_free(port):
        raise UsageError(f"--port: {port} is already in use on 127.0.0.1; pass another port")
    if not store.exists():
        print(f"note: {store} does not exist yet; run `make demo` first to have runs to browse")
    env = {**demo_env(home, lake, store), "AIRFLOW__CORE__EXECUTOR": "LocalExecutor"}
    log_dir = home / "logs" / "components"
    prepare_metadata_db(env, log_dir)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm), signal.getsignal(signal.SIGINT)
    try:
        with AirflowStack(env, log_dir, port=port) as stack:
            print(banner(stack.api.url, home), flush=True)
            try:
                while True:
                    stack.check()
                    time.sleep(1)
            except KeyboardInterrupt:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan half-stopped components
                print("stopping the Airflow components ...", flush=True)
    except KeyboardInterrupt:
        pass  # interrupted while starting: what had started is stopped already
    except RuntimeError as error:
        print(f"airflow: {error}", flush=True)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
    print("stopped.", flush=True)
    return 0
