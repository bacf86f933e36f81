"""One reader of the chain's chaincode events per gateway process, fanned out to every event stream.

The hub reads the peer's event stream once, under the gateway's service identity (members may not read
events from the peers themselves), and keeps the latest `capacity` events in memory. A subscriber is an
async iterator over that buffer: it waits on one asyncio event that the reader sets when events arrive,
so an idle stream costs a coroutine, not a thread or a peer stream.

Resuming (`Last-Event-ID`, `from_block`): a position still in the buffer is served from it. An older one,
or one the buffer cannot vouch for, is caught up with a stream of its own from the peer (service
identity again) until that stream reaches an event the buffer holds; from there the subscriber reads
the buffer like everyone else. A subscriber that falls more than `capacity` events behind gets `LOST`
and should reconnect with its last event id.

What each subscriber may see is not decided here: the stream's route applies `chaincode.access`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Final

from chaincode.errors import ContractError
from chaincode.protocol import Event
from gateway.directory import Caller
from gateway.errors import ServiceError
from gateway.ledger import EventStream, Ledger, LedgerEvent

log = logging.getLogger(__name__)

LOST: Final = "lost"  # the subscriber fell out of the buffer; it reconnects with its Last-Event-ID
_RECONNECT_SECONDS = 1


@dataclass(frozen=True, slots=True)
class HubEvent:
    seq: int
    ledger: LedgerEvent
    event: Event | None  # None: a payload this contract did not write (the rule shows it to see-all roles only)

    @property
    def key(self) -> tuple[int, str]:
        return self.ledger.block_number, self.ledger.tx_id


def _parse(e: LedgerEvent) -> Event | None:
    try:
        return Event.from_json(e.payload)
    except ContractError:
        return None


class EventHub:
    def __init__(self, ledger: Ledger, reader: Caller, *, capacity: int = 10_000) -> None:
        self._ledger = ledger
        self._reader = reader
        self._capacity = capacity
        self._lock = threading.Lock()
        self._buffer: deque[HubEvent] = deque()
        self._index: dict[tuple[int, str], int] = {}  # (block, tx id) → seq, for the events buffered
        self._next_seq = 0
        self._position: tuple[int, str] | None = None  # the last event read: where a reconnect resumes
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._stream: EventStream | None = None
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self.subscribers = 0

    # --- the one reader ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="event-hub", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _read(self) -> None:
        while not self._closed.is_set():
            start, after = (None, None) if self._position is None else self._position
            try:
                stream = self._ledger.events(self._reader, start, after)
                with self._lock:
                    self._stream = stream
                if self._closed.is_set():
                    stream.close()
                    return
                for e in stream:
                    self._append(e)
            except ServiceError as exc:
                log.warning("event stream failed (%s: %s); reconnecting", exc.code, exc.message)
            self._closed.wait(_RECONNECT_SECONDS)

    def _append(self, e: LedgerEvent) -> None:
        with self._lock:
            if (e.block_number, e.tx_id) in self._index:
                return  # a reconnect may repeat the event it resumed after
            item = HubEvent(self._next_seq, e, _parse(e))
            self._next_seq += 1
            self._buffer.append(item)
            self._index[item.key] = item.seq
            if len(self._buffer) > self._capacity:
                del self._index[self._buffer.popleft().key]
            self._position = item.key
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    # --- subscribers ------------------------------------------------------------------------------------

    def _since(self, seq: int) -> list[HubEvent] | None:
        """Buffered events from seq on; None when seq has already left the buffer."""
        with self._lock:
            base = self._buffer[0].seq if self._buffer else self._next_seq
            if seq < base:
                return None
            # Subscribers read near the tail: index from the right end (a deque is fast at its ends).
            size = len(self._buffer)
            return [self._buffer[i] for i in range(seq - base, size)]

    def _wait_handle(self, seq: int) -> asyncio.Event | None:
        """An asyncio event set when an event with seq >= `seq` exists; None when one already does."""
        with self._lock:
            if self._next_seq > seq:
                return None
            handle = asyncio.Event()
            self._waiters.append((asyncio.get_running_loop(), handle))
            return handle

    def _seq_of(self, key: tuple[int, str]) -> int | None:
        with self._lock:
            return self._index.get(key)

    async def subscribe(
        self, start_block: int | None = None, after: tuple[int, str] | None = None
    ) -> AsyncGenerator[HubEvent | str, None]:
        """Events from the position asked (nothing: the next commit; `after`: right after that event;
        `start_block`: from that block on), then live; `LOST` ends a subscriber that fell behind."""
        self.subscribers += 1
        try:
            if after is not None and (found := self._seq_of(after)) is not None:
                seq = found + 1
            elif after is None and start_block is None:
                with self._lock:
                    seq = self._next_seq
            else:
                caught_up: int | None = None
                catch_up = self._catch_up(start_block if after is None else after[0], after)
                try:
                    async for item in catch_up:
                        if isinstance(item, int):
                            caught_up = item
                            break
                        yield item
                finally:
                    await catch_up.aclose()  # ends its peer stream now, not when garbage-collected
                if caught_up is None:
                    return
                seq = caught_up
            while True:
                items = self._since(seq)
                if items is None:
                    yield LOST
                    return
                for item in items:
                    yield item
                seq += len(items)
                handle = self._wait_handle(seq)
                if handle is not None:
                    await handle.wait()
        finally:
            self.subscribers -= 1

    async def _catch_up(
        self, start_block: int | None, after: tuple[int, str] | None
    ) -> AsyncGenerator[HubEvent | int, None]:
        """Events from the peer until one is buffered; then that event's seq (int), to go on from the buffer."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[LedgerEvent | ServiceError | None] = asyncio.Queue(maxsize=256)
        gone = threading.Event()
        stream = self._ledger.events(self._reader, start_block, None if after is None else after[1])

        def hand_over(item: LedgerEvent | ServiceError | None) -> None:
            while not gone.is_set():
                try:
                    asyncio.run_coroutine_threadsafe(queue.put(item), loop).result(timeout=1)
                    return
                except TimeoutError:
                    continue

        def pump() -> None:
            try:
                for e in stream:
                    hand_over(e)
            except ServiceError as exc:
                hand_over(exc)
            finally:
                hand_over(None)

        threading.Thread(target=pump, name="event-catch-up", daemon=True).start()
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if isinstance(item, ServiceError):
                    raise item
                seq = self._seq_of((item.block_number, item.tx_id))
                if seq is not None:
                    yield seq
                    return
                yield HubEvent(-1, item, _parse(item))
        finally:
            gone.set()
            stream.close()

    def wait_started(self, timeout: int = 5) -> bool:
        """True once the reader has opened its stream (tests wait on it)."""
        deadline = time.monotonic_ns() + timeout * 1_000_000_000
        while time.monotonic_ns() < deadline:
            with self._lock:
                if self._stream is not None:
                    return True
            time.sleep(0.01)
        return False
