"""/v1/events: committed chaincode events as server-sent events, resumable with Last-Event-ID.

An event's id is `<block>:<tx_id>`; a client that reconnects with that id gets every later event once.
The ledger stream is blocking, so a worker thread reads it and hands events to the response.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from gateway.api.deps import CallerDep, ComponentsDep
from gateway.errors import BadRequest, ServiceError
from gateway.ledger import LedgerEvent

router = APIRouter(tags=["events"])


def parse_event_id(value: str) -> tuple[int, str]:
    block, sep, tx_id = value.partition(":")
    if not sep or not block.isdigit() or not tx_id:
        raise BadRequest("Last-Event-ID must be `<block>:<tx_id>`")
    return int(block), tx_id


def _frame(e: LedgerEvent) -> str:
    data = json.dumps(
        {
            "block_number": e.block_number,
            "tx_id": e.tx_id,
            "type": e.name,
            "payload": json.loads(e.payload) if e.payload else None,
        },
        sort_keys=True,
    )
    return f"id: {e.block_number}:{e.tx_id}\nevent: {e.name}\ndata: {data}\n\n"


@router.get("/v1/events", response_class=StreamingResponse)
async def events(
    caller: CallerDep,
    c: ComponentsDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    from_block: Annotated[int | None, Query(ge=0, description="start here (default: the next block)")] = None,
) -> StreamingResponse:
    start, after = parse_event_id(last_event_id) if last_event_id else (from_block, None)
    stream = c.ledger.events(caller, start, after)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=1000)
    gone = threading.Event()  # the client disconnected: the pump must not block on a full queue forever

    def hand_over(item: str | None) -> None:
        while not gone.is_set():
            try:
                asyncio.run_coroutine_threadsafe(queue.put(item), loop).result(timeout=1)
                return
            except TimeoutError:
                continue

    def pump() -> None:
        try:
            for e in stream:
                hand_over(_frame(e))
        except ServiceError as exc:
            hand_over(f"event: error\ndata: {json.dumps(exc.code)}\n\n")
        finally:
            hand_over(None)

    threading.Thread(target=pump, name="sse-pump", daemon=True).start()

    async def body() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while (item := await queue.get()) is not None:
                yield item
        finally:
            gone.set()
            stream.close()

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
