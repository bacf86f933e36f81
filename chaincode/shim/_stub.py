"""One transaction's stub over the peer's chaincode protocol."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from chaincode.shim._proposal import read_proposal
from chaincode.shim._protos import (
    DecodeError,
    MessageType,
    chaincode_event_pb2,
    kv_query_result_pb2,
    msp_principal_pb2,
    policies_pb2,
    shim_pb2,
)
from chaincode.stub import Creator, ShimError, TxTimestamp

# Sends one request of the given message type and payload for this transaction and returns the peer's
# reply as (message type, payload).
Request = Callable[[int, bytes], Awaitable[tuple[int, bytes]]]


# The metadata key Fabric's validator reads a key-level endorsement policy from.
VALIDATION_PARAMETER = "VALIDATION_PARAMETER"


def peers_policy(msp_ids: Sequence[str]) -> bytes:
    """A serialized SignaturePolicyEnvelope: a peer of every one of msp_ids (in that order: deterministic bytes
    on every endorser, so their write sets agree)."""
    principals = [
        msp_principal_pb2.MSPPrincipal(
            principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
            principal=msp_principal_pb2.MSPRole(
                msp_identifier=msp, role=msp_principal_pb2.MSPRole.PEER
            ).SerializeToString(),
        )
        for msp in msp_ids
    ]
    rule = policies_pb2.SignaturePolicy(
        n_out_of=policies_pb2.SignaturePolicy.NOutOf(
            n=len(principals), rules=[policies_pb2.SignaturePolicy(signed_by=i) for i in range(len(principals))]
        )
    )
    envelope = policies_pb2.SignaturePolicyEnvelope(version=0, rule=rule, identities=principals)
    return bytes(envelope.SerializeToString())


class TransactionStub:
    """Implements `chaincode.stub.ChaincodeStub` for one INIT or TRANSACTION message.

    Ledger calls of one transaction are sent one at a time (the peer matches replies by channel and
    transaction id alone, so two calls in flight for one transaction could not be told apart); a
    contract that gathers several calls is therefore still correct, just not parallel.
    """

    def __init__(
        self,
        *,
        tx_id: str,
        channel_id: str,
        args: Sequence[bytes],
        signed_proposal: Any,
        request: Request,
    ) -> None:
        self._tx_id = tx_id
        self._channel_id = channel_id
        self._args = tuple(args)
        self._signed_proposal = signed_proposal
        self._request = request
        self._lock = asyncio.Lock()
        self._proposal_facts: tuple[Creator, TxTimestamp] | None = None
        self._event: tuple[str, bytes] | None = None

    @property
    def tx_id(self) -> str:
        return self._tx_id

    @property
    def channel_id(self) -> str:
        return self._channel_id

    @property
    def args(self) -> Sequence[bytes]:
        return self._args

    @property
    def creator(self) -> Creator:
        """Raises ValueError when the transaction has no decodable signed proposal."""
        return self._facts()[0]

    @property
    def tx_timestamp(self) -> TxTimestamp:
        """Raises ValueError when the transaction has no decodable signed proposal."""
        return self._facts()[1]

    def _facts(self) -> tuple[Creator, TxTimestamp]:
        if self._proposal_facts is None:
            self._proposal_facts = read_proposal(self._signed_proposal)
        return self._proposal_facts

    async def get_state(self, key: str) -> bytes | None:
        """The value of key, or None when absent. Raises ShimError when the peer answers ERROR."""
        payload = await self._call(MessageType.GET_STATE, shim_pb2.GetState(key=key))
        return payload or None

    async def put_state(self, key: str, value: bytes) -> None:
        """Raises ValueError for an empty key, ShimError when the peer answers ERROR."""
        if not key:
            raise ValueError("key must not be empty")
        await self._call(MessageType.PUT_STATE, shim_pb2.PutState(key=key, value=value))

    async def del_state(self, key: str) -> None:
        """Raises ShimError when the peer answers ERROR."""
        await self._call(MessageType.DEL_STATE, shim_pb2.DelState(key=key))

    async def get_state_by_range(self, start_key: str, end_key: str) -> list[tuple[str, bytes]]:
        """All (key, value) pairs with start_key <= key < end_key, in key order, every page fetched.

        An empty end_key means no upper bound (Fabric's meaning). Raises ShimError when the peer
        answers ERROR or a reply does not decode.
        """
        request = shim_pb2.GetStateByRange(startKey=start_key, endKey=end_key)
        response = self._query_response(await self._call(MessageType.GET_STATE_BY_RANGE, request))
        pairs: list[tuple[str, bytes]] = []
        try:
            while True:
                for result in response.results:
                    kv = kv_query_result_pb2.KV.FromString(result.resultBytes)
                    pairs.append((kv.key, kv.value))
                if not response.has_more:
                    return pairs
                next_page = shim_pb2.QueryStateNext(id=response.id)
                response = self._query_response(await self._call(MessageType.QUERY_STATE_NEXT, next_page))
        except (ShimError, DecodeError) as exc:
            # The peer frees an exhausted iterator itself, and all of a transaction's iterators when it
            # completes; one abandoned midway is closed here, best effort.
            with contextlib.suppress(ShimError):
                await self._call(MessageType.QUERY_STATE_CLOSE, shim_pb2.QueryStateClose(id=response.id))
            if isinstance(exc, DecodeError):
                raise ShimError(f"malformed range query result: {exc}") from exc
            raise

    async def get_state_by_range_page(
        self, start_key: str, end_key: str, page_size: int
    ) -> tuple[list[tuple[str, bytes]], str]:
        """At most page_size pairs from start_key, and the next page's start key ("" when exhausted).

        Fabric's pagination (QueryMetadata in the request): the peer answers the whole page at once with a
        QueryResponseMetadata holding the bookmark, the next key. Raises ValueError for page_size < 1,
        ShimError when the peer answers ERROR or a reply does not decode.
        """
        if page_size < 1:
            raise ValueError("page size must be positive")
        metadata = shim_pb2.QueryMetadata(pageSize=page_size, bookmark="").SerializeToString()
        request = shim_pb2.GetStateByRange(startKey=start_key, endKey=end_key, metadata=metadata)
        response = self._query_response(await self._call(MessageType.GET_STATE_BY_RANGE, request))
        try:
            pairs = [
                (kv.key, kv.value)
                for kv in (kv_query_result_pb2.KV.FromString(r.resultBytes) for r in response.results)
            ]
            bookmark = shim_pb2.QueryResponseMetadata.FromString(response.metadata).bookmark
        except DecodeError as exc:
            raise ShimError(f"malformed paginated range result: {exc}") from exc
        return pairs, str(bookmark)

    async def set_state_endorsers(self, key: str, msp_ids: Sequence[str]) -> None:
        """The key's validation parameter: a signature policy needing a peer of each MSP (all of them).
        Raises ValueError for an empty key or no MSP, ShimError when the peer answers ERROR."""
        if not key or not msp_ids:
            raise ValueError("a key and at least one MSP are needed")
        metadata = shim_pb2.StateMetadata(metakey=VALIDATION_PARAMETER, value=peers_policy(msp_ids))
        await self._call(MessageType.PUT_STATE_METADATA, shim_pb2.PutStateMetadata(key=key, metadata=metadata))

    def set_event(self, name: str, payload: bytes) -> None:
        """Attach the chaincode event (the last call wins). Raises ValueError for an empty name."""
        if not name:
            raise ValueError("event name must not be empty")
        self._event = (name, payload)

    def chaincode_event(self) -> Any:
        """The `ChaincodeEvent` message to send with COMPLETED, or None when no event was set."""
        if self._event is None:
            return None
        name, payload = self._event
        # The peer overwrites chaincode_id with the chaincode name (and tx_id) on receipt.
        return chaincode_event_pb2.ChaincodeEvent(tx_id=self._tx_id, event_name=name, payload=payload)

    @staticmethod
    def _query_response(payload: bytes) -> Any:
        try:
            return shim_pb2.QueryResponse.FromString(payload)
        except DecodeError as exc:
            raise ShimError(f"malformed range query response: {exc}") from exc

    async def _call(self, msg_type: int, request: Any) -> bytes:
        async with self._lock:
            reply_type, payload = await self._request(msg_type, request.SerializeToString())
        if reply_type == MessageType.RESPONSE:
            return payload
        if reply_type == MessageType.ERROR:
            raise ShimError(payload.decode("utf-8", errors="replace"))
        raise ShimError(f"unexpected reply of message type {reply_type}")
