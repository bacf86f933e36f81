"""The front door: what every /v1 request passes before any route (and so before FastAPI reads a body).

In this order:
1. **Who.** The API key is checked from the headers alone; an unknown caller is answered 401 and its body is
   never read (uvicorn stops reading a socket after 64 KiB that nobody consumes).
2. **How often.** Each key has a token bucket (429 `RATE_LIMITED` with `Retry-After`) and a cap on its
   concurrent event streams (429 `TOO_MANY_STREAMS`).
3. **How big, how slow.** A body larger than the cap answers 413 `BODY_TOO_LARGE` — at once when
   Content-Length says so, else as soon as the bytes pass the cap; a body that does not arrive within the
   body timeout answers 408 `REQUEST_TIMEOUT`. Bodies under the cap are read here and handed on.
4. **How many at once.** Writes are admitted up to `max_in_flight_writes` at a time; the rest wait in a
   bounded queue for at most `queue_timeout` seconds, then are shed with 503 `OVERLOADED` and `Retry-After`.
   Past its capacity the gateway keeps committing at its peak rate instead of thrashing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse

from gateway.directory import Caller
from gateway.errors import (
    BodyTimeout,
    BodyTooLarge,
    Overloaded,
    RateLimited,
    ServiceError,
    TooManyStreams,
    Unauthenticated,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# Answers an error as problem+json with its headers (`gateway.api.problems.problem_for`).
Refuse = Callable[[ServiceError], JSONResponse]

_NS = 1_000_000_000
# The request state's key for the caller the front door authenticated: routes take it from there, not from a
# second lookup of the same key.
CALLER = "front_door_caller"


@dataclass(frozen=True, slots=True)
class FrontDoorLimits:
    # The largest legitimate request, a 500-line bulk payout, is about 100 KB: 1 MiB leaves room to spare.
    body_limit: int = 1 << 20
    body_timeout: int = 10  # seconds for the whole body to arrive
    rate_per_key: int = 100  # requests per second, sustained
    burst_per_key: int = 200
    streams_per_key: int = 100
    max_in_flight_writes: int = 32
    max_queued_writes: int = 512
    queue_timeout: int = 10  # seconds a write may wait for admission


class TokenBucket:
    """`rate` tokens a second up to `burst`, on integer nanoseconds."""

    def __init__(self, rate: int, burst: int, clock: Callable[[], int] = time.monotonic_ns) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._tokens_ns = burst * _NS  # tokens scaled by 1e9, so refill stays integral
        self._at = clock()

    def take(self) -> int:
        """0 if a token was taken, else the whole seconds until one is due."""
        now = self._clock()
        self._tokens_ns = min(self._burst * _NS, self._tokens_ns + (now - self._at) * self._rate)
        self._at = now
        if self._tokens_ns >= _NS:
            self._tokens_ns -= _NS
            return 0
        return max(1, -(-(_NS - self._tokens_ns) // (self._rate * _NS)))


class _TooLarge(Exception):
    pass


class FrontDoor:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Callable[[str], Caller | None],
        refuse: Refuse,
        limits: FrontDoorLimits,
    ) -> None:
        self._app = app
        self._authenticate = authenticate
        self._refuse = refuse
        self._limits = limits
        self._buckets: dict[str, TokenBucket] = {}  # one per known caller: only authenticated keys get one
        self._streams: dict[str, int] = {}
        self._admission = asyncio.Semaphore(limits.max_in_flight_writes)
        self._queued = 0
        self.shed = 0  # writes refused for want of capacity (exported on /metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/v1/"):
            await self._app(scope, receive, send)
            return
        answer = self._refusal(scope)
        if answer is not None:
            # The body (if any) is unread: close the connection after the answer, or uvicorn would go on
            # reading and discarding whatever the client still sends (300 MB of it, in the test).
            answer.headers["Connection"] = "close"
            await answer(scope, receive, send)
            return
        caller = scope["state"][CALLER].ref
        if scope["path"] == "/v1/events":
            await self._stream(caller, scope, receive, send)
        elif scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            await self._write(scope, receive, send)
        else:
            await self._app(scope, receive, send)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        scheme, _, token = headers.get("authorization", "").partition(" ")
        caller = self._authenticate(token.strip()) if scheme.lower() == "bearer" and token else None
        if caller is None:
            return self._refuse(Unauthenticated("send `Authorization: Bearer <api key>` with a known key"))
        scope.setdefault("state", {})[CALLER] = caller
        wait = self._buckets.setdefault(
            caller.ref, TokenBucket(self._limits.rate_per_key, self._limits.burst_per_key)
        ).take()
        if wait:
            return self._refuse(RateLimited(f"more than {self._limits.rate_per_key} requests/s", retry_after=wait))
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self._limits.body_limit:
            return self._too_large()
        return None

    def _too_large(self) -> JSONResponse:
        return self._refuse(BodyTooLarge(f"bodies are limited to {self._limits.body_limit} bytes"))

    async def _stream(self, caller: str, scope: Scope, receive: Receive, send: Send) -> None:
        if self._streams.get(caller, 0) >= self._limits.streams_per_key:
            limit = self._limits.streams_per_key
            await self._refuse(TooManyStreams(f"at most {limit} event streams per key", retry_after=5))(
                scope, receive, send
            )
            return
        self._streams[caller] = self._streams.get(caller, 0) + 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._streams[caller] -= 1
            if not self._streams[caller]:
                del self._streams[caller]

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await asyncio.wait_for(self._read_body(receive), self._limits.body_timeout)
        except _TooLarge:
            answer = self._too_large()
            answer.headers["Connection"] = "close"
            await answer(scope, receive, send)
            return
        except TimeoutError:
            detail = f"the body did not arrive within {self._limits.body_timeout} s"
            await self._refuse(BodyTimeout(detail))(scope, receive, send)
            return
        if self._queued >= self._limits.max_queued_writes:
            await self._overloaded(scope, receive, send)
            return
        self._queued += 1
        try:
            await asyncio.wait_for(self._admission.acquire(), self._limits.queue_timeout)
        except TimeoutError:
            await self._overloaded(scope, receive, send)
            return
        finally:
            self._queued -= 1
        try:
            await self._app(scope, _replay(body, receive), send)
        finally:
            self._admission.release()

    async def _overloaded(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.shed += 1
        detail = "the gateway is at capacity; retry with the same Idempotency-Key"
        await self._refuse(Overloaded(detail))(scope, receive, send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limits.body_limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then passes on what follows (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
