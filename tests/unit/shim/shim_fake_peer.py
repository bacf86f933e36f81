"""A fake Fabric peer for the shim tests: dials the chaincode server and speaks the peer's side.

It answers the ledger calls from an in-memory dict, after a small random delay so that replies to
concurrent transactions interleave, and pages range queries `page_size` results at a time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from typing import Any

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import (
    chaincode_pb2,
    chaincode_shim_pb2,
    chaincode_shim_pb2_grpc,
    proposal_pb2,
    proposal_response_pb2,
)

Msg = chaincode_shim_pb2.ChaincodeMessage
TIMEOUT = 2.0


def signed_proposal(msp_id: str, cert: bytes, seconds: int, nanos: int, tx_id: str) -> Any:
    """A SignedProposal whose headers carry the creator and the timestamp (not really signed)."""
    channel_header = common_pb2.ChannelHeader(tx_id=tx_id, channel_id="deposits")
    channel_header.timestamp.seconds = seconds
    channel_header.timestamp.nanos = nanos
    creator = identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=cert)
    signature_header = common_pb2.SignatureHeader(creator=creator.SerializeToString(), nonce=b"n")
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=signature_header.SerializeToString(),
    )
    proposal = proposal_pb2.Proposal(header=header.SerializeToString())
    return proposal_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"sig")


class FakePeer:
    def __init__(self, state: dict[str, bytes] | None = None, *, page_size: int = 2, seed: int = 7) -> None:
        self.state: dict[str, bytes] = dict(state or {})
        self.page_size = page_size
        self.error_keys: set[str] = set()  # GET_STATE / PUT_STATE on these keys is answered with ERROR
        self.fail_next_page = False  # QUERY_STATE_NEXT is answered with ERROR
        self.registered_as: str | None = None
        self.received: list[Any] = []  # every message from the chaincode after REGISTER
        self.overlaps: list[str] = []  # txids with two ledger calls in flight at once (must stay empty)
        self._random = random.Random(seed)
        self._iterators: dict[str, list[tuple[str, bytes]]] = {}
        self._next_iterator = 0
        self._in_flight: set[tuple[str, str]] = set()
        self._completions: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._keepalives: asyncio.Queue[Any] = asyncio.Queue()
        self._outbox: asyncio.Queue[Any] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self.ended = asyncio.Event()

    async def connect(
        self, port: int, *, ready: bool = True, credentials: grpc.ChannelCredentials | None = None
    ) -> None:
        """Open the stream (over TLS with credentials) and do the REGISTER / REGISTERED / READY handshake."""
        target = f"127.0.0.1:{port}"
        if credentials is None:
            self._channel = grpc.aio.insecure_channel(target)
        else:
            self._channel = grpc.aio.secure_channel(target, credentials)
        self._call = chaincode_shim_pb2_grpc.ChaincodeStub(self._channel).Connect()
        try:
            register = await asyncio.wait_for(self._call.read(), TIMEOUT)
        except grpc.aio.AioRpcError:
            await self._channel.close()  # refused (e.g. in the TLS handshake): nothing else to tear down
            raise
        assert register.type == Msg.REGISTER
        self.registered_as = chaincode_pb2.ChaincodeID.FromString(register.payload).name
        await self._call.write(Msg(type=Msg.REGISTERED))
        if ready:
            await self._call.write(Msg(type=Msg.READY))
        self._spawn(self._write_loop())
        self._spawn(self._read_loop())

    async def close(self) -> None:
        self._outbox.put_nowait(None)
        await asyncio.wait_for(self.ended.wait(), TIMEOUT)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._channel.close()

    def send(self, message: Any) -> None:
        self._outbox.put_nowait(message)

    async def invoke(
        self,
        *args: bytes,
        txid: str,
        channel: str = "deposits",
        proposal: Any = None,
        msg_type: int = Msg.TRANSACTION,
    ) -> Any:
        """Send one transaction and return the chaincode's COMPLETED message for it."""
        key = (channel, txid)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._completions[key] = future
        message = Msg(
            type=msg_type,
            txid=txid,
            channel_id=channel,
            payload=chaincode_pb2.ChaincodeInput(args=list(args)).SerializeToString(),
        )
        if proposal is not None:
            message.proposal.CopyFrom(proposal)
        self.send(message)
        return await asyncio.wait_for(future, TIMEOUT)

    async def keepalive(self) -> Any:
        self.send(Msg(type=Msg.KEEPALIVE))
        return await asyncio.wait_for(self._keepalives.get(), TIMEOUT)

    def of_type(self, msg_type: int) -> list[Any]:
        return [m for m in self.received if m.type == msg_type]

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write_loop(self) -> None:
        while (message := await self._outbox.get()) is not None:
            await self._call.write(message)
        await self._call.done_writing()

    async def _read_loop(self) -> None:
        try:
            while (message := await self._call.read()) is not grpc.aio.EOF:
                self.received.append(message)
                key = (message.channel_id, message.txid)
                if message.type == Msg.KEEPALIVE:
                    self._keepalives.put_nowait(message)
                elif message.type == Msg.COMPLETED:
                    self._completions.pop(key).set_result(message)
                elif message.type == Msg.ERROR:
                    pass  # the chaincode refused a transaction outright; tests look in `received`
                else:
                    if key in self._in_flight:
                        self.overlaps.append(message.txid)
                    self._in_flight.add(key)
                    self._spawn(self._answer(message))
        except grpc.aio.AioRpcError:
            pass
        finally:
            self.ended.set()

    async def _answer(self, message: Any) -> None:
        await asyncio.sleep(self._random.random() / 1000)
        kind, payload = self._ledger(message)
        self._in_flight.discard((message.channel_id, message.txid))
        self.send(Msg(type=kind, payload=payload, txid=message.txid, channel_id=message.channel_id))

    def _ledger(self, message: Any) -> tuple[int, bytes]:
        t = message.type
        if t == Msg.GET_STATE:
            key = chaincode_shim_pb2.GetState.FromString(message.payload).key
            if key in self.error_keys:
                return Msg.ERROR, f"cannot read {key}".encode()
            return Msg.RESPONSE, self.state.get(key, b"")
        if t == Msg.PUT_STATE:
            put = chaincode_shim_pb2.PutState.FromString(message.payload)
            if put.key in self.error_keys:
                return Msg.ERROR, f"cannot write {put.key}".encode()
            self.state[put.key] = put.value
            return Msg.RESPONSE, b""
        if t == Msg.DEL_STATE:
            self.state.pop(chaincode_shim_pb2.DelState.FromString(message.payload).key, None)
            return Msg.RESPONSE, b""
        if t == Msg.GET_STATE_BY_RANGE:
            query = chaincode_shim_pb2.GetStateByRange.FromString(message.payload)
            rows = [
                (k, v)
                for k, v in sorted(self.state.items())
                if k >= query.startKey and (not query.endKey or k < query.endKey)
            ]
            self._next_iterator += 1
            iterator_id = f"it{self._next_iterator}"
            self._iterators[iterator_id] = rows
            return Msg.RESPONSE, self._page(iterator_id)
        if t == Msg.QUERY_STATE_NEXT:
            iterator_id = chaincode_shim_pb2.QueryStateNext.FromString(message.payload).id
            if self.fail_next_page:
                return Msg.ERROR, b"iterator broke"
            return Msg.RESPONSE, self._page(iterator_id)
        if t == Msg.QUERY_STATE_CLOSE:
            iterator_id = chaincode_shim_pb2.QueryStateClose.FromString(message.payload).id
            self._iterators.pop(iterator_id, None)
            return Msg.RESPONSE, chaincode_shim_pb2.QueryResponse(id=iterator_id).SerializeToString()
        return Msg.ERROR, f"unsupported message type {t}".encode()

    def _page(self, iterator_id: str) -> bytes:
        rows = self._iterators[iterator_id]
        page, rest = rows[: self.page_size], rows[self.page_size :]
        self._iterators[iterator_id] = rest
        if not rest:
            del self._iterators[iterator_id]  # like the peer: an exhausted iterator is freed
        return self._query_response(iterator_id, page, has_more=bool(rest))

    @staticmethod
    def _query_response(iterator_id: str, rows: Iterable[tuple[str, bytes]], *, has_more: bool) -> bytes:
        response = chaincode_shim_pb2.QueryResponse(id=iterator_id, has_more=has_more)
        for key, value in rows:
            kv = kv_query_result_pb2.KV(namespace="deposits", key=key, value=value)
            response.results.add(resultBytes=kv.SerializeToString())
        return response.SerializeToString()


def response_of(completed: Any) -> Any:
    """The peer.Response inside a COMPLETED message."""
    assert completed.type == Msg.COMPLETED, completed
    return proposal_response_pb2.Response.FromString(completed.payload)
