"""Issuing banks: the registry of banks whose own instruments the ledger carries (`EUR@EuroBankMSP`)."""

from __future__ import annotations

from chaincode import access
from chaincode.contract._tx import Handlers, Tx, done
from chaincode.protocol import Event, EventType, RegisterIssuer


async def register_issuer(tx: Tx, args: RegisterIssuer) -> dict[str, object]:
    """BankMSP issuer (the registries are the founding bank's to keep), once the channel has admitted the bank.
    From this transaction on the bank's `issuer` mints and redeems its own instruments, and each such
    transaction needs the bank's own peer (key-level endorsement of its issuance key, `chaincode.state`).
    Registering BankMSP itself guards the default instruments the same way. Registering again re-sets it.

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST).
    """
    access.require_default_issuer(tx.caller)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    await tx.books.register_issuer(args.msp_id)
    event = Event(EventType.ISSUER_REGISTERED, tx.books.tx_id, args.request_id, (), references={"msp_id": args.msp_id})
    return await done(tx, args.request_id, event)


HANDLERS: Handlers = {RegisterIssuer: register_issuer}
