"""`invoke`, the dispatcher: parse the invocation, build the transaction's context, run its function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chaincode import access
from chaincode.contract import accounts, books, escrow, fx, issuers, payouts, redemptions
from chaincode.contract._tx import Err, Handlers, InvokeResult, Ok, Tx
from chaincode.domain.books import MINT_APPROVAL_UNITS
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import ARGS, Args, Function
from chaincode.state import Books, canonical_json
from chaincode.stub import ChaincodeStub

if TYPE_CHECKING:
    from chaincode.shim import Handler, HandlerResult

# Keyed by the exact argument class (Unfreeze extends Freeze: each has its own entry).
_HANDLERS: Handlers = {
    **accounts.HANDLERS,
    **redemptions.HANDLERS,
    **escrow.HANDLERS,
    **books.HANDLERS,
    **fx.HANDLERS,
    **payouts.HANDLERS,
    **issuers.HANDLERS,
}


async def invoke(stub: ChaincodeStub, *, mint_approval_units: int = MINT_APPROVAL_UNITS) -> InvokeResult:
    """Run the transaction `stub.args` names as `stub.creator`; `mint_approval_units`: the maker-checker limit.

    Contract errors come back as `Err("CODE: message")`, never raised. ShimError (the peer refused a
    ledger call) and ValueError (a malformed proposal: no creator or timestamp) propagate.
    """
    try:
        args = _parse(stub.args)
        books = Books(stub)
        issuing_bank = access.claims_foreign_issuer(stub.creator) and await books.is_issuer(stub.creator.msp_id)
        tx = Tx(books, stub, access.caller_of(stub.creator, issuing_bank=issuing_bank), mint_approval_units)
        return Ok(canonical_json(await _dispatch(tx, args)))
    except ContractError as exc:
        return Err(str(exc))


def make_handler(mint_approval_units: int = MINT_APPROVAL_UNITS) -> Handler:
    """`invoke` as a `chaincode.shim.Handler`, for the chaincode server, with the network's mint limit."""

    async def handler(stub: ChaincodeStub) -> HandlerResult:
        # Imported here so that in-memory users of the contract (unit tests, the gateway's fake) need no gRPC.
        from chaincode.shim import Failure, Success

        match await invoke(stub, mint_approval_units=mint_approval_units):
            case Ok(payload=payload):
                return Success(payload)
            case Err(message=message):
                return Failure(message)

    return handler


handle = make_handler()


def _parse(raw: Sequence[bytes]) -> Args:
    if not raw:
        raise ContractError(ErrorCode.UNKNOWN_FUNCTION, "no function named (args is empty)")
    try:
        function = Function(bytes(raw[0]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        name = bytes(raw[0])[:64].decode("utf-8", "replace")
        raise ContractError(ErrorCode.UNKNOWN_FUNCTION, f"no function {name!r}") from None
    if len(raw) != 2:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, f"{function} takes exactly one JSON object argument")
    return ARGS[function].from_json(bytes(raw[1]))


async def _dispatch(tx: Tx, args: Args) -> object:
    return await _HANDLERS[type(args)](tx, args)
