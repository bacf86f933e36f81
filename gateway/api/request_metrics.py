"""Counts and times every HTTP request by method, route template and status, as plain ASGI middleware.

Plain ASGI rather than Starlette's `BaseHTTPMiddleware`: that one runs each request through a task group and
a memory stream, which the gateway's profile showed on every write (README "Benchmarks").
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestMetrics:
    """Latency runs from the request's arrival to its response's start (an event stream's headers, not
    its end); the route is the matched template (`unmatched` when none matched)."""

    def __init__(self, app: ASGIApp, *, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def measured(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The router sets the matched route in this same scope before the endpoint answers.
                path = getattr(scope.get("route"), "path", "unmatched")
                self.requests.labels(scope["method"], path, str(message["status"])).inc()
                self.latency.labels(scope["method"], path).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, measured)
