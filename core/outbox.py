"""Delivery of the outbox: each queued message is POSTed to the BankOrg gateway until it answers 2xx.

2xx → delivered. 4xx → failed (the receiver refuses this message: retrying cannot help; it stays visible
in /admin/outbox and can be requeued). Anything else (5xx, no connection, a timeout) → retried with
exponential backoff. Messages go out one at a time in the order they were queued, so a statement never
overtakes the fundings it reports.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from core.service import from_ms, to_ms, utc_now
from core.store import OutboxMessage, Store

log = logging.getLogger(__name__)

INBOUND_PATH = "/v1/books/inbound"


class Deliverer:
    def __init__(
        self,
        store: Store,
        gateway_url: str | None,
        api_key: str | None,
        *,
        retry_initial_ms: int,
        retry_max_ms: int,
        timeout: int,
        transport: httpx.BaseTransport | None = None,
        clock_ms: Callable[[], int] = lambda: to_ms(utc_now()),
    ) -> None:
        """gateway_url None: nothing is sent (messages wait in the outbox)."""
        self.store = store
        self.gateway_url = gateway_url
        self.retry_initial_ms = retry_initial_ms
        self.retry_max_ms = retry_max_ms
        self.clock_ms = clock_ms
        headers = {"Content-Type": "application/xml"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def backoff_ms(self, attempts: int) -> int:
        """The wait after the attempts-th failed attempt: initial · 2^(attempts-1), at most the cap."""
        return min(self.retry_max_ms, self.retry_initial_ms << min(attempts - 1, 30))

    def deliver_once(self, message: OutboxMessage) -> str:
        """One attempt; returns the message's new status (delivered | failed | pending)."""
        assert self.gateway_url is not None
        try:
            response = self._http.post(self.gateway_url.rstrip("/") + INBOUND_PATH, content=message.body)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if response.is_success:
                self.store.mark_delivered(message.id, self.clock_ms())
                return "delivered"
            error = f"HTTP {response.status_code}: {response.text[:500]}"
            if response.is_client_error:
                log.warning("outbox: %s %s refused: %s", message.kind, message.msg_id, error)
                self.store.mark_failed(message.id, error)
                return "failed"
        wait = self.backoff_ms(message.attempts + 1)
        log.info("outbox: %s %s not delivered (%s); again in %d ms", message.kind, message.msg_id, error, wait)
        self.store.mark_retry(message.id, error, self.clock_ms() + wait)
        return "pending"

    def run_due(self) -> int:
        """Attempt every due message in order; stops at the first one still pending (order is kept).
        Returns how many were attempted."""
        if self.gateway_url is None:
            return 0
        attempted = 0
        while not self._stop.is_set():
            first = self.store.oldest_pending()
            if first is None or first.next_attempt_ms > self.clock_ms():
                return attempted
            attempted += 1
            if self.deliver_once(first) == "pending":
                return attempted
        return attempted

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:  # the database may be briefly unreachable: log and try again later
                log.exception("outbox: delivery pass failed")
            first = self.store.oldest_pending() if self.gateway_url is not None else None
            next_ms = None if first is None else first.next_attempt_ms
            wait = 5.0 if next_ms is None else max(0, min(5000, next_ms - self.clock_ms())) / 1000
            self._wake.wait(wait)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="core-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._http.close()


def next_attempt_at(message: OutboxMessage) -> str | None:
    return from_ms(message.next_attempt_ms).isoformat() if message.status == "pending" else None
