"""/v1/events: committed chaincode events as server-sent events, resumable with Last-Event-ID.

An event's id is `<block>:<tx_id>`; a client that reconnects with that id gets every later event once.
The ledger stream is blocking, so a worker thread reads it and hands events to the response.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from chaincode.protocol import EventType
from gateway.api.deps import CallerDep, ComponentsDep
from gateway.api.problems import AUTHENTICATED, problem_responses
from gateway.api.schemas import TX_ID_PATTERN
from gateway.errors import BadRequest, ServiceError, TooManyStreams
from gateway.ledger import LedgerEvent

router = APIRouter(tags=["events"])

# Fabric block numbers are uint64; 18 digits keep them within every client's int64 and are plenty.
MAX_BLOCK = 10**18 - 1
# ASCII digits only: `str.isdigit` also accepts "²", which `int` then refuses.
EVENT_ID_PATTERN = f"^[0-9]{{1,18}}:{TX_ID_PATTERN[1:-1]}$"


_EVENT_DATA = {
    "type": "object",
    "required": ["block_number", "tx_id", "type", "payload"],
    "additionalProperties": False,
    "properties": {
        "block_number": {"type": "integer", "minimum": 0},
        "tx_id": {"type": "string", "pattern": TX_ID_PATTERN},
        "type": {"enum": [t.value for t in EventType]},
        "payload": {"type": ["object", "null"], "description": "the event's payload, as the contract wrote it"},
    },
}
# One server-sent event, as OpenAPI 3.2's `itemSchema` describes a stream's items.
_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "id": {"type": "string", "pattern": EVENT_ID_PATTERN},
        "event": {"enum": [*(t.value for t in EventType), "error"]},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"anyOf": [_EVENT_DATA, {"type": "string", "description": "an error's code"}]},
        },
    },
}


def parse_event_id(value: str) -> tuple[int, str]:
    """`<block>:<tx_id>` as (block, tx_id). Raises BadRequest."""
    if re.fullmatch(EVENT_ID_PATTERN, value) is None:
        raise BadRequest("Last-Event-ID must be `<block>:<tx_id>`")
    block, _, tx_id = value.partition(":")
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


@router.get(
    "/v1/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "one event per committed chaincode event; a failure after the stream started is an "
            "`event: error` whose data is the error's code as a JSON string",
            "content": {"text/event-stream": {"itemSchema": _EVENT_SCHEMA}},
        },
        **problem_responses(AUTHENTICATED, (BadRequest, TooManyStreams)),
    },
)
async def events(
    caller: CallerDep,
    c: ComponentsDep,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=EVENT_ID_PATTERN, description="resume right after this event")
    ] = None,
    from_block: Annotated[
        int | None, Query(ge=0, le=MAX_BLOCK, description="start here (default: the next block)")
    ] = None,
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
