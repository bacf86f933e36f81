"""A fake ledger for the gateway's unit tests: the real contract, run in memory on `MemoryStub`.

It implements the same `gateway.ledger.Ledger` Protocol as `FabricLedger`: endorse simulates the
transaction, submit validates and commits it (MVCC/phantom checks as Fabric's), evaluate simulates only.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from chaincode import domain
from chaincode.contract import Err, invoke
from chaincode.errors import parse_error
from chaincode.memory_stub import CommitConflict, MemoryStub, WorldState
from chaincode.state import currency_state
from chaincode.stub import Creator, TxTimestamp
from gateway.directory import Caller
from gateway.errors import ChaincodeRejected, CommitUnknown, RetryableConflict
from gateway.ledger import Endorsed, LedgerEvent, LedgerTransaction, TxStatus, Unsigned


@dataclass
class FakeLedger:
    world: WorldState = field(default_factory=WorldState)
    pending: dict[bytes, MemoryStub] = field(default_factory=dict)
    committed: dict[str, TxStatus] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)
    event_blocks: list[int] = field(default_factory=list)  # the block of each world event, in order
    event_readers: list[str] = field(default_factory=list)  # the caller of each events() call
    offline: dict[str, Caller] = field(default_factory=dict)  # proposals waiting for their creator's signature

    def __post_init__(self) -> None:
        # The registry `deposits network up` makes, as far as these tests use it.
        codes = {"EUR": 2, "USD": 2}
        self.world.seed([currency_state(domain.Currency(k, v)) for k, v in codes.items()])

    def _run(self, caller: Caller, function: str, args: list[bytes]) -> tuple[MemoryStub, bytes]:
        n = next(self._ids)
        cert = caller.certificate_pem()
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
        self.event_blocks += [self.world.height] * (len(self.world.events) - len(self.event_blocks))
        return status

    def status(self, caller: Caller, tx_id: str, wait: int | None = None) -> TxStatus:
        if tx_id not in self.committed:
            raise CommitUnknown(f"{tx_id} not committed")
        return self.committed[tx_id]

    def evaluate(self, caller: Caller, function: str, args: list[bytes]) -> bytes:
        return self._run(caller, function, args)[1]

    def transaction(self, caller: Caller, tx_id: str) -> LedgerTransaction:
        found = next((e for e in self.world.events if e.tx_id == tx_id), None)
        return LedgerTransaction(
            tx_id, "VALID", None if found is None else found.name, None if found is None else found.payload
        )

    def height(self, caller: Caller) -> int:
        return self.world.height + 1  # blocks 0..world.height: the genesis block, then one per commit

    def events(self, caller: Caller, start_block: int | None, after_tx_id: str | None) -> FakeEvents:
        self.event_readers.append(caller.ref)
        return FakeEvents(self, start_block, after_tx_id)

    def propose_offline(self, via: Caller, creator: Caller, function: str, args: list[bytes]) -> Unsigned:
        tx_id = f"{next(self._ids):064x}"
        data = json.dumps([creator.msp_id, creator.certificate_pem().decode(), function, [a.hex() for a in args]])
        self.offline[tx_id] = creator
        return Unsigned(tx_id, data.encode(), hashlib.sha256(data.encode()).digest())

    def endorse_offline(self, via: Caller, proposal: Unsigned, signature: bytes) -> Unsigned:
        _, _, function, args = json.loads(proposal.data)
        endorsed = self.endorse(self.offline.pop(proposal.tx_id), function, [bytes.fromhex(a) for a in args])
        return Unsigned(endorsed.tx_id, endorsed.envelope, hashlib.sha256(endorsed.envelope).digest(), endorsed.result)

    def submit_offline(self, via: Caller, transaction: Unsigned, signature: bytes, wait: int | None = None) -> TxStatus:
        return self.submit(via, transaction.data, wait)

    def close(self) -> None:
        pass


class FakeEvents:
    """A live stream over the fake's committed events, like the peer's: from start_block (None: the next
    commit), skipping the start block's events up to after_tx_id; blocks until closed."""

    def __init__(self, ledger: FakeLedger, start_block: int | None, after_tx_id: str | None) -> None:
        self._ledger = ledger
        self._closed = threading.Event()
        self._next = len(ledger.world.events) if start_block is None else 0
        self._start_block = start_block or 0
        self._skip_through = after_tx_id

    def __iter__(self) -> Iterator[LedgerEvent]:
        while not self._closed.is_set():
            events, blocks = self._ledger.world.events, self._ledger.event_blocks
            while self._next < min(len(events), len(blocks)):
                e, block = events[self._next], blocks[self._next]
                self._next += 1
                if block < self._start_block:
                    continue
                if self._skip_through is not None and block == self._start_block:
                    if e.tx_id == self._skip_through:
                        self._skip_through = None
                    continue
                yield LedgerEvent(block, e.tx_id, e.name, e.payload)
            self._closed.wait(0.01)

    def close(self) -> None:
        self._closed.set()
