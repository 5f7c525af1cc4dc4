"""Airflow plugin: the intake and exchange API, a FastAPI app mounted on the api-server under /breach.

- `POST /breach/v1/alerts`: a SIEM's alert (OCSF Detection Finding, Splunk webhook or Elastic alert), HMAC-signed;
- `POST /breach/v1/processor-reports`: a processor's breach report, Ed25519-signed;
- `GET /breach/v1/incidents/{incident_id}/shares/{processor}`: a processor's sealed share, after legal approval;
- `GET /breach/v1/openapi.json`: this API's schema (committed as plugins/breach_exchange_openapi.json).

Airflow's own authentication does not cover plugin apps: every operation here checks its own signature headers.
The routes are thin; every decision is made in include/exchange. Errors are `{"error": "<field>: <what is wrong>"}`,
one line, never echoing what was sent; logs name the sender, the outcome and ids only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Annotated, Any

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from include.exchange.alerts import Alert, ElasticAlert, OcsfFinding, SplunkAlert, error_line
from include.exchange.bundle import ShareBundle, ShareError
from include.exchange.intake import (
    MAX_BODY_BYTES,
    Authenticated,
    ProcessorReport,
    Receipt,
    SignedRequest,
    authenticate_processor,
    authenticate_siem,
    claim,
    record_alert,
    record_report,
)
from include.exchange.registry import Processor, SiemSender
from include.exchange.signing import AuthError, maybe_prune_replay_guard
from include.lake.store import Lake, open_lake

log = logging.getLogger("breach.exchange")
INCIDENT_ID = r"^[A-Za-z0-9._-]{3,64}$"
PROCESSOR = r"^[a-z0-9_]{1,64}$"


class ErrorBody(BaseModel):
    """Every refusal: one line naming the field or header."""

    error: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "malformed JSON",
        401: "missing, stale or wrong signature, or unknown sender",
        403: "authenticated but not allowed (format, another processor's share, before legal approval)",
        404: "no such incident",
        409: "the same signed request was already accepted (replay)",
        413: f"body larger than {MAX_BODY_BYTES} bytes",
        415: "body is not application/json",
        422: "a field is invalid",
        503: "the share must be built and neither the store nor the scan's snapshots can be read; try again later",
    }
    return {code: {"model": ErrorBody, "description": described[code]} for code in codes}


class BodyLimit:
    """Refuse bodies over the limit before they are read (Content-Length) or as they stream in."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await JSONResponse({"error": f"body: larger than {self.limit} bytes"}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413, f"body: larger than {self.limit} bytes")
            return message

        await self.app(scope, limited, send)


app = FastAPI(
    title="Breach intake and exchange API",
    version="1.0.0",
    summary="SIEM alerts and processors' breach reports in; processors' sealed shares of an approved breach out.",
    servers=[{"url": "/breach", "description": "mounted on the Airflow api-server"}],
    openapi_url="/v1/openapi.json",
    docs_url=None,
    redoc_url=None,
)
app.add_middleware(BodyLimit)
SENDER = APIKeyHeader(name="X-Breach-Sender", scheme_name="sender", auto_error=False, description="registered sender name")
TIMESTAMP = APIKeyHeader(name="X-Breach-Timestamp", scheme_name="timestamp", auto_error=False, description="Unix seconds")
SIGNATURE = APIKeyHeader(
    name="X-Breach-Signature",
    scheme_name="signature",
    auto_error=False,
    description="SIEM: hex HMAC-SHA256 of '<timestamp>.<body>'; processor: base64 Ed25519 of "
    "'<timestamp>\\n<METHOD>\\n<path>\\n<body>' (path from /v1/)",
)


@cache
def lake() -> Lake:
    """The pipeline's lake, opened once per api-server worker."""
    return open_lake()


def operation(request: Request) -> str:
    """The route template a request matched (logged instead of its path, whose segments are the caller's)."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', '(no route)')}"


def relative_path(scope: Scope) -> str:
    """The request path below the mount point (what processors sign)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def signed(
    request: Request,
    sender: Annotated[str | None, Depends(SENDER)],
    timestamp: Annotated[str | None, Depends(TIMESTAMP)],
    signature: Annotated[str | None, Depends(SIGNATURE)],
) -> SignedRequest:
    """The signature headers and the raw body they sign."""
    return SignedRequest(sender, timestamp, signature, request.method, relative_path(request.scope), await request.body())


def _json_body(request: Request, signed_request: SignedRequest) -> None:
    """After authentication: a POST carries a JSON body."""
    if request.method != "POST":
        return
    value = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if value != "application/json" and not value.endswith("+json"):
        raise AuthError("Content-Type: must be application/json", status=415)
    if not signed_request.body:
        raise AuthError("body: required", status=422)


async def siem(request: Request, signed_request: Annotated[SignedRequest, Depends(signed)]) -> tuple[Authenticated, SiemSender]:
    """A SIEM sender whose HMAC checks out (before the body is validated)."""
    result = await run_in_threadpool(authenticate_siem, signed_request)
    _json_body(request, signed_request)
    return result


async def processor(
    request: Request, signed_request: Annotated[SignedRequest, Depends(signed)]
) -> tuple[Authenticated, Processor]:
    """A processor whose Ed25519 signature checks out (before the body is validated)."""
    result = await run_in_threadpool(authenticate_processor, signed_request)
    _json_body(request, signed_request)
    return result


