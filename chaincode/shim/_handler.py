"""What the server calls for each transaction, and what it must return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeAlias

from chaincode.stub import ChaincodeStub


@dataclass(frozen=True, slots=True)
class Success:
    """The transaction succeeded: the peer gets `peer.Response{status: 200, payload}`."""

    payload: bytes = b""


@dataclass(frozen=True, slots=True)
class Failure:
    """The transaction failed: the peer gets `peer.Response{status: 500, message}`.

    The message reaches the client as the endorsement error, so it should carry a stable error code.
    """

    message: str


HandlerResult: TypeAlias = Success | Failure


class Handler(Protocol):
    """Runs one transaction (INIT or TRANSACTION) against its stub.

    Called once per transaction, concurrently with other transactions on the same loop. Exceptions
    escaping it are not lost: the transaction completes with status 500 and the exception's text.
    """

    async def __call__(self, stub: ChaincodeStub, /) -> HandlerResult: ...
