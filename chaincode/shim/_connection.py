"""One peer's Connect stream: registration, then many transactions multiplexed on it.

Concurrency model: one reader task consumes the peer's messages and dispatches them without awaiting
anything slow; each transaction runs in its own task; every outgoing message goes into one queue that
`run` (the gRPC response generator) drains. So exactly one coroutine ever writes to the stream.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from chaincode.shim._handler import Failure, Handler, Success
from chaincode.shim._protos import MessageType, chaincode_pb2, proposal_response_pb2, shim_pb2
from chaincode.shim._stub import TransactionStub

logger = logging.getLogger("chaincode.shim")

_TxKey = tuple[str, str]  # (channel_id, txid): how the peer correlates messages of one transaction

_OK = 200
_INTERNAL_ERROR = 500


class _State(enum.Enum):
    CREATED = "created"  # REGISTER sent, waiting for REGISTERED
    ESTABLISHED = "established"  # waiting for READY
    READY = "ready"


class ProtocolError(Exception):
    """The peer broke the chaincode protocol; the stream is ended."""


class Connection:
    """Serves one Connect stream for `chaincode_id` with `handler`."""

    def __init__(self, handler: Handler, chaincode_id: str) -> None:
        self._handler = handler
        self._chaincode_id = chaincode_id
        self._state = _State.CREATED
        # None ends the response stream.
        self._outbox: asyncio.Queue[Any | None] = asyncio.Queue()
        self._pending: dict[_TxKey, asyncio.Future[tuple[int, bytes]]] = {}
        self._transactions: dict[_TxKey, asyncio.Task[None]] = {}
        self._draining = False

    async def run(self, requests: AsyncIterable[Any]) -> AsyncIterator[Any]:
        """The messages to send to the peer, while consuming the peer's `requests`."""
        chaincode_id = chaincode_pb2.ChaincodeID(name=self._chaincode_id)
        self._send(MessageType.REGISTER, payload=chaincode_id.SerializeToString())
        reader = asyncio.create_task(self._read(requests), name="chaincode-shim-reader")
        try:
            while (message := await self._outbox.get()) is not None:
                yield message
        finally:
            reader.cancel()
            for task in self._transactions.values():
                task.cancel()

    async def shutdown(self, timeout: int) -> None:
        """Refuse new transactions, give the running ones `timeout` seconds, then end the stream."""
        self._draining = True
        running = list(self._transactions.values())
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
            for task in late:
                task.cancel()
        self._outbox.put_nowait(None)

    async def _read(self, requests: AsyncIterable[Any]) -> None:
        try:
            async for message in requests:
                self._dispatch(message)
        except ProtocolError as exc:
            logger.error("ending the stream: %s", exc)
        except Exception:
            logger.exception("the peer stream failed")
        finally:
            self._outbox.put_nowait(None)

    def _dispatch(self, message: Any) -> None:
        msg_type = message.type
        if msg_type == MessageType.KEEPALIVE:
            self._outbox.put_nowait(message)  # the peer expects its keepalive echoed
            return
        if self._state is _State.CREATED:
            if msg_type != MessageType.REGISTERED:
                raise ProtocolError(f"expected REGISTERED, got {self._describe(message)}")
            self._state = _State.ESTABLISHED
        elif self._state is _State.ESTABLISHED:
            if msg_type != MessageType.READY:
                raise ProtocolError(f"expected READY, got {self._describe(message)}")
            self._state = _State.READY
            logger.info("registered with the peer as %s", self._chaincode_id)
        elif msg_type in (MessageType.TRANSACTION, MessageType.INIT):
            self._start_transaction(message)
        elif msg_type in (MessageType.RESPONSE, MessageType.ERROR):
            self._resolve(message)
        else:
            raise ProtocolError(f"unexpected {self._describe(message)} while ready")

    def _start_transaction(self, message: Any) -> None:
        key = (message.channel_id, message.txid)
        if self._draining:
            self._send(MessageType.ERROR, key, payload=b"chaincode is shutting down")
            return
        if key in self._transactions:
            self._send(MessageType.ERROR, key, payload=b"duplicate transaction id")
            return
        task = asyncio.create_task(self._run_transaction(key, message), name=f"chaincode-tx-{message.txid}")
        self._transactions[key] = task

    def _resolve(self, message: Any) -> None:
        future = self._pending.get((message.channel_id, message.txid))
        if future is None or future.done():
            logger.warning("dropping an unsolicited %s", self._describe(message))
            return
        future.set_result((message.type, message.payload))

    async def _run_transaction(self, key: _TxKey, message: Any) -> None:
        channel_id, txid = key
        event = None
        try:
            chaincode_input = chaincode_pb2.ChaincodeInput.FromString(message.payload)
            stub = TransactionStub(
                tx_id=txid,
                channel_id=channel_id,
                args=list(chaincode_input.args),
                signed_proposal=message.proposal,
                request=lambda msg_type, payload: self._request(key, msg_type, payload),
            )
            result = await self._handler(stub)
            match result:
                case Success(payload=payload):
                    response = proposal_response_pb2.Response(status=_OK, payload=payload)
                    event = stub.chaincode_event()
                case Failure(message=failure):
                    response = proposal_response_pb2.Response(status=_INTERNAL_ERROR, message=failure)
                case _:
                    raise TypeError(f"the handler returned {type(result).__name__}, not a HandlerResult")
        except Exception as exc:
            logger.exception("transaction %s failed", txid)
            text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            response = proposal_response_pb2.Response(status=_INTERNAL_ERROR, message=text)
        finally:
            del self._transactions[key]
        self._send(MessageType.COMPLETED, key, payload=response.SerializeToString(), event=event)

    async def _request(self, key: _TxKey, msg_type: int, payload: bytes) -> tuple[int, bytes]:
        if key in self._pending:
            raise RuntimeError(f"transaction {key[1]} already has a ledger call in flight")
        future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            self._send(msg_type, key, payload=payload)
            return await future
        finally:
            del self._pending[key]

    def _send(self, msg_type: int, key: _TxKey | None = None, *, payload: bytes, event: Any = None) -> None:
        message = shim_pb2.ChaincodeMessage(type=msg_type, payload=payload)
        if key is not None:
            message.channel_id, message.txid = key
        if event is not None:
            message.chaincode_event.CopyFrom(event)
        self._outbox.put_nowait(message)

    @staticmethod
    def _describe(message: Any) -> str:
        try:
            name = MessageType.Type.Name(message.type)
        except ValueError:  # an enum value newer than our protos
            name = f"type-{message.type}"
        return f"{name} message (txid {message.txid or '-'})"
