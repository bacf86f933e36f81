"""A transfer load for the fault matrix: worker threads pay through one gateway, and each request is retried
with its own Idempotency-Key until it has a final answer — what a well-behaved payment client does.

Every attempt is recorded (when, which status and code, or which transport error), so a test can say what
clients saw during a fault, how long writes paused, and that each request has exactly one outcome.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

# Answers after which the same request is sent again, with the same key: the ledger's outcome is not final.
RETRY_STATUSES = {503, 504}
RETRY_CODES = {"CONFLICT_RETRIES_EXHAUSTED"}


@dataclass
class Attempt:
    at: float  # seconds since the load started
    outcome: str  # "201", "503 LEDGER_UNAVAILABLE", "transport ConnectError", ...


@dataclass
class Request:
    key: str
    payer: str
    payee: str
    minor: int
    started_at: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)
    status: int | None = None
    body: dict[str, object] | None = None
    finished_at: float | None = None

    @property
    def amount(self) -> str:
        return f"{self.minor // 100}.{self.minor % 100:02d}"


class TransferLoad:
    """`workers` threads, each paying from its own account to `payee` through the gateway at `url`.
    A subclass sends another write: its own `path` and `body`."""

    path = "/v1/transfers"

    def __init__(self, url: str, api_key: str, payers: list[str], payee: str, *, give_up_after: float = 120.0) -> None:
        self._url, self._key = url, api_key
        self._payers, self._payee = payers, payee
        self._give_up_after = give_up_after
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.t0

    def start(self) -> TransferLoad:
        for i, payer in enumerate(self._payers):
            t = threading.Thread(target=self._work, args=(i, payer), name=f"load-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> list[Request]:
        """Stop sending new requests; wait until every one sent has its final answer."""
        self._stopping.set()
        for t in self._threads:
            t.join(self._give_up_after + 60)
        return self.requests

    def _work(self, worker: int, payer: str) -> None:
        with httpx.Client(base_url=self._url, timeout=60.0) as http:
            n = 0
            while not self._stopping.is_set():
                n += 1
                req = Request(uuid.uuid4().hex, payer, self._payee, 1 + (worker * 37 + n) % 97)
                with self._lock:
                    self.requests.append(req)
                self._settle(http, req)

    def probe(self, payer: str) -> tuple[Request, httpx.Response, float]:
        """One new transfer sent once: its request (for the books), the answer and how long it took."""
        req = Request(uuid.uuid4().hex, payer, self._payee, 1, started_at=self.now())
        with self._lock:
            self.requests.append(req)
        with httpx.Client(base_url=self._url, timeout=60.0) as http:
            r = http.post(self.path, json=self.body(req), headers=self._headers(req))
        return req, r, self.now() - req.started_at

    def settle(self, req: Request) -> None:
        """Retry req until it has its final answer (after a probe)."""
        with httpx.Client(base_url=self._url, timeout=60.0) as http:
            self._settle(http, req)

    def body(self, req: Request) -> dict[str, str]:
        return {"from": req.payer, "to": req.payee, "currency": "USD", "amount": req.amount, "reference": "INV-LOAD"}

    def _headers(self, req: Request) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key}", "Idempotency-Key": req.key}

    def _settle(self, http: httpx.Client, req: Request) -> None:
        body, headers = self.body(req), self._headers(req)
        started = req.started_at = req.started_at or self.now()
        delay = 0.2
        while self.now() - started < self._give_up_after:
            try:
                r = http.post(self.path, json=body, headers=headers)
            except httpx.TransportError as exc:
                req.attempts.append(Attempt(self.now(), f"transport {type(exc).__name__}"))
            else:
                code = r.json().get("code", "") if r.headers.get("content-type", "").endswith("json") else ""
                req.attempts.append(Attempt(self.now(), f"{r.status_code} {code}".strip()))
                if r.status_code not in RETRY_STATUSES and code not in RETRY_CODES:
                    req.status, req.body, req.finished_at = r.status_code, r.json(), self.now()
                    return
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


@dataclass(frozen=True)
class Summary:
    requests: int
    committed: int
    seen: dict[str, int]  # every non-201 answer clients saw, by status and code
    longest_pause: float  # the longest time with no request committed, around the fault
    slowest_request: float  # first attempt to final answer

    def line(self) -> str:
        seen = ", ".join(f"{n} x {o}" for o, n in sorted(self.seen.items())) or "nothing but 201"
        return (
            f"{self.committed}/{self.requests} committed; clients saw {seen}; writes paused at most "
            f"{self.longest_pause:.1f} s; slowest request {self.slowest_request:.1f} s"
        )


def summarise(requests: list[Request], fault_at: float) -> Summary:
    seen = Counter(a.outcome for r in requests for a in r.attempts if a.outcome != "201")
    done = sorted(r.finished_at for r in requests if r.status == 201 and r.finished_at is not None)
    # The longest gap between commits from just before the fault to the end of the load.
    marks = [fault_at, *[t for t in done if t >= fault_at]]
    pause = max((b - a for a, b in itertools.pairwise(marks)), default=0.0)
    slowest = max(((r.finished_at or 0) - r.started_at for r in requests if r.attempts), default=0.0)
    return Summary(len(requests), sum(r.status == 201 for r in requests), dict(seen), pause, slowest)
