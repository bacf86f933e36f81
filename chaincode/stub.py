"""The chaincode stub: what a transaction function may ask of the ledger.

The shim (`chaincode.shim`) implements it over the peer's chaincode protocol; `chaincode.memory_stub`
implements it in memory for unit tests. Contract code depends only on this Protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Creator:
    """The identity that signed the proposal: MSP ID and the PEM of its X.509 certificate."""

    msp_id: str
    id_bytes: bytes


@dataclass(frozen=True, slots=True)
class TxTimestamp:
    """The timestamp the client put in the signed proposal: identical on every endorser."""

    seconds: int
    nanos: int


class ChaincodeStub(Protocol):
    """One transaction's view of the world state. All ledger calls are awaited on the shim's loop."""

    @property
    def tx_id(self) -> str: ...

    @property
    def channel_id(self) -> str: ...

    @property
    def args(self) -> Sequence[bytes]:
        """The invocation arguments; args[0] is the function name."""
        ...

    @property
    def creator(self) -> Creator: ...

    @property
    def tx_timestamp(self) -> TxTimestamp: ...

    async def get_state(self, key: str) -> bytes | None:
        """The value of key, or None when absent. Raises ShimError when the peer answers ERROR."""
        ...

    async def put_state(self, key: str, value: bytes) -> None:
        """Raises ShimError when the peer answers ERROR."""
        ...

    async def del_state(self, key: str) -> None:
        """Raises ShimError when the peer answers ERROR."""
        ...

    async def get_state_by_range(self, start_key: str, end_key: str) -> list[tuple[str, bytes]]:
        """All (key, value) pairs with start_key <= key < end_key, in key order, every page fetched.

        Composite keys (see `chaincode.state`) are allowed. Raises ShimError when the peer answers ERROR.
        """
        ...

    async def get_state_by_range_page(
        self, start_key: str, end_key: str, page_size: int
    ) -> tuple[list[tuple[str, bytes]], str]:
        """Fabric's paginated range query: at most page_size pairs from start_key, in key order, and the key
        the next page starts at ("" when the range is exhausted). Fabric refuses writes in a transaction
        that made one, so only reads use it. Raises ShimError when the peer answers ERROR."""
        ...

    def set_event(self, name: str, payload: bytes) -> None:
        """Attach the transaction's chaincode event (Fabric allows one per transaction; the last wins)."""
        ...

    async def set_state_endorsers(self, key: str, msp_ids: Sequence[str]) -> None:
        """Key-level endorsement (Fabric's SetStateValidationParameter): from this transaction on, a transaction
        that writes key is valid only if a peer of every one of msp_ids endorsed it, whatever the chaincode's
        own policy says. Changing it must itself satisfy the key's current policy. Raises ShimError when the
        peer answers ERROR."""
        ...


class ShimError(Exception):
    """The peer refused a ledger call (it answered with a message of type ERROR)."""
