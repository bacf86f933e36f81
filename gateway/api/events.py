"""/v1/events: committed chaincode events as server-sent events, resumable with Last-Event-ID.

An event's id is `<block>:<tx_id>`; a client that reconnects with that id gets every later event once.
Events come from the gateway's one `EventHub`; each caller receives exactly the events, and the part of
each, that the visibility rule (`chaincode.access.visible_event`) lets it see.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from chaincode import access
from chaincode.protocol import EventType
from gateway.api.deps import CallerDep, ComponentsDep
from gateway.api.problems import AUTHENTICATED, problem_responses
from gateway.api.schemas import TX_ID_PATTERN
from gateway.errors import BadRequest, ServiceError, TooManyStreams
from gateway.event_hub import LOST, HubEvent

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
        "payload": {"type": ["object", "null"], "description": "the part of the event's payload the caller may see"},
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


def seen_by(item: HubEvent, viewer: access.Caller) -> HubEvent | None:
    """`item` cut to the part the viewer may see (`chaincode.access`), or None when it may see nothing of it."""
    if item.event is None:
        return item if access.may_see_transaction(viewer, None) else None
    view = access.visible_event(viewer, item.event)
    if view is None:
        return None
    return item if view is item.event else replace(item, event=view)


def frame(item: HubEvent, viewer: access.Caller) -> str | None:
    """The SSE frame of the part of `item` the viewer may see, or None when it may see nothing of it."""
    seen = seen_by(item, viewer)
    if seen is None:
        return None
    e = seen.ledger
    payload = None if seen.event is None else seen.event.to_dict()
    data = json.dumps(
        {"block_number": e.block_number, "tx_id": e.tx_id, "type": e.name, "payload": payload}, sort_keys=True
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
    after = parse_event_id(last_event_id) if last_event_id else None
    viewer = c.directory.viewer(caller)
    subscription = c.events.subscribe(None if after else from_block, after)

    async def body() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            async for item in subscription:
                if item == LOST:
                    yield f"event: error\ndata: {json.dumps('EVENTS_LOST')}\n\n"
                    return
                assert isinstance(item, HubEvent)
                text = frame(item, viewer)
                if text is not None:
                    yield text
        except ServiceError as exc:
            yield f"event: error\ndata: {json.dumps(exc.code)}\n\n"
        finally:
            await subscription.aclose()

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
