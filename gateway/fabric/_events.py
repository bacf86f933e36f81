"""Chaincode events: a signed, resumable stream from the gateway peer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import grpc

from gateway.fabric import _protos
from gateway.fabric._context import NetworkContext
from gateway.fabric._errors import ChaincodeEventsError, Step, translate_rpc_errors


@dataclass(frozen=True, slots=True)
class ChaincodeEvent:
    """An event set by a valid transaction, with the block that committed it."""

    block_number: int
    transaction_id: str
    chaincode_name: str
    event_name: str
    payload: bytes


class ChaincodeEvents:
    """An open event stream. Iterate it (blocking) for events; `close()` ends it, from any thread.

    To resume after a failure or restart, open a new stream with `start_block` = the last handled
    event's block number and `after_transaction_id` = its transaction id.
    """

    def __init__(self, call: Any) -> None:
        self._call = call
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[ChaincodeEvent]:
        """Events as they are committed. Raises ChaincodeEventsError if the stream fails (not on close)."""
        try:
            with translate_rpc_errors(Step.CHAINCODE_EVENTS, None):
                for response in self._call:
                    block_number = int(response.block_number)
                    for event in response.events:
                        yield ChaincodeEvent(
                            block_number=block_number,
                            transaction_id=str(event.tx_id),
                            chaincode_name=str(event.chaincode_id),
                            event_name=str(event.event_name),
                            payload=bytes(event.payload),
                        )
        except ChaincodeEventsError as error:
            if self._closed.is_set() and error.code == grpc.StatusCode.CANCELLED:
                return
            raise

    def close(self) -> None:
        """Cancel the stream; an iteration in progress ends quietly."""
        self._closed.set()
        self._call.cancel()

    def __enter__(self) -> ChaincodeEvents:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_chaincode_events(
    context: NetworkContext,
    chaincode_name: str,
    start_block: int | None,
    after_transaction_id: str | None,
) -> ChaincodeEvents:
    """Sign a ChaincodeEventsRequest and open the stream (no deadline: it lives until closed)."""
    if start_block is None:
        # The peer accepts only "specified" and "next commit" here; it rejects "newest".
        start = _protos.orderer.SeekPosition(next_commit=_protos.orderer.SeekNextCommit())
    else:
        if start_block < 0:
            raise ValueError("start_block must be >= 0")
        start = _protos.orderer.SeekPosition(specified=_protos.orderer.SeekSpecified(number=start_block))
    request = _protos.gateway.ChaincodeEventsRequest(
        channel_id=context.channel_name,
        chaincode_id=chaincode_name,
        identity=context.creator,
        start_position=start,
        after_transaction_id=after_transaction_id or "",
    ).SerializeToString()
    signed = _protos.gateway.SignedChaincodeEventsRequest(request=request, signature=context.signer.sign(request))
    return ChaincodeEvents(context.stub.ChaincodeEvents(signed))
