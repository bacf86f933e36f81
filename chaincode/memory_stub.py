"""An in-memory `ChaincodeStub` and world state, for unit tests and in-process fakes.

It behaves like a peer where it matters to the contract:

- Simulation reads committed state only (a transaction does not see its own writes), and range reads
  come back in key order.
- Writes go to the stub's write set; `commit()` validates the read set against the world as Fabric does
  — every key read must still have the version it had (else MVCC_READ_CONFLICT), every range read must
  return the same keys at the same versions (else PHANTOM_READ_CONFLICT) — and only then applies them.
  Call `commit()` only after a successful invoke: a failed transaction's writes are never applied.
- The last `set_event` wins, and a committed event is appended to `WorldState.events`.

Usage::

    world = WorldState()
    stub = MemoryStub(world, creator=..., args=[b"mint", b"{...}"], tx_id="tx1", timestamp=TxTimestamp(1, 0))
    if isinstance(await invoke(stub), Ok):
        stub.commit()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from chaincode.stub import Creator, ShimError, TxTimestamp


class CommitConflict(Exception):
    """The transaction is invalid at commit; `validation_code` is Fabric's name for why."""

    def __init__(self, validation_code: str, key: str) -> None:
        super().__init__(f"{validation_code} on {key!r}")
        self.validation_code = validation_code
        self.key = key


@dataclass(frozen=True, slots=True)
class CommittedEvent:
    tx_id: str
    name: str
    payload: bytes


@dataclass
class WorldState:
    """Committed state shared by every stub: values, versions (the commit that last wrote a key), events."""

    data: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    events: list[CommittedEvent] = field(default_factory=list)
    height: int = 0
    # Key-level endorsement: the MSPs whose peers must endorse a write of the key (Fabric's validator checks
    # it; here it is recorded, for tests to see what the contract asked for).
    endorsers: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def seed(self, entries: Sequence[tuple[str, bytes]]) -> None:
        """Put committed state directly (a test's starting world, e.g. the currency registry), as block 0."""
        for key, value in entries:
            self.data[key] = value
            self.versions[key] = 0

    def range(self, start_key: str, end_key: str) -> list[str]:
        """Keys with start_key <= key < end_key (no upper bound when end_key is empty), in order."""
        return sorted(k for k in self.data if start_key <= k and (not end_key or k < end_key))


class MemoryStub:
    """One transaction's stub over a `WorldState` (implements `chaincode.stub.ChaincodeStub`)."""

    def __init__(
        self,
        world: WorldState,
        *,
        creator: Creator,
        args: Sequence[bytes],
        tx_id: str,
        timestamp: TxTimestamp,
        channel_id: str = "deposits",
    ) -> None:
        self._world = world
        self._creator = creator
        self._args = list(args)
        self._tx_id = tx_id
        self._timestamp = timestamp
        self._channel_id = channel_id
        self.reads: dict[str, int | None] = {}
        self.range_reads: list[tuple[str, str, list[tuple[str, int]]]] = []
        self.writes: dict[str, bytes | None] = {}  # None: delete
        self.endorser_writes: dict[str, tuple[str, ...]] = {}
        self.event: tuple[str, bytes] | None = None
        self.committed = False
        self.paginated = False  # Fabric refuses to commit writes after a paginated query

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
        return self._creator

    @property
    def tx_timestamp(self) -> TxTimestamp:
        return self._timestamp

    async def get_state(self, key: str) -> bytes | None:
        _check_key(key)
        self.reads.setdefault(key, self._world.versions.get(key))
        return self._world.data.get(key)

    async def put_state(self, key: str, value: bytes) -> None:
        _check_key(key)
        if self.paginated:
            raise ShimError(f"txid [{self._tx_id}]: transaction has already performed a paginated query")
        self.writes[key] = bytes(value)

    async def del_state(self, key: str) -> None:
        _check_key(key)
        self.writes[key] = None

    async def get_state_by_range(self, start_key: str, end_key: str) -> list[tuple[str, bytes]]:
        keys = self._world.range(start_key, end_key)
        self.range_reads.append((start_key, end_key, [(k, self._world.versions[k]) for k in keys]))
        return [(k, self._world.data[k]) for k in keys]

    async def get_state_by_range_page(
        self, start_key: str, end_key: str, page_size: int
    ) -> tuple[list[tuple[str, bytes]], str]:
        if page_size < 1:
            raise ShimError("page size must be positive")
        keys = self._world.range(start_key, end_key)
        self.paginated = True
        page, rest = keys[:page_size], keys[page_size:]
        return [(k, self._world.data[k]) for k in page], (rest[0] if rest else "")

    def set_event(self, name: str, payload: bytes) -> None:
        self.event = (name, bytes(payload))

    async def set_state_endorsers(self, key: str, msp_ids: Sequence[str]) -> None:
        _check_key(key)
        if not msp_ids:
            raise ShimError("no MSP named")
        self.endorser_writes[key] = tuple(msp_ids)

    @property
    def write_keys(self) -> frozenset[str]:
        return frozenset(self.writes)

    @property
    def read_keys(self) -> frozenset[str]:
        """Every key read, single or in a range."""
        in_ranges = {k for _, _, found in self.range_reads for k, _ in found}
        return frozenset(self.reads) | in_ranges

    def validate(self) -> None:
        """Raises CommitConflict when the world changed under this transaction's reads."""
        for key, version in sorted(self.reads.items()):
            if self._world.versions.get(key) != version:
                raise CommitConflict("MVCC_READ_CONFLICT", key)
        for start, end, seen in self.range_reads:
            now = [(k, self._world.versions[k]) for k in self._world.range(start, end)]
            if now != seen:
                raise CommitConflict("PHANTOM_READ_CONFLICT", start)

    def commit(self) -> None:
        """Validate, then apply the write set and the event. Raises CommitConflict (nothing applied), or
        RuntimeError when committed twice."""
        if self.committed:
            raise RuntimeError(f"transaction {self._tx_id} is already committed")
        self.validate()
        self._world.height += 1
        for key, value in sorted(self.writes.items()):
            if value is None:
                self._world.data.pop(key, None)
                self._world.versions.pop(key, None)
            else:
                self._world.data[key] = value
                self._world.versions[key] = self._world.height
        self._world.endorsers.update(self.endorser_writes)
        if self.event is not None:
            self._world.events.append(CommittedEvent(self._tx_id, *self.event))
        self.committed = True


def _check_key(key: str) -> None:
    if not key:
        raise ShimError("key must not be empty")
