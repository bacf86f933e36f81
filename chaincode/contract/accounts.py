"""Accounts and transfers: open, mint, transfer, freeze, unfreeze; account reads and the supply."""

from __future__ import annotations

from chaincode import access, domain
from chaincode.access import Role
from chaincode.contract import fx
from chaincode.contract._tx import Handlers, Tx, done, entry, leg, visible_account
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import (
    AccountHistory,
    AccountPage,
    AccountView,
    ApproveMint,
    Event,
    EventType,
    Freeze,
    GetAccount,
    GetAccountHistory,
    GetSupply,
    HistoryEntry,
    ListAccounts,
    Mint,
    OpenAccount,
    SupplyView,
    Transfer,
    Unfreeze,
)

# --- writes ---------------------------------------------------------------------------------------------


async def open_account(tx: Tx, args: OpenAccount) -> dict[str, object]:
    """BankMSP issuer; with `dda`, the account is the one that DDA's fundings mint to.

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, ACCOUNT_EXISTS, DDA_LINKED).
    """
    access.require_role(tx.caller, Role.ISSUER)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    if await tx.books.find_account(args.account_id) is not None:
        raise ContractError(ErrorCode.ACCOUNT_EXISTS, f"account {args.account_id} already exists")
    account = domain.Account(args.account_id, args.holder_msp, args.holder_subject, args.kyc_ref, dda=args.dda)
    if args.dda is not None:
        await tx.books.link_dda(args.dda, account.id)
    await tx.books.open_account(account)
    references = {"holder_msp": args.holder_msp, "holder_subject": args.holder_subject, "kyc_ref": args.kyc_ref}
    if args.dda is not None:
        references["dda"] = args.dda
    event = Event(
        EventType.ACCOUNT_OPENED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        references=references,
        legs=(leg(account, None),),
    )
    return await done(tx, args.request_id, event)


async def mint(tx: Tx, args: Mint) -> dict[str, object]:
    """BankMSP issuer (a person), or treasury (the books connector, `reserve_ref` = the core's booking
    reference). A reference backs one mint, whoever asks. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST,
    UNKNOWN_ACCOUNT, ACCOUNT_FROZEN, DUPLICATE_RESERVE_REF)."""
    access.require_role(tx.caller, Role.ISSUER, Role.TREASURY)
    instrument = args.instrument
    instrument.check_issued_by(tx.caller.msp_id)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    account = await tx.books.account(args.account_id)
    account.check_can_receive()
    amount = await tx.books.amount(instrument.code, args.amount)
    await tx.books.claim_reserve(args.reserve_ref, account.id, amount)
    if tx.caller.role is Role.ISSUER and domain.books.needs_approval(
        amount.minor, amount.currency.minor_digits, tx.mint_approval_units
    ):
        return await _request_mint(tx, args, account)
    return await _credit_mint(tx, args.request_id, account, amount, args.reserve_ref, {})


async def _request_mint(tx: Tx, args: Mint, account: domain.Account) -> dict[str, object]:
    """Maker-checker: the mint waits, its reference claimed (no one else mints against it meanwhile)."""
    code = args.instrument.code
    request = domain.books.MintRequest(
        tx.books.tx_id, account.id, code, args.amount, args.reserve_ref, tx.caller.msp_id, tx.caller.subject
    )
    await tx.books.put_mint_request(request)
    event = Event(
        EventType.MINT_REQUESTED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        code,
        args.amount,
        {"reserve_ref": args.reserve_ref, "mint_id": request.id},
        (leg(account, None),),
    )
    return await done(tx, args.request_id, event)


async def approve_mint(tx: Tx, args: ApproveMint) -> dict[str, object]:
    """BankMSP issuer or compliance, not the maker: the waiting mint's tokens now exist.

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_MINT, INVALID_STATE, ACCOUNT_FROZEN).
    """
    access.require_role(tx.caller, Role.ISSUER, Role.COMPLIANCE)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    request = (await tx.books.mint_request(args.mint_id)).approve(tx.caller.msp_id, tx.caller.subject)
    domain.Instrument.parse(request.currency).check_issued_by(tx.caller.msp_id)
    account = await tx.books.account(request.account_id)
    account.check_can_receive()
    await tx.books.put_mint_request(request)
    amount = await tx.books.amount(request.currency, request.amount)
    extra = {"mint_id": request.id, "approved_by": tx.caller.subject}
    return await _credit_mint(tx, args.request_id, account, amount, request.reserve_ref, extra)


async def _credit_mint(
    tx: Tx, request_id: str, account: domain.Account, amount: domain.Amount, reserve_ref: str, extra: dict[str, str]
) -> dict[str, object]:
    await tx.books.credit(account.id, amount)
    await tx.books.add_minted(amount)
    await tx.books.touch_issuance(domain.Instrument.parse(amount.currency.code))
    await tx.books.add_history(account.id, entry(tx, EventType.MINTED, amount, +1, None, reserve_ref))
    event = Event(
        EventType.MINTED,
        tx.books.tx_id,
        request_id,
        (account.id,),
        amount.currency.code,
        amount.minor,
        {"reserve_ref": reserve_ref, **extra},
        (leg(account, amount.minor),),
    )
    return await done(tx, request_id, event)


