"""The ledger port: what the service needs from Fabric. `FabricLedger` implements it on the Gateway API;
unit tests use a fake that runs the real contract in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from gateway.directory import Caller


@dataclass(frozen=True, slots=True)
class Endorsed:
    """An endorsed, signed transaction, not yet submitted: persist it to resubmit the same bytes."""

    tx_id: str
    envelope: bytes
    result: bytes


@dataclass(frozen=True, slots=True)
class Unsigned:
    """A step of offline signing: a proposal (or an endorsed transaction's payload) whose creator signs
    `digest` (SHA-256 of `data`) with a key the gateway does not hold. `result`: the chaincode's, once endorsed."""

    tx_id: str
    data: bytes
    digest: bytes
    result: bytes = b""


@dataclass(frozen=True, slots=True)
class TxStatus:
    tx_id: str
    found: bool
    valid: bool
    validation_code: str
    block_number: int | None


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    block_number: int
    tx_id: str
    name: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class LedgerTransaction:
    """A committed transaction: its validation code, the chaincode event it set (None: none) and the MSP IDs
    of the organisations that endorsed it, as its block records them."""

    tx_id: str
    validation_code: str
    event_name: str | None
    event_payload: bytes | None
    endorsers: tuple[str, ...] = ()


class EventStream(Protocol):
    def __iter__(self) -> Iterator[LedgerEvent]: ...

    def close(self) -> None: ...


class Ledger(Protocol):
    def endorse(self, caller: Caller, function: str, args: list[bytes]) -> Endorsed:
        """Raises ChaincodeRejected, RetryableConflict, LedgerUnavailable."""
        ...

    def submit(self, caller: Caller, envelope: bytes, wait: int | None = None) -> TxStatus:
        """Submit and wait for the commit, at most `wait` seconds (None: the client's default). Raises
        RetryableConflict (invalid by MVCC), ChaincodeRejected, LedgerUnavailable, CommitUnknown (not committed
        within the wait: the same envelope may still commit)."""
        ...

    def status(self, caller: Caller, tx_id: str, wait: int | None = None) -> TxStatus:
        """The commit status, waiting for the commit at most `wait` seconds (None: the client's default).
        Raises LedgerUnavailable, CommitUnknown (not committed within the wait)."""
        ...

    def evaluate(self, caller: Caller, function: str, args: list[bytes]) -> bytes:
        """Raises ChaincodeRejected, LedgerUnavailable."""
        ...

    def transaction(self, caller: Caller, tx_id: str) -> LedgerTransaction:
        """A committed transaction, read from the ledger (qscc). Raises LedgerUnavailable, ServiceError."""
        ...

    def height(self, caller: Caller) -> int:
        """How many blocks this org's peer has committed (qscc): block N is there once it is above N.
        Raises LedgerUnavailable, ServiceError."""
        ...

    def events(self, caller: Caller, start_block: int | None, after_tx_id: str | None) -> EventStream:
        """Committed chaincode events from start_block (None: from the next commit), after after_tx_id."""
        ...

    def propose_offline(self, via: Caller, creator: Caller, function: str, args: list[bytes]) -> Unsigned:
        """A proposal created by `creator` (its certificate), for it to sign; `via`'s connection carries it."""
        ...

    def endorse_offline(self, via: Caller, proposal: Unsigned, signature: bytes) -> Unsigned:
        """Endorse the signed proposal; the transaction's payload, to sign. Raises what `endorse` raises."""
        ...

    def submit_offline(self, via: Caller, transaction: Unsigned, signature: bytes, wait: int | None = None) -> TxStatus:
        """Submit the signed transaction and wait for its commit (as `submit`)."""
        ...

    def close(self) -> None: ...
