"""What every transaction function shares: the transaction's context, results, and the small steps of
the write recipe (the event and the exactly-once record, the visible account, legs, history entries)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from chaincode import access, domain
from chaincode.access import Caller
from chaincode.protocol import Args, Event, EventType, HistoryEntry, Leg
from chaincode.state import Books, canonical_json, unknown_account
from chaincode.stub import ChaincodeStub


@dataclass(frozen=True, slots=True)
class Ok:
    """The transaction succeeded with this payload (canonical JSON)."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Err:
    """The contract refused the transaction: `CODE: message`."""

    message: str


InvokeResult = Ok | Err


@dataclass(frozen=True, slots=True)
class Tx:
    """One transaction: its books, its stub (events), its caller."""

    books: Books
    stub: ChaincodeStub
    caller: Caller
    # Whole units above which a person's direct mint waits for a checker (`domain.books.needs_approval`).
    mint_approval_units: int = domain.books.MINT_APPROVAL_UNITS


# A concept module's transaction functions, by the exact class of their arguments.
Handlers = dict[type[Args], Callable[[Tx, Any], Awaitable[object]]]


async def done(tx: Tx, request_id: str, event: Event) -> dict[str, object]:
    """Record the request's result and emit the event; both are the event payload."""
    result = event.to_dict()
    await tx.books.record_request(tx.caller.msp_id, request_id, result)
    tx.stub.set_event(str(event.type), canonical_json(result))
    return result


async def visible_account(tx: Tx, account_id: str) -> domain.Account:
    """The account, if the caller may see it. Raises ContractError(UNKNOWN_ACCOUNT) alike when it does not
    exist and when it is not the caller's to see: not yours = not there."""
    account = await tx.books.find_account(account_id)
    if account is None or not access.may_see_account(tx.caller, account):
        raise unknown_account(account_id)
    return account


def leg(account: domain.Account, amount: int | None, currency: str | None = None, reference: str | None = None) -> Leg:
    return Leg(account.id, account.holder_msp, account.holder_subject, amount, currency, reference)


def entry(
    tx: Tx, kind: EventType, amount: domain.Amount, sign: int, counterparty: str | None, reference: str
) -> HistoryEntry:
    return {
        "tx_id": tx.books.tx_id,
        "type": str(kind),
        "currency": amount.currency.code,
        "amount": sign * amount.minor,
        "counterparty": counterparty,
        "reference": reference,
        "timestamp": tx.books.timestamp,
    }
