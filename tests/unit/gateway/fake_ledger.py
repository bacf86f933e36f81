"""A fake ledger for the gateway's unit tests: the real contract, run in memory on `MemoryStub`.

It implements the same `gateway.ledger.Ledger` Protocol as `FabricLedger`: endorse simulates the
transaction, submit validates and commits it (MVCC/phantom checks as Fabric's), evaluate simulates only.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

from chaincode.contract import Err, invoke
from chaincode.errors import parse_error
from chaincode.memory_stub import CommitConflict, MemoryStub, WorldState
from chaincode.stub import Creator, TxTimestamp
from gateway.directory import Caller
from gateway.errors import ChaincodeRejected, CommitUnknown, RetryableConflict
from gateway.ledger import Endorsed, EventStream, LedgerEvent, TxStatus


@dataclass
class _Events:
    """The events committed so far; the stream ends there (a live one would wait for more)."""

    events: list[LedgerEvent]

    def __iter__(self) -> Iterator[LedgerEvent]:
        return iter(self.events)

    def close(self) -> None:
        pass


@dataclass
class FakeLedger:
    world: WorldState = field(default_factory=WorldState)
    pending: dict[bytes, MemoryStub] = field(default_factory=dict)
    committed: dict[str, TxStatus] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def _run(self, caller: Caller, function: str, args: list[bytes]) -> tuple[MemoryStub, bytes]:
        n = next(self._ids)
        cert = next((caller.msp_dir / "signcerts").iterdir()).read_bytes()
        stub = MemoryStub(
            self.world,
            creator=Creator(caller.msp_id, cert),
            args=[function.encode(), *args],
            tx_id=f"{n:064x}",
            timestamp=TxTimestamp(1_800_000_000 + n, 0),
        )
        result = asyncio.run(invoke(stub))
        if isinstance(result, Err):
            parsed = parse_error(result.message)
            assert parsed is not None, result.message
            raise ChaincodeRejected(parsed[0].value, parsed[1])
        return stub, result.payload

    def endorse(self, caller: Caller, function: str, args: list[bytes]) -> Endorsed:
        stub, payload = self._run(caller, function, args)
        envelope = f"envelope-{stub.tx_id}".encode()
        self.pending[envelope] = stub
        return Endorsed(stub.tx_id, envelope, payload)

    def submit(self, caller: Caller, envelope: bytes, wait: int | None = None) -> TxStatus:
        stub = self.pending.pop(envelope)
        try:
            stub.commit()
        except CommitConflict as exc:
            raise RetryableConflict(exc.validation_code) from exc
        status = TxStatus(stub.tx_id, True, True, "VALID", self.world.height)
        self.committed[stub.tx_id] = status
        return status

    def status(self, caller: Caller, tx_id: str, wait: int | None = None) -> TxStatus:
        if tx_id not in self.committed:
            raise CommitUnknown(f"{tx_id} not committed")
        return self.committed[tx_id]

    def evaluate(self, caller: Caller, function: str, args: list[bytes]) -> bytes:
        return self._run(caller, function, args)[1]

    def events(self, caller: Caller, start_block: int | None, after_tx_id: str | None) -> EventStream:
        return _Events([LedgerEvent(0, e.tx_id, e.name, e.payload) for e in self.world.events])

    def close(self) -> None:
        pass
