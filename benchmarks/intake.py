"""Intake benchmark: SIEM alerts accepted per second by one api-server worker, and latency at 50 concurrent senders.

A real `airflow api-server` (one worker) on a free loopback port mounts the plugin; a file lake in a temporary
folder. Every alert is a distinct OCSF Detection Finding, HMAC-signed as a SIEM relay signs it, and each one is a
new suspected incident (two lake writes: replay guard and the record). The baseline, in the same run and against
the same server, is Airflow's own unauthenticated health endpoint. Client threads run on the same 2 cores as the
server, so the figures are a floor. Bounded: a fixed number of requests, each with a 30 s timeout.

.venv/bin/python benchmarks/intake.py [--alerts 3000] [--senders 50] [--per-sender 40]
"""

from __future__ import annotations

import http.client
import json
import secrets
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import machine, peak_rss_mb

from include.demo.local_airflow import ApiServer, airflow_env, prepare_metadata_db
from include.exchange import signing

SECRET = secrets.token_urlsafe(24)  # the benchmark sender's HMAC secret, fresh each run


def alert(number: int) -> bytes:
    """A distinct OCSF Detection Finding."""
    now_ms = int(time.time() * 1000)
    return json.dumps(
        {
            "class_uid": 2004,
            "activity_id": 1,
            "time": now_ms,
            "severity_id": 4,
            "metadata": {"version": "1.3.0", "product": {"name": "bench"}},
            "finding_info": {"uid": f"bench-{number:08d}", "title": "Bulk export of customer_entity", "types": ["Exfiltration"]},
            "resources": [{"name": "customer_entity", "type": "Database Table"}],
        }
    ).encode()


class Sender:
    """One keep-alive connection that signs and posts alerts, timing each."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, number: int) -> tuple[int, float]:
        body = alert(number)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Breach-Sender": "bench",
            "X-Breach-Timestamp": stamp,
            "X-Breach-Signature": signing.hmac_hex(SECRET.encode(), signing.alert_message(stamp, body)),
        }
        started = time.perf_counter()
        self.connection.request("POST", "/breach/v1/alerts", body=body, headers=headers)
        response = self.connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started

    def health(self) -> tuple[int, float]:
        started = time.perf_counter()
        self.connection.request("GET", "/api/v2/monitor/health")
        response = self.connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started


def run(port: int, senders: int, per_sender: int, first: int, baseline: bool = False) -> dict:
    """`senders` threads, each sending `per_sender` requests back to back; statuses, latencies and wall time."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker(index: int) -> None:
        sender = Sender(port)
        for i in range(per_sender):
            status, seconds = sender.health() if baseline else sender.post(first + index * per_sender + i)
            with lock:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(worker, range(senders)))
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "statuses": statuses,
        "per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
        "wall_s": round(wall, 2),
    }


def main() -> None:
    import argparse

    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--alerts", type=int, default=3000, help="alerts for the throughput run")
    arguments.add_argument("--clients", type=int, default=4, help="concurrent connections for the throughput run")
    arguments.add_argument("--senders", type=int, default=50)
    arguments.add_argument("--per-sender", type=int, default=40)
    args = arguments.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    registration = json.dumps({"conn_type": "generic", "password": SECRET})
    env = airflow_env(
        home=root / "home",
        lake_url=(root / "lake").as_uri(),
        magento={"conn_type": "sqlite", "host": str(root / "store.db")},
        extra={"AIRFLOW_CONN_EXCHANGE_SENDER_BENCH": registration, "AIRFLOW__API__WORKERS": "1"},
    )
    prepare_metadata_db(env, root / "logs")
    with ApiServer(env, root / "logs" / "api-server.log") as server:
        port = server.port
        run(port, 2, 50, 10_000_000)  # warm-up: imports, connection caches
        per_client = max(1, args.alerts // args.clients)
        results = {
            "machine": machine(),
            "baseline_health_endpoint": run(port, args.clients, per_client, 0, baseline=True),
            "throughput_one_worker": run(port, args.clients, per_client, 0),
            f"concurrent_{args.senders}_senders": run(port, args.senders, args.per_sender, 20_000_000),
        }
    stored = sum(1 for _ in (root / "lake" / "detections" / "suspects").glob("*.json"))
    results["suspects_recorded"] = stored
    results["client_peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
