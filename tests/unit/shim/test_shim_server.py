"""The shim against a fake peer over a real gRPC connection on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fabric_protos.peer import chaincode_event_pb2
from shim_fake_peer import TIMEOUT, FakePeer, Msg, response_of, signed_proposal

import chaincode.shim as shim
from chaincode.shim import ChaincodeServer, Failure, HandlerResult, Success
from chaincode.stub import ChaincodeStub, ShimError

CHAINCODE_ID = "deposits_1.0:0123abcd"


async def contract(stub: ChaincodeStub) -> HandlerResult:
    """A tiny contract exercising every stub call; args[0] names the function."""
    function, *params = stub.args
    if function == b"get":
        value = await stub.get_state(params[0].decode())
        return Success(b"<none>" if value is None else value)
    if function == b"copy":  # read one key, write another, delete the source
        source, target = params[0].decode(), params[1].decode()
        value = await stub.get_state(source)
        if value is None:
            return Failure(f"NOT_FOUND: {source}")
        await stub.put_state(target, value + b"!")
        await stub.del_state(source)
        return Success(value)
    if function == b"gather":  # several ledger calls of one transaction started at once
        values = await asyncio.gather(*(stub.get_state(key.decode()) for key in params))
        return Success(b",".join(value or b"-" for value in values))
    if function == b"try-get":  # reports the ShimError instead of letting it escape
        try:
            await stub.get_state(params[0].decode())
        except ShimError as exc:
            return Failure(f"SHIM: {exc}")
        return Success(b"no error")
    if function == b"range":
        rows = await stub.get_state_by_range(params[0].decode(), params[1].decode())
        return Success(b";".join(k.encode() + b"=" + v for k, v in rows))
    if function == b"event":
        stub.set_event("First", b"1")
        stub.set_event("Moved", params[0])
        return Success(b"ok")
    if function == b"event-then-fail":
        stub.set_event("Moved", b"x")
        return Failure("REJECTED: no")
    if function == b"whoami":
        creator, ts = stub.creator, stub.tx_timestamp
        text = f"{creator.msp_id}|{creator.id_bytes.decode()}|{ts.seconds}|{ts.nanos}|{stub.tx_id}"
        return Success(f"{text}|{stub.channel_id}".encode())
    if function == b"boom":
        raise RuntimeError("kaput")
    if function == b"slow":
        await asyncio.sleep(0.2)
        return Success(b"slow done")
    return Failure(f"UNKNOWN_FUNCTION: {function!r}")


def run_with_peer(
    body: Callable[[FakePeer], Awaitable[None]], peer: FakePeer | None = None, handler: Any = contract
) -> FakePeer:
    """Start a server on a free port, connect the fake peer, run body, tear everything down."""

    async def main() -> FakePeer:
        the_peer = peer or FakePeer()
        async with ChaincodeServer(handler, "127.0.0.1:0", CHAINCODE_ID) as server:
            assert server.port > 0
            await the_peer.connect(server.port)
            try:
                await body(the_peer)
            finally:
                await the_peer.close()
        return the_peer

    return asyncio.run(main())


def test_registers_with_its_chaincode_id_and_answers_keepalive() -> None:
    async def body(peer: FakePeer) -> None:
        echoed = await peer.keepalive()
        assert echoed.type == Msg.KEEPALIVE

    peer = run_with_peer(body)
    assert peer.registered_as == CHAINCODE_ID


def test_a_transaction_reads_writes_and_deletes() -> None:
    async def body(peer: FakePeer) -> None:
        completed = await peer.invoke(b"copy", b"a", b"b", txid="tx1")
        assert (completed.channel_id, completed.txid) == ("deposits", "tx1")
        response = response_of(completed)
        assert (response.status, response.payload) == (200, b"A")
        assert not completed.HasField("chaincode_event")
        missing = response_of(await peer.invoke(b"get", b"a", txid="tx2"))
        assert (missing.status, missing.payload) == (200, b"<none>")

    peer = run_with_peer(body, FakePeer({"a": b"A"}))
    assert peer.state == {"b": b"A!"}
    kinds = [m.type for m in peer.received]
    assert kinds == [Msg.GET_STATE, Msg.PUT_STATE, Msg.DEL_STATE, Msg.COMPLETED, Msg.GET_STATE, Msg.COMPLETED]


def test_init_messages_are_handled_like_transactions() -> None:
    async def body(peer: FakePeer) -> None:
        completed = await peer.invoke(b"get", b"a", txid="init1", msg_type=Msg.INIT)
        assert response_of(completed).payload == b"A"

    run_with_peer(body, FakePeer({"a": b"A"}))


def test_fifty_concurrent_transactions_on_one_stream_all_complete_correctly() -> None:
    count = 50
    state = {f"src{i:02}": f"v{i}".encode() for i in range(count)}

    async def body(peer: FakePeer) -> None:
        invocations = [
            peer.invoke(b"copy", f"src{i:02}".encode(), f"dst{i:02}".encode(), txid=f"tx{i}") for i in range(count)
        ]
        # Same txid on two channels is two transactions: the correlation key is (channel, txid).
        invocations.append(peer.invoke(b"get", b"src00", txid="tx0", channel="other"))
        completed = await asyncio.gather(*invocations)
        for i, message in enumerate(completed[:count]):
            assert message.txid == f"tx{i}"
            assert (response_of(message).status, response_of(message).payload) == (200, f"v{i}".encode())
        assert completed[count].channel_id == "other"

    peer = run_with_peer(body, FakePeer(state))
    assert peer.state == {f"dst{i:02}": f"v{i}!".encode() for i in range(count)}
    assert peer.overlaps == []
    # The replies were interleaved across transactions, so the multiplexing was really exercised.
    requests = [m.txid for m in peer.received if m.type == Msg.GET_STATE]
    assert requests != sorted(requests, key=lambda txid: int(txid[2:]))


def test_ledger_calls_gathered_in_one_transaction_are_sent_one_at_a_time() -> None:
    async def body(peer: FakePeer) -> None:
        response = response_of(await peer.invoke(b"gather", b"a", b"b", b"c", b"d", txid="tx1"))
        assert response.payload == b"A,B,-,D"

    peer = run_with_peer(body, FakePeer({"a": b"A", "b": b"B", "d": b"D"}))
    assert peer.overlaps == []
    assert len(peer.of_type(Msg.GET_STATE)) == 4


def test_a_peer_error_reply_raises_shim_error_in_the_handler() -> None:
    peer = FakePeer()
    peer.error_keys.add("locked")

    async def body(peer: FakePeer) -> None:
        handled = response_of(await peer.invoke(b"try-get", b"locked", txid="tx1"))
        assert (handled.status, handled.message) == (500, "SHIM: cannot read locked")
        escaped = response_of(await peer.invoke(b"copy", b"locked", b"x", txid="tx2"))
        assert (escaped.status, escaped.message) == (500, "ShimError: cannot read locked")

    run_with_peer(body, peer)


def test_a_handler_exception_completes_the_transaction_with_500() -> None:
    async def body(peer: FakePeer) -> None:
        response = response_of(await peer.invoke(b"boom", txid="tx1"))
        assert (response.status, response.message) == (500, "RuntimeError: kaput")
        # The connection is still usable afterwards.
        assert response_of(await peer.invoke(b"get", b"a", txid="tx2")).status == 200

    run_with_peer(body)


def test_a_handler_returning_a_wrong_type_completes_with_500() -> None:
    async def sloppy(stub: ChaincodeStub) -> Any:
        return b"not a result"

    async def body(peer: FakePeer) -> None:
        response = response_of(await peer.invoke(b"x", txid="tx1"))
        assert response.status == 500
        assert "not a HandlerResult" in response.message

    run_with_peer(body, handler=sloppy)


def test_the_event_reaches_the_completed_message() -> None:
    async def body(peer: FakePeer) -> None:
        completed = await peer.invoke(b"event", b'{"amount": "1.00"}', txid="tx1")
        assert response_of(completed).status == 200
        assert completed.HasField("chaincode_event")
        expected = chaincode_event_pb2.ChaincodeEvent(tx_id="tx1", event_name="Moved", payload=b'{"amount": "1.00"}')
        assert completed.chaincode_event == expected
        failed = await peer.invoke(b"event-then-fail", txid="tx2")
        assert response_of(failed).status == 500
        assert not failed.HasField("chaincode_event")

    run_with_peer(body)


def test_a_range_query_fetches_every_page() -> None:
    state = {f"k{i}": f"v{i}".encode() for i in range(7)}

    async def body(peer: FakePeer) -> None:
        response = response_of(await peer.invoke(b"range", b"k1", b"k6", txid="tx1"))
        assert response.payload == b"k1=v1;k2=v2;k3=v3;k4=v4;k5=v5"
        unbounded = response_of(await peer.invoke(b"range", b"k5", b"", txid="tx2"))
        assert unbounded.payload == b"k5=v5;k6=v6"

    peer = run_with_peer(body, FakePeer(state, page_size=2))
    # tx1: 5 rows in pages of 2, 2, 1 → two QUERY_STATE_NEXT; tx2: 2 rows fit the first page → none.
    assert [m.txid for m in peer.of_type(Msg.QUERY_STATE_NEXT)] == ["tx1", "tx1"]
    assert peer.of_type(Msg.QUERY_STATE_CLOSE) == []  # exhausted iterators are freed by the peer


def test_a_range_query_failing_midway_closes_its_iterator_and_raises() -> None:
    peer = FakePeer({f"k{i}": b"v" for i in range(5)}, page_size=2)
    peer.fail_next_page = True

    async def body(peer: FakePeer) -> None:
        response = response_of(await peer.invoke(b"range", b"k0", b"k9", txid="tx1"))
        assert (response.status, response.message) == (500, "ShimError: iterator broke")

    run_with_peer(body, peer)
    (close,) = peer.of_type(Msg.QUERY_STATE_CLOSE)
    assert close.txid == "tx1"


def test_creator_and_timestamp_come_from_the_signed_proposal() -> None:
    proposal = signed_proposal("BankOrgMSP", b"-----BEGIN CERTIFICATE-----", 1_700_000_000, 42, "tx1")

    async def body(peer: FakePeer) -> None:
        response = response_of(await peer.invoke(b"whoami", txid="tx1", proposal=proposal))
        assert response.payload == b"BankOrgMSP|-----BEGIN CERTIFICATE-----|1700000000|42|tx1|deposits"
        without = response_of(await peer.invoke(b"whoami", txid="tx2"))
        assert (without.status, without.message) == (500, "ValueError: the transaction carries no signed proposal")

    run_with_peer(body)


def test_a_duplicate_transaction_id_in_flight_is_refused() -> None:
    async def body(peer: FakePeer) -> None:
        first = asyncio.ensure_future(peer.invoke(b"slow", txid="tx1"))
        await asyncio.sleep(0.05)
        peer.send(Msg(type=Msg.TRANSACTION, txid="tx1", channel_id="deposits"))
        await asyncio.sleep(0.05)
        refused = [m for m in peer.received if m.type == Msg.ERROR]
        assert [m.payload for m in refused] == [b"duplicate transaction id"]
        assert response_of(await first).payload == b"slow done"

    run_with_peer(body)


def test_stop_lets_running_transactions_finish_and_ends_the_stream() -> None:
    async def main() -> None:
        peer = FakePeer()
        server = ChaincodeServer(contract, "127.0.0.1:0", CHAINCODE_ID)
        await server.start()
        await peer.connect(server.port)
        running = asyncio.ensure_future(peer.invoke(b"slow", txid="tx1"))
        await asyncio.sleep(0.05)
        await asyncio.wait_for(server.stop(grace=TIMEOUT), TIMEOUT)
        assert response_of(await running).payload == b"slow done"
        await asyncio.wait_for(peer.ended.wait(), TIMEOUT)
        await peer.close()

    asyncio.run(main())


def test_a_peer_that_skips_ready_gets_its_stream_ended() -> None:
    async def main() -> None:
        peer = FakePeer()
        async with ChaincodeServer(contract, "127.0.0.1:0", CHAINCODE_ID) as server:
            await peer.connect(server.port, ready=False)
            peer.send(Msg(type=Msg.TRANSACTION, txid="tx1", channel_id="deposits"))
            await asyncio.wait_for(peer.ended.wait(), TIMEOUT)
            await peer.close()
        assert peer.received == []

    asyncio.run(main())


def test_a_peer_may_reconnect() -> None:
    async def main() -> None:
        async with ChaincodeServer(contract, "127.0.0.1:0", CHAINCODE_ID) as server:
            first, second = FakePeer({"a": b"1"}), FakePeer({"a": b"2"})
            await first.connect(server.port)
            await second.connect(server.port)
            one, two = await asyncio.gather(first.invoke(b"get", b"a", txid="t"), second.invoke(b"get", b"a", txid="t"))
            assert (response_of(one).payload, response_of(two).payload) == (b"1", b"2")
            await first.close()
            third = FakePeer({"a": b"3"})
            await third.connect(server.port)
            assert response_of(await third.invoke(b"get", b"a", txid="t")).payload == b"3"
            await second.close()
            await third.close()

    asyncio.run(main())


def test_public_names() -> None:
    assert sorted(shim.__all__) == [
        "ChaincodeServer",
        "Failure",
        "Handler",
        "HandlerResult",
        "ServerTls",
        "Success",
        "serve",
    ]
    for name in shim.__all__:
        assert getattr(shim, name) is not None
