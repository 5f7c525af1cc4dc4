"""`make airflow`: the demo's Airflow home served in the UI, the URL and login printed, everything stopped on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from include.airflow_api import ApiClient
from include.config import UsageError
from include.demo.local_airflow import free_port
from include.demo.serve import banner, port_is_free, serve

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def test_the_banner_names_the_url_and_both_logins(tmp_path):
    text = banner("http://127.0.0.1:8080", tmp_path)
    secrets = json.loads((tmp_path / "local-secrets.json").read_text())
    assert "Airflow UI: http://127.0.0.1:8080" in text
    assert f"admin / {secrets['admin_password']}" in text and f"legal / {secrets['legal_password']}" in text
    assert "Ctrl-C" in text


def test_a_busy_port_is_refused_naming_the_option(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not port_is_free(port)
        with pytest.raises(UsageError, match="--port"):
            serve(port=port, home=tmp_path / "home", lake=tmp_path / "lake", store=tmp_path / "magento.db")
    assert not (tmp_path / "home").exists()


def health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.mark.airflow
def test_make_airflow_serves_the_home_and_stops_every_component_on_ctrl_c(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "include.cli", "airflow", "--port", str(port), "--home", str(tmp_path / "home")]
    command += ["--lake", str(tmp_path / "lake"), "--store", str(tmp_path / "magento.db")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    children: list[psutil.Process] = []
    try:
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Unpause a DAG"):
                break
        text = "".join(lines)
        url = re.search(r"Airflow UI: (\S+)", text).group(1)
        password = re.search(r"log in as admin / (\S+)", text).group(1)
        assert url == f"http://127.0.0.1:{port}"
        children = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children).replace("api_server", "api-server")
        assert all(f"airflow {name}" in names for name in COMPONENTS), names
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            status = health(url)
            if all(status[c]["status"] == "healthy" for c in ("metadatabase", "scheduler", "triggerer", "dag_processor")):
                break
            time.sleep(3)
        else:
            pytest.fail(f"components never all healthy: {status}")
        admin = ApiClient(url, "admin", password)
        wanted = {"magento_pii_scan", "breach_incident"}
        while time.monotonic() < deadline and not wanted <= dag_ids(admin):
            time.sleep(3)  # the dag-processor parses the files one by one; any order is fine
        assert wanted <= dag_ids(admin)
        process.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends to breachctl
        rest, _ = process.communicate(timeout=90)
        assert process.returncode == 0, rest
        assert "stopping the Airflow components" in rest and rest.rstrip().endswith("stopped.")
        assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    finally:  # the components run in sessions of their own: a failed test must not leave them behind
        for leftover in [process_of(process.pid), *children]:
            if leftover is not None and leftover.is_running():
                leftover.kill()
        process.wait(timeout=30)


def dag_ids(client: ApiClient) -> set[str]:
    return {d["dag_id"] for d in client._request("GET", "/api/v2/dags?limit=100")["dags"]}


def process_of(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
