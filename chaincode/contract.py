"""The transaction functions of the tokenized-deposit contract, and `invoke`, their dispatcher.

Each function is thin: parse (`chaincode.protocol`) → authorise (`chaincode.access`) → guard the request
id → apply the domain rule (`chaincode.domain`) → write state (`chaincode.state.Books`) → emit the event.
A write's result is its event payload, also recorded under `request~{msp}~{request_id}`.

Order of checks in a write: arguments, then the caller's role, then (holders) that the caller holds the
account, then the request id (so a replay answers DUPLICATE_REQUEST rather than whatever the first run
changed, e.g. ACCOUNT_EXISTS), then the domain rules. Nothing is written before the last check passes,
and Fabric discards the writes of a failed transaction anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaincode import access, domain
from chaincode.access import Caller, Role
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import (
    ARGS,
    AccountHistory,
    AccountPage,
    AccountView,
    Args,
    Event,
    EventType,
    Freeze,
    Function,
    GetAccount,
    GetAccountHistory,
    GetRedemption,
    GetSupply,
    HistoryEntry,
    Leg,
    ListAccounts,
    Mint,
    OpenAccount,
    Redeem,
    RedemptionView,
    RejectRedemption,
    SettleRedemption,
    SupplyView,
    Transfer,
    Unfreeze,
)
from chaincode.state import Books, canonical_json, redemption_to_state, unknown_account, unknown_redemption
from chaincode.stub import ChaincodeStub

if TYPE_CHECKING:
    from chaincode.shim import HandlerResult


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
class _Tx:
    books: Books
    stub: ChaincodeStub
    caller: Caller


async def invoke(stub: ChaincodeStub) -> InvokeResult:
    """Run the transaction `stub.args` names as `stub.creator`.

    Contract errors come back as `Err("CODE: message")`, never raised. ShimError (the peer refused a
    ledger call) and ValueError (a malformed proposal: no creator or timestamp) propagate.
    """
    try:
        args = _parse(stub.args)
        tx = _Tx(Books(stub), stub, access.caller_of(stub.creator))
        return Ok(canonical_json(await _dispatch(tx, args)))
    except ContractError as exc:
        return Err(str(exc))


async def handle(stub: ChaincodeStub) -> HandlerResult:
    """`invoke` as a `chaincode.shim.Handler`, for the chaincode server."""
    # Imported here so that in-memory users of the contract (unit tests, the gateway's fake) need no gRPC.
    from chaincode.shim import Failure, Success

    match await invoke(stub):
        case Ok(payload=payload):
            return Success(payload)
        case Err(message=message):
            return Failure(message)


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


async def _dispatch(tx: _Tx, args: Args) -> object:
    # Subclasses before their bases: Unfreeze extends Freeze, GetAccountHistory extends GetAccount.
    match args:
        case OpenAccount():
            return await open_account(tx, args)
        case Mint():
            return await mint(tx, args)
        case Transfer():
            return await transfer(tx, args)
        case Redeem():
            return await redeem(tx, args)
        case SettleRedemption():
            return await settle_redemption(tx, args)
        case RejectRedemption():
            return await reject_redemption(tx, args)
        case Unfreeze():
            return await unfreeze(tx, args)
        case Freeze():
            return await freeze(tx, args)
        case GetAccountHistory():
            return await get_account_history(tx, args)
        case GetAccount():
            return await get_account(tx, args)
        case GetSupply():
            return await get_supply(tx, args)
        case GetRedemption():
            return await get_redemption(tx, args)
        case ListAccounts():
            return await list_accounts(tx, args)
    raise AssertionError(f"no transaction function for {type(args).__name__}")  # pragma: no cover


async def _done(tx: _Tx, request_id: str, event: Event) -> dict[str, object]:
    """Record the request's result and emit the event; both are the event payload."""
    result = event.to_dict()
    await tx.books.record_request(tx.caller.msp_id, request_id, result)
    tx.stub.set_event(str(event.type), canonical_json(result))
    return result


