"""The in-memory stub behaves like a peer where the contract depends on it."""

from __future__ import annotations

import asyncio

import pytest
from chaincode_fixtures import who

from chaincode.memory_stub import CommitConflict, MemoryStub, WorldState
from chaincode.stub import ShimError, TxTimestamp


def stub(world: WorldState, tx_id: str = "t1") -> MemoryStub:
    return MemoryStub(
        world, creator=who("auditor").creator, args=[b"f", b"{}"], tx_id=tx_id, timestamp=TxTimestamp(1, 2)
    )


def test_properties() -> None:
    s = stub(WorldState())
    assert (s.tx_id, s.channel_id, list(s.args), s.creator, s.tx_timestamp) == (
        "t1",
        "deposits",
        [b"f", b"{}"],
        who("auditor").creator,
        TxTimestamp(1, 2),
    )


def test_no_read_your_writes_and_commit_applies() -> None:
    world = WorldState()
    s = stub(world)

    async def run() -> None:
        await s.put_state("k", b"v")
        assert await s.get_state("k") is None
        assert await s.get_state_by_range("", "") == []

    asyncio.run(run())
    assert world.data == {}
    s.set_event("A", b"1")
    s.set_event("B", b"2")
    s.commit()
    assert world.data == {"k": b"v"} and [(e.name, e.payload) for e in world.events] == [("B", b"2")]
    with pytest.raises(RuntimeError):
        s.commit()


def test_ranges_are_sorted_and_half_open() -> None:
    world = WorldState(data={k: k.encode() for k in ("c", "a", "b", "d")}, versions=dict.fromkeys("abcd", 1))
    s = stub(world)
    assert [k for k, _ in asyncio.run(s.get_state_by_range("a", "c"))] == ["a", "b"]
    assert [k for k, _ in asyncio.run(s.get_state_by_range("b", ""))] == ["b", "c", "d"]


def test_mvcc_and_phantom_conflicts() -> None:
    world = WorldState()
    seed = stub(world, "t0")
    asyncio.run(seed.put_state("a", b"1"))
    seed.commit()
    reader, ranger, writer = stub(world, "t1"), stub(world, "t2"), stub(world, "t3")
    asyncio.run(reader.get_state("a"))
    asyncio.run(ranger.get_state_by_range("b", "c"))
    asyncio.run(writer.put_state("a", b"2"))
    asyncio.run(writer.put_state("b1", b"x"))
    writer.commit()
    with pytest.raises(CommitConflict) as exc:
        reader.commit()
    assert exc.value.validation_code == "MVCC_READ_CONFLICT"
    with pytest.raises(CommitConflict) as exc:
        ranger.commit()
    assert exc.value.validation_code == "PHANTOM_READ_CONFLICT"
    assert world.data == {"a": b"2", "b1": b"x"}


def test_deletes_and_empty_keys() -> None:
    world = WorldState(data={"a": b"1"}, versions={"a": 1})
    s = stub(world)
    asyncio.run(s.del_state("a"))
    s.commit()
    assert world.data == {} and world.versions == {}
    with pytest.raises(ShimError):
        asyncio.run(stub(world).put_state("", b"x"))