async def transfer(tx: Tx, args: Transfer) -> dict[str, object]:
    """The holder of from_account (another's is UNKNOWN_ACCOUNT, as if it did not exist; the payee's must be
    named to be paid, so it is not hidden). With receive_currency and quote_id, payment versus payment: the
    payer is debited `amount` of `currency`, the bank converts it under the quote, and the payee is credited
    in receive_currency, in this one transaction.

    Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT, DUPLICATE_REQUEST, ACCOUNT_FROZEN, INSUFFICIENT_FUNDS,
    UNKNOWN_CURRENCY; with a quote also what `fx.exchange` raises).
    """
    access.require_role(tx.caller, Role.HOLDER)
    source = await visible_account(tx, args.from_account)
    access.require_holder(tx.caller, source)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    target = await tx.books.account(args.to_account)
    source.check_can_send()
    target.check_can_receive()
    amount = await tx.books.amount(args.instrument.code, args.amount)
    received, references = amount, {"reference": args.reference}
    if args.quote_id is not None:
        received, quote = await fx.exchange(tx, args.quote_id, amount, args.receive_currency)
        references |= {
            "quote_id": quote.id,
            "rate": quote.rate.format(),
            "receive_currency": received.currency.code,
            "receive_amount": str(received.minor),
        }
    await tx.books.debit(source.id, amount)
    await tx.books.credit(target.id, received)
    await tx.books.add_history(source.id, entry(tx, EventType.TRANSFERRED, amount, -1, target.id, args.reference))
    await tx.books.add_history(target.id, entry(tx, EventType.TRANSFERRED, received, +1, source.id, args.reference))
    payee_currency = None if received is amount else received.currency.code
    event = Event(
        EventType.TRANSFERRED,
        tx.books.tx_id,
        args.request_id,
        (source.id, target.id),
        amount.currency.code,
        amount.minor,
        references,
        (leg(source, -amount.minor), leg(target, received.minor, payee_currency)),
    )
    return await done(tx, args.request_id, event)


async def freeze(tx: Tx, args: Freeze) -> dict[str, object]:
    """BankMSP compliance. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_ACCOUNT, INVALID_STATE)."""
    return await _set_frozen(tx, args, True)


async def unfreeze(tx: Tx, args: Unfreeze) -> dict[str, object]:
    """BankMSP compliance. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_ACCOUNT, INVALID_STATE)."""
    return await _set_frozen(tx, args, False)


async def _set_frozen(tx: Tx, args: Freeze, frozen: bool) -> dict[str, object]:
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
        legs=(leg(account, None),),
    )
    return await done(tx, args.request_id, event)


# --- reads ----------------------------------------------------------------------------------------------


async def _account_view(tx: Tx, account: domain.Account) -> AccountView:
    return {
        "id": account.id,
        "holder_msp": account.holder_msp,
        "holder_subject": account.holder_subject,
        "kyc_ref": account.kyc_ref,
        "status": str(account.status),
        "balances": await tx.books.balances(account.id),
        "dda": account.dda,
    }


async def get_account(tx: Tx, args: GetAccount) -> AccountView:
    """Whoever may see the account (`access.may_see_account`). Raises ContractError(UNAUTHORIZED: no reader
    role; UNKNOWN_ACCOUNT: none, or not the caller's to see)."""
    access.require_reader(tx.caller)
    return await _account_view(tx, await visible_account(tx, args.account_id))


async def list_accounts(tx: Tx, args: ListAccounts) -> AccountPage:
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


async def get_account_history(tx: Tx, args: GetAccountHistory) -> AccountHistory:
    """Whoever may see the account. Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT) as get_account."""
    access.require_reader(tx.caller)
    account = await visible_account(tx, args.account_id)
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


async def get_supply(tx: Tx, args: GetSupply) -> SupplyView:
    """Every reader role: the totals are public to the members. Raises ContractError(UNAUTHORIZED)."""
    access.require_reader(tx.caller)
    return {
        code: {
            "minted": s.minted,
            "redeemed": s.redeemed,
            "outstanding": s.outstanding,
            "balances_total": s.balances_total,
            "pending_redemptions": s.pending_redemptions,
            "escrowed": s.escrowed,
            "fx_in": s.fx_in,
            "fx_out": s.fx_out,
        }
        for code, s in (await tx.books.supply()).items()
    }


HANDLERS: Handlers = {
    OpenAccount: open_account,
    Mint: mint,
    ApproveMint: approve_mint,
    Transfer: transfer,
    Freeze: freeze,
    Unfreeze: unfreeze,
    GetAccount: get_account,
    GetAccountHistory: get_account_history,
    ListAccounts: list_accounts,
    GetSupply: get_supply,
}