async def _visible_account(tx: _Tx, account_id: str) -> domain.Account:
    """The account, if the caller may see it. Raises ContractError(UNKNOWN_ACCOUNT) alike when it does not
    exist and when it is not the caller's to see: not yours = not there."""
    account = await tx.books.find_account(account_id)
    if account is None or not access.may_see_account(tx.caller, account):
        raise unknown_account(account_id)
    return account


def _leg(account: domain.Account, amount: int | None) -> Leg:
    return Leg(account.id, account.holder_msp, account.holder_subject, amount)


def _entry(
    tx: _Tx, kind: EventType, amount: domain.Amount, sign: int, counterparty: str | None, reference: str
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


# --- writes ---------------------------------------------------------------------------------------------


async def open_account(tx: _Tx, args: OpenAccount) -> dict[str, object]:
    """BankMSP issuer. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, ACCOUNT_EXISTS)."""
    access.require_role(tx.caller, Role.ISSUER)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    if await tx.books.find_account(args.account_id) is not None:
        raise ContractError(ErrorCode.ACCOUNT_EXISTS, f"account {args.account_id} already exists")
    account = domain.Account(args.account_id, args.holder_msp, args.holder_subject, args.kyc_ref)
    await tx.books.open_account(account)
    references = {"holder_msp": args.holder_msp, "holder_subject": args.holder_subject, "kyc_ref": args.kyc_ref}
    event = Event(
        EventType.ACCOUNT_OPENED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        references=references,
        legs=(_leg(account, None),),
    )
    return await _done(tx, args.request_id, event)


async def mint(tx: _Tx, args: Mint) -> dict[str, object]:
    """BankMSP issuer. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_ACCOUNT, ACCOUNT_FROZEN,
    DUPLICATE_RESERVE_REF)."""
    access.require_role(tx.caller, Role.ISSUER)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    account = await tx.books.account(args.account_id)
    account.check_can_receive()
    amount = args.money
    await tx.books.claim_reserve(args.reserve_ref, account.id, amount)
    await tx.books.credit(account.id, amount)
    await tx.books.add_minted(amount)
    await tx.books.add_history(account.id, _entry(tx, EventType.MINTED, amount, +1, None, args.reserve_ref))
    event = Event(
        EventType.MINTED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        amount.currency.code,
        amount.minor,
        {"reserve_ref": args.reserve_ref},
        (_leg(account, amount.minor),),
    )
    return await _done(tx, args.request_id, event)


async def transfer(tx: _Tx, args: Transfer) -> dict[str, object]:
    """The holder of from_account (another's is UNKNOWN_ACCOUNT, as if it did not exist; the payee's must be
    named to be paid, so it is not hidden). Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT,
    DUPLICATE_REQUEST, ACCOUNT_FROZEN, INSUFFICIENT_FUNDS)."""
    access.require_role(tx.caller, Role.HOLDER)
    source = await _visible_account(tx, args.from_account)
    access.require_holder(tx.caller, source)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    target = await tx.books.account(args.to_account)
    source.check_can_send()
    target.check_can_receive()
    amount = args.money
    await tx.books.debit(source.id, amount)
    await tx.books.credit(target.id, amount)
    await tx.books.add_history(source.id, _entry(tx, EventType.TRANSFERRED, amount, -1, target.id, args.reference))
    await tx.books.add_history(target.id, _entry(tx, EventType.TRANSFERRED, amount, +1, source.id, args.reference))
    event = Event(
        EventType.TRANSFERRED,
        tx.books.tx_id,
        args.request_id,
        (source.id, target.id),
        amount.currency.code,
        amount.minor,
        {"reference": args.reference},
        (_leg(source, -amount.minor), _leg(target, amount.minor)),
    )
    return await _done(tx, args.request_id, event)


async def redeem(tx: _Tx, args: Redeem) -> dict[str, object]:
    """The account's holder burns tokens and opens a pending redemption whose id is this tx id.

    Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT, DUPLICATE_REQUEST, ACCOUNT_FROZEN, INSUFFICIENT_FUNDS).
    """
    access.require_role(tx.caller, Role.HOLDER)
    account = await _visible_account(tx, args.account_id)
    access.require_holder(tx.caller, account)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    account.check_can_send()
    amount = args.money
    await tx.books.debit(account.id, amount)
    redemption = domain.Redemption(
        id=tx.books.tx_id,
        account_id=account.id,
        currency=amount.currency.code,
        amount=amount.minor,
        status=domain.RedemptionStatus.PENDING,
        requested_tx_id=tx.books.tx_id,
    )
    await tx.books.put_redemption(redemption)
    await tx.books.add_history(account.id, _entry(tx, EventType.REDEMPTION_REQUESTED, amount, -1, None, redemption.id))
    event = Event(
        EventType.REDEMPTION_REQUESTED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        amount.currency.code,
        amount.minor,
        {"redemption_id": redemption.id},
        (_leg(account, -amount.minor),),
    )
    return await _done(tx, args.request_id, event)


async def settle_redemption(tx: _Tx, args: SettleRedemption) -> dict[str, object]:
    """BankMSP issuer: the payout was made; the burned tokens leave the supply.

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_REDEMPTION, INVALID_STATE).
    """
    access.require_role(tx.caller, Role.ISSUER)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    redemption = (await tx.books.redemption(args.redemption_id)).settle(tx.books.tx_id, args.payout_ref)
    account = await tx.books.account(redemption.account_id)
    await tx.books.put_redemption(redemption)
    await tx.books.add_redeemed(domain.Amount.of(redemption.amount, domain.currency(redemption.currency)))
    event = Event(
        EventType.REDEMPTION_SETTLED,
        tx.books.tx_id,
        args.request_id,
        (redemption.account_id,),
        redemption.currency,
        redemption.amount,
        {"redemption_id": redemption.id, "payout_ref": args.payout_ref},
        (_leg(account, None),),
    )
    return await _done(tx, args.request_id, event)


async def reject_redemption(tx: _Tx, args: RejectRedemption) -> dict[str, object]:
    """BankMSP issuer: no payout; the tokens return to the account, even a frozen one (that restores what the
    holder had; the freeze still stops the tokens moving on).

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_REDEMPTION, INVALID_STATE).
    """
    access.require_role(tx.caller, Role.ISSUER)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    redemption = (await tx.books.redemption(args.redemption_id)).reject(tx.books.tx_id, args.reason)
    amount = domain.Amount.of(redemption.amount, domain.currency(redemption.currency))
    account = await tx.books.account(redemption.account_id)
    await tx.books.put_redemption(redemption)
    await tx.books.credit(redemption.account_id, amount)
    await tx.books.add_history(
        redemption.account_id, _entry(tx, EventType.REDEMPTION_REJECTED, amount, +1, None, redemption.id)
    )
    event = Event(
        EventType.REDEMPTION_REJECTED,
        tx.books.tx_id,
        args.request_id,
        (redemption.account_id,),
        redemption.currency,
        redemption.amount,
        {"redemption_id": redemption.id, "reason": args.reason},
        (_leg(account, amount.minor),),
    )
    return await _done(tx, args.request_id, event)


async def freeze(tx: _Tx, args: Freeze) -> dict[str, object]:
    """BankMSP compliance. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_ACCOUNT, INVALID_STATE)."""
    return await _set_frozen(tx, args, True)


async def unfreeze(tx: _Tx, args: Unfreeze) -> dict[str, object]:
    """BankMSP compliance. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_ACCOUNT, INVALID_STATE)."""
    return await _set_frozen(tx, args, False)


async def _set_frozen(tx: _Tx, args: Freeze, frozen: bool) -> dict[str, object]:
    access.require_role(tx.caller, Role.COMPLIANCE)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    account = await tx.books.account(args.account_id)
    await tx.books.put_account(account.freeze() if frozen else account.unfreeze())
    kind = EventType.ACCOUNT_FROZEN if frozen else EventType.ACCOUNT_UNFROZEN
    event = Event(
        kind,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        references={"reason": args.reason},
        legs=(_leg(account, None),),
    )
    return await _done(tx, args.request_id, event)


# --- reads ----------------------------------------------------------------------------------------------


async def _account_view(tx: _Tx, account: domain.Account) -> AccountView:
    return {
        "id": account.id,
        "holder_msp": account.holder_msp,
        "holder_subject": account.holder_subject,
        "kyc_ref": account.kyc_ref,
        "status": str(account.status),
        "balances": await tx.books.balances(account.id),
    }


async def get_account(tx: _Tx, args: GetAccount) -> AccountView:
    """Whoever may see the account (`access.may_see_account`). Raises ContractError(UNAUTHORIZED: no reader
    role; UNKNOWN_ACCOUNT: none, or not the caller's to see)."""
    access.require_reader(tx.caller)
    return await _account_view(tx, await _visible_account(tx, args.account_id))


async def list_accounts(tx: _Tx, args: ListAccounts) -> AccountPage:
    """The accounts the caller may see, under the optional holder filter, one page at a time. A filter
    naming someone the caller may not see lists nothing, as if that holder had no account.

    Raises ContractError(UNAUTHORIZED: no reader role). A cursor that is not one of this listing's lists
    nothing, like the end of it.
    """
    access.require_reader(tx.caller)
    scope = access.listing_scope(tx.caller, args.holder_msp, args.holder_subject)
    if scope is None:
        return {"accounts": [], "next_cursor": None}
    cursor = _cursor_key(args.cursor)
    accounts, next_key = await tx.books.account_page(scope, cursor, args.limit)
    # The scope already holds only what the caller may see; the rule is applied to each record all the same.
    views = [await _account_view(tx, a) for a in accounts if access.may_see_account(tx.caller, a)]
    return {"accounts": views, "next_cursor": None if next_key is None else next_key.encode("utf-8").hex()}


def _cursor_key(cursor: str | None) -> str | None:
    """A cursor is the hex of the next page's first ledger key; one that is no UTF-8 text is mapped to a key
    no listing holds (U+0000 alone), so it lists nothing."""
    if cursor is None:
        return None
    try:
        return bytes.fromhex(cursor).decode("utf-8")
    except UnicodeDecodeError:
        return "\x00"


async def get_account_history(tx: _Tx, args: GetAccountHistory) -> AccountHistory:
    """Whoever may see the account. Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT) as get_account."""
    access.require_reader(tx.caller)
    account = await _visible_account(tx, args.account_id)
    entries: list[HistoryEntry] = [
        {
            "tx_id": e["tx_id"],
            "type": e["type"],
            "currency": e["currency"],
            "amount": e["amount"],
            "counterparty": e["counterparty"],
            "reference": e["reference"],
            "timestamp": e["timestamp"],
        }
        for e in await tx.books.history(account.id)
    ]
    return {"account_id": account.id, "entries": entries}


async def get_supply(tx: _Tx, args: GetSupply) -> SupplyView:
    """Every reader role: the totals are public to the members. Raises ContractError(UNAUTHORIZED)."""
    access.require_reader(tx.caller)
    return {
        code: {
            "minted": s.minted,
            "redeemed": s.redeemed,
            "outstanding": s.outstanding,
            "balances_total": s.balances_total,
            "pending_redemptions": s.pending_redemptions,
        }
        for code, s in (await tx.books.supply()).items()
    }


async def get_redemption(tx: _Tx, args: GetRedemption) -> RedemptionView:
    """Whoever may see its account. Raises ContractError(UNAUTHORIZED: no reader role; UNKNOWN_REDEMPTION:
    none, or not the caller's to see)."""
    access.require_reader(tx.caller)
    redemption = await tx.books.redemption(args.redemption_id)
    account = await tx.books.find_account(redemption.account_id)
    if account is None or not access.may_see_account(tx.caller, account):
        raise unknown_redemption(args.redemption_id)
    raw = redemption_to_state(redemption)
    return {
        "id": raw["id"],
        "account_id": raw["account_id"],
        "currency": raw["currency"],
        "amount": raw["amount"],
        "status": raw["status"],
        "requested_tx_id": raw["requested_tx_id"],
        "closed_tx_id": raw["closed_tx_id"],
        "payout_ref": raw["payout_ref"],
        "reason": raw["reason"],
    }
