"""Airflow plugin: the review files legal opens from the approval request, served to signed-in Airflow users.

`GET /breach-review/v1/incidents/{incident_id}/versions/{version}/{path}` serves a version's review page, its
samples (synthetic people: no personal data), the obligations calendar and the filing drafts, and nothing else of
the lake: the path is matched against those shapes before any key is built. Airflow's session (the UI's cookie or a
bearer token) and read access to `breach_incident`'s required actions are needed; the pages run no script of ours
beyond the banner sample's own.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Annotated

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.core_api.security import requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Path
from fastapi.responses import Response

from include.lake import keys
from include.lake.store import Lake, open_lake

log = logging.getLogger("breach.review")
INCIDENT_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$"
REVIEW_FILE = re.compile(
    r"review/index\.html|review/samples/[A-Z]{2,5}(-[A-Z]{2,3})?-[a-z]{2}/(email|notice|letter|banner)\.html"
    r"|review/samples/[A-Z]{2,5}(-[A-Z]{2,3})?-[a-z]{2}/email\.txt|review/samples/support-[a-z]{2}/support_pack\.html"
    r"|obligations\.html|filings/[A-Za-z0-9_-]{1,120}\.html"
)
MEDIA = {".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)

app = FastAPI(title="Breach review files", version="1.0.0", openapi_url=None, docs_url=None, redoc_url=None)


@cache
def lake() -> Lake:
    """The pipeline's lake, opened once per api-server worker."""
    return open_lake()


@app.get(
    "/v1/incidents/{incident_id}/versions/{version}/{path:path}",
    dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.HITL_DETAIL, param_dag_id="breach_incident"))],
)
def review_file(
    incident_id: Annotated[str, Path(pattern=INCIDENT_ID)],
    version: Annotated[int, Path(ge=1, le=100_000)],
    path: Annotated[str, Path(max_length=200)],
) -> Response:
    """One review file of a version, as written by prepare_review and compute_obligations."""
    if not REVIEW_FILE.fullmatch(path):
        raise HTTPException(404, "not a review file")
    key = f"{keys.incident_prefix(incident_id, version)}/{path}"
    if not lake().exists(key):
        raise HTTPException(404, "no such review file")
    data = lake().get(key)
    log.info("review file served: incident=%s version=%d", incident_id, version)
    media = MEDIA[path[path.rindex(".") :]]
    headers = {"Content-Security-Policy": POLICY, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
    return Response(data, media_type=media, headers=headers)


class BreachReviewPlugin(AirflowPlugin):
    """Mounts the review files on the api-server at /breach-review."""

    name = "breach_review"
    fastapi_apps = [{"app": app, "url_prefix": "/breach-review", "name": "Breach review files"}]  # noqa: RUF012 (as AirflowPlugin declares it)
