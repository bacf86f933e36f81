"""The HTTP application: `create_app(components)` wires routers, errors (RFC 9457) and metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.api import accounts, events, ledger_routes, payments, redemptions
from gateway.api.deps import Components
from gateway.api.front_door import FrontDoor, FrontDoorLimits
from gateway.errors import LedgerUnavailable, ServiceError

PROBLEM = "application/problem+json"


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": code, "status": status, "code": code, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def create_app(components: Components, *, org: str, limits: FrontDoorLimits | None = None) -> FastAPI:
    """The gateway's HTTP app; `limits` are the front door's (authentication first, caps, admission)."""
    app = FastAPI(title=f"Tokenized deposits gateway — {org}", version="1.0")
    app.state.components = components
    registry = CollectorRegistry()
    requests = Counter("gateway_requests", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("gateway_request_seconds", "HTTP request latency", ["method", "route"], registry=registry)
    Gauge(
        "gateway_conflict_retries",
        "writes re-endorsed after an MVCC/phantom conflict or endorser mismatch",
        registry=registry,
    ).set_function(lambda: components.writes.conflict_retries)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, LedgerUnavailable) else None
        return problem(exc.status, exc.code, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return problem(400, "INVALID_ARGUMENT", where)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "NOT_FOUND" if exc.status_code == 404 else "HTTP_ERROR", str(exc.detail))

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        requests.labels(request.method, path, str(response.status_code)).inc()
        latency.labels(request.method, path).observe(time.perf_counter() - started)
        return response

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "org": org}

    @app.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    for module in (accounts, payments, redemptions, ledger_routes, events):
        app.include_router(module.router)
    # Outermost: it runs before any route, so before FastAPI reads a body.
    app.add_middleware(
        FrontDoor,
        authenticate=components.directory.authenticate,
        problem=problem,
        limits=limits or FrontDoorLimits(),
    )
    return app