@app.exception_handler(AuthError)
@app.exception_handler(ShareError)
async def refused(request: Request, error: Exception) -> JSONResponse:
    """A refusal, logged with the path and status only."""
    status = getattr(error, "status", 400)
    log.warning("refused %s: %s %s", operation(request), status, error)
    return JSONResponse({"error": str(error)}, status_code=status)


@app.exception_handler(RequestValidationError)
async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """One line naming the first invalid field; 400 when the body is not JSON at all."""
    errors = list(error.errors())
    if errors and errors[0].get("type") == "json_invalid":
        return JSONResponse({"error": "body: not valid JSON"}, status_code=400)
    message = error_line(errors)
    log.warning("refused %s: 422 %s", operation(request), message)
    return JSONResponse({"error": message}, status_code=422)


@app.exception_handler(HTTPException)
async def http_error(request: Request, error: HTTPException) -> Response:
    """Router and parser errors in the same one-line shape."""
    detail = error.detail if error.status_code == 413 else f"path: {str(error.detail).lower()}"
    if error.status_code == 400:
        detail = "body: not valid JSON"
    return JSONResponse({"error": detail}, status_code=error.status_code, headers=getattr(error, "headers", None))


@app.exception_handler(Exception)
async def crashed(request: Request, error: Exception) -> JSONResponse:
    """Never a traceback or a value in the answer; the log names the exception type only."""
    log.error("internal error on %s: %s", operation(request), type(error).__name__)
    return JSONResponse({"error": "internal error"}, status_code=500)


async def offload(function: Callable[..., Any], *args: Any) -> Any:
    """Run lake and database work off the event loop."""
    return await run_in_threadpool(function, *args)


@app.post(
    "/v1/alerts",
    operation_id="postAlert",
    status_code=202,
    responses=_errors(400, 401, 403, 409, 413, 415, 422),
    summary="Report a SIEM alert (recorded as a suspected incident for triage; nothing is triggered)",
)
async def post_alert(alert: Alert, auth: Annotated[tuple[Authenticated, SiemSender], Depends(siem)]) -> Receipt:
    """An OCSF Detection Finding, a Splunk alert webhook body or an Elastic alert; idempotent on the sender's alert id."""
    body: OcsfFinding | SplunkAlert | ElasticAlert = alert
    receipt: Receipt = await offload(record_alert, lake(), auth[0], auth[1], body)
    await offload(maybe_prune_replay_guard, lake())
    return receipt


@app.post(
    "/v1/processor-reports",
    operation_id="postProcessorReport",
    status_code=202,
    responses=_errors(400, 401, 409, 413, 415, 422),
    summary="A processor reports a breach on its side (recorded as a suspected incident naming the processor)",
)
async def post_processor_report(
    report: ProcessorReport, auth: Annotated[tuple[Authenticated, Processor], Depends(processor)]
) -> Receipt:
    """Idempotent on the processor's report_id."""
    receipt: Receipt = await offload(record_report, lake(), auth[0], auth[1], report)
    await offload(maybe_prune_replay_guard, lake())
    return receipt


def _share(auth: Authenticated, who: Processor, incident_id: str, name: str) -> bytes:
    """Refuse another processor's share and an unapproved incident before the replay claim; then serve and audit."""
    if name != who.name:
        raise ShareError("processor: a processor may download only its own share")
    # Imported here: pandas and the database driver load only in the process that serves a share, not in every
    # Airflow process that loads plugins.
    from include.exchange.shares import download_share, shareable_version  # noqa: PLC0415

    shareable_version(lake(), incident_id)
    if not who.payment_methods and not who.tables:
        raise ShareError("processor: registered with neither payment_methods nor tables")
    claim(lake(), auth)
    data = download_share(lake(), incident_id, who)
    log.info("share downloaded: incident=%s processor=%s bytes=%d", incident_id, who.name, len(data))
    return data


@app.get(
    "/v1/incidents/{incident_id}/shares/{processor_name}",
    operation_id="getProcessorShare",
    response_model=ShareBundle,
    responses=_errors(401, 403, 404, 409, 422, 503),
    summary="A processor's share of an approved incident, sealed to its key, with the merchant's signed manifest",
)
async def get_share(
    incident_id: Annotated[str, Path(pattern=INCIDENT_ID)],
    processor_name: Annotated[str, Path(pattern=PROCESSOR)],
    auth: Annotated[tuple[Authenticated, Processor], Depends(processor)],
) -> Response:
    """Only after legal approval, only the caller's own share; every download is an audit entry in the ledger."""
    data: bytes = await offload(_share, auth[0], auth[1], incident_id, processor_name)
    return Response(data, media_type="application/json", headers={"Cache-Control": "no-store"})


@app.middleware("http")
async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """No sniffing, no caching of answers."""
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


class BreachExchangePlugin(AirflowPlugin):
    """Mounts the intake and exchange API on the api-server at /breach."""

    name = "breach_exchange"
    fastapi_apps = [{"app": app, "url_prefix": "/breach", "name": "Breach intake and exchange API"}]  # noqa: RUF012 (as AirflowPlugin declares it)


def openapi() -> dict[str, Any]:
    """FastAPI's schema, with the three signature headers as one security requirement (all of them, not any)."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes, servers=app.servers)
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "security" in operation:
                    operation["security"] = [{k: v for item in operation["security"] for k, v in item.items()}]
        app.openapi_schema = schema
    return app.openapi_schema


app.openapi = openapi  # type: ignore[method-assign]


def schema_text() -> str:
    """The OpenAPI schema as committed in plugins/breach_exchange_openapi.json."""
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
