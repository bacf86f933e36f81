"""The console's index of the chain: every chaincode event from block 0, kept in memory, in block order.

It is what Hyperledger Explorer kept in its database: the feed's history, the block range of a CSV export,
the redemption queue, the chart and the search by reference all read it. It reads the gateway's one
`EventHub` (which catches up from the peer under the gateway's service identity, then goes live), so it
holds everything; what a page shows of it is cut per viewer by `gateway.api.events.seen_by`, i.e. by
`chaincode.access` — never decided here.

Bounded by `capacity` events (the oldest go first). A bank deployment would persist it; in memory it is
about 2 KB an event (parsed event + its raw payload).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque

from chaincode import access
from gateway.api.events import seen_by
from gateway.errors import ServiceError
from gateway.event_hub import LOST, EventHub, HubEvent

log = logging.getLogger(__name__)


class ChainIndex:
    def __init__(self, hub: EventHub, *, capacity: int = 200_000) -> None:
        self._hub = hub
        self._items: deque[HubEvent] = deque(maxlen=capacity)
        self._block_of: dict[str, int] = {}
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._follow(), name="console-index")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        if task.get_loop() is not asyncio.get_running_loop():  # an app served twice (tests): stop it there
            task.get_loop().call_soon_threadsafe(task.cancel)
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _follow(self) -> None:
        after: tuple[int, str] | None = None
        while True:
            subscription = self._hub.subscribe(0 if after is None else None, after)
            try:
                async for item in subscription:
                    if item == LOST:
                        break  # fell behind the hub's buffer: resume right after the last one kept
                    assert isinstance(item, HubEvent)
                    self.add(item)
                    after = item.key
            except ServiceError as exc:
                log.warning("console index: event stream failed (%s); resuming", exc.code)
                await asyncio.sleep(1)
            finally:
                await subscription.aclose()

    def add(self, item: HubEvent) -> None:
        with self._lock:
            if item.ledger.tx_id in self._block_of:
                return
            if len(self._items) == self._items.maxlen:
                self._block_of.pop(self._items[0].ledger.tx_id, None)
            self._items.append(item)
            self._block_of[item.ledger.tx_id] = item.ledger.block_number

    def block_of(self, tx_id: str) -> int | None:
        with self._lock:
            return self._block_of.get(tx_id)

    @property
    def height(self) -> int | None:
        """The block of the newest event indexed (None: none yet)."""
        with self._lock:
            return self._items[-1].ledger.block_number if self._items else None

    def visible(self, viewer: access.Caller) -> list[HubEvent]:
        """Every indexed event the viewer may see, cut to its part, oldest first."""
        with self._lock:
            items = list(self._items)
        return [seen for item in items if (seen := seen_by(item, viewer)) is not None]
