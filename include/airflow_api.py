"""The Airflow REST API as a person, a SIEM or a drill uses it: a token, DAG runs, and human-in-the-loop answers."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


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

    def get_page(self, path: str, *, auth: bool = True) -> tuple[int, str, bytes]:
        """GET a page as a signed-in browser would: status, content type and body (errors are answers, not raised)."""
        headers = {"Authorization": f"Bearer {self.login()}"} if auth else {}
        request = urllib.request.Request(self.base_url + path, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()

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
