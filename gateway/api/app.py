"""The HTTP application: `create_app(components)` wires routers, errors (RFC 9457) and metrics."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.api import (
    accounts,
    books,
    events,
    fx,
    identity,
    ledger_routes,
    members,
    orders,
    payments,
    payouts,
    redemptions,
    signing,
)
from gateway.api.deps import Components, min_block
from gateway.api.front_door import FrontDoor, FrontDoorLimits
from gateway.api.openapi import build_openapi
from gateway.api.problems import problem, problem_for
from gateway.api.request_metrics import RequestMetrics
from gateway.api.schemas import Health
from gateway.console import Console, ConsoleOptions
from gateway.console import install as install_console
from gateway.errors import ServiceError

log = logging.getLogger(__name__)

# The frameworks' own refusals (a body that is not JSON, no route, method not allowed), with stable codes.
_HTTP_CODES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _documented_methods(doc: dict[str, Any], path: str) -> list[str]:
    """The methods the OpenAPI document lists for the path template that `path` fills; [] for none."""
    for template, item in doc.get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^/}]+\}", "[^/]+", template), path):
            return sorted(m.upper() for m in item if m in _METHODS)
    return []


def create_app(
    components: Components,
    *,
    org: str,
    limits: FrontDoorLimits | None = None,
    console: ConsoleOptions | None = None,
) -> FastAPI:
    """The gateway's HTTP app; `limits` are the front door's (authentication first, caps, admission);
    `console`: the web console's options (None: the defaults; it is always served, at /console)."""
    web = Console(components, org, console or ConsoleOptions())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        components.events.start()  # the one reader of the chain's events, for every stream
        web.index.start()
        try:
            yield
        finally:
            await web.index.close()
            components.events.close()

    app = FastAPI(
        title=f"Tokenized deposits gateway — {org}",
        version="1.0",
        description="Every error is `application/problem+json` (RFC 9457) with a stable `code`; each operation "
        "lists the statuses and codes it can answer. A method a path does not support is a 405 with `Allow`.\n\n"
        "**Read-your-writes across orgs.** Every operation that reads or writes the ledger takes an optional "
        "`Min-Block: N` header, N a `block_number` the client has seen (a write's answer, at any org's gateway): "
        "the gateway acts only once its own org's peer has committed block N, waiting at most 3 s, else 503 "
        "`LEDGER_BEHIND` with `Retry-After`. A malformed N is a 400.",
        lifespan=lifespan,
    )
    app.state.components = components
    app.state.console = web
    registry = CollectorRegistry()
    requests = Counter("gateway_requests", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("gateway_request_seconds", "HTTP request latency", ["method", "route"], registry=registry)
    Gauge(
        "gateway_conflict_retries",
        "writes re-endorsed after an MVCC/phantom conflict or endorser mismatch",
        registry=registry,
    ).set_function(lambda: components.writes.conflict_retries)
    Gauge("gateway_event_streams", "open /v1/events streams", registry=registry).set_function(
        lambda: components.events.subscribers
    )
    if components.steps is not None:
        registry.register(components.steps)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        return problem_for(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return problem(400, "INVALID_ARGUMENT", where)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Starlette puts `Allow` on its 405s (RFC 9110 requires it there), but only the first matching
        # route's methods: a path served by two routes (GET and POST /v1/accounts) needs all it documents.
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        headers = dict(exc.headers or {})
        if exc.status_code == 405 and (methods := _documented_methods(app.openapi(), request.url.path)):
            headers["Allow"] = ", ".join(methods)
        return problem(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "INTERNAL", "internal error; the request may not have been applied")

    @app.get("/healthz", tags=["ops"])
    def healthz() -> Health:
        return Health(status="ok", org=org)

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        responses={200: {"description": "Prometheus text exposition", "content": {CONTENT_TYPE_LATEST: {}}}},
    )
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    if components.books is not None:
        kept = components.books
        Gauge(
            "books_reconciliation_breaks", "breaks in the latest reconciliation of chain and books", registry=registry
        ).set_function(lambda: len((kept.report() or {}).get("breaks", [])))
    for module in (identity, members):
        app.include_router(module.router)
    # Every route that reads or writes the ledger (each documents AUTHENTICATED) takes `Min-Block`.
    for module in (accounts, payments, payouts, fx, signing, redemptions, orders, ledger_routes, events, books):
        app.include_router(module.router, dependencies=[Depends(min_block)])
    install_console(app, web)
    app.add_middleware(RequestMetrics, requests=requests, latency=latency)
    # Outermost: it runs before any route, so before FastAPI reads a body.
    app.add_middleware(
        FrontDoor,
        authenticate=components.directory.authenticate,
        refuse=problem_for,
        limits=limits or FrontDoorLimits(),
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, components.members.enrollable_roles() if components.members else [])
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
