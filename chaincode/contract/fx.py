"""Currencies and foreign exchange: register_currency, post_quote, convert, and the payee leg of a payment
versus payment (`pvp`, used by transfer); get_currencies, get_quote, get_fx_position.

A conversion is the bank buying one of its deposit currencies from a holder and selling it another, in one
transaction: the sold tokens leave the supply (fx_out), the bought ones are issued (fx_in); both are
deposits at the same bank, so nothing leaves the ledger. The quote's record is the one key every conversion
under it reads and writes: concurrent conversions against one quote conflict (MVCC_READ_CONFLICT) and are
retried, each against what the others used, so a quote never serves more than its max_base_amount.
"""

from __future__ import annotations

from chaincode import access, domain
from chaincode.access import Role
from chaincode.contract._tx import Handlers, Tx, done, entry, leg, visible_account
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import (
    Convert,
    CurrenciesView,
    Event,
    EventType,
    FxPositionView,
    GetCurrencies,
    GetFxPosition,
    GetQuote,
    PostQuote,
    QuoteView,
    RegisterCurrency,
)


async def register_currency(tx: Tx, args: RegisterCurrency) -> dict[str, object]:
    """BankMSP issuer. Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, CURRENCY_EXISTS)."""
    access.require_role(tx.caller, Role.ISSUER)
    access.require_default_issuer(tx.caller)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    found = await tx.books.find_currency(args.code)
    if found is not None:
        raise ContractError(
            ErrorCode.CURRENCY_EXISTS, f"{args.code} is registered already, with {found.minor_digits} minor digits"
        )
    await tx.books.register_currency(domain.Currency(args.code, args.minor_digits))
    event = Event(
        EventType.CURRENCY_REGISTERED,
        tx.books.tx_id,
        args.request_id,
        (),
        args.code,
        references={"minor_digits": str(args.minor_digits)},
    )
    return await done(tx, args.request_id, event)


async def post_quote(tx: Tx, args: PostQuote) -> dict[str, object]:
    """BankMSP fx_desk; the quote's id is this transaction's id. Raises ContractError(UNAUTHORIZED,
    DUPLICATE_REQUEST, UNKNOWN_CURRENCY, INVALID_ARGUMENT: valid_until not after the transaction's time)."""
    access.require_role(tx.caller, Role.FX_DESK)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    await tx.books.currency(args.base)
    await tx.books.currency(args.quote)
    if args.valid_until <= tx.books.seconds:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, "valid_until must be after the transaction's time")
    rate = domain.fx.Rate.parse(args.rate)
    quote = domain.fx.Quote(tx.books.tx_id, args.base, args.quote, rate, args.valid_until, args.max_base_amount)
    await tx.books.put_quote(quote)
    references = {
        "quote_id": quote.id,
        "base": quote.base,
        "quote": quote.quote,
        "rate": rate.format(),
        "valid_until": str(quote.valid_until),
    }
    event = Event(
        EventType.QUOTE_POSTED, tx.books.tx_id, args.request_id, (), quote.base, quote.max_base_amount, references
    )
    return await done(tx, args.request_id, event)


async def exchange(
    tx: Tx, quote_id: str, sold: domain.Amount, buy_code: str | None
) -> tuple[domain.Amount, domain.fx.Quote]:
    """Price and book a conversion under the quote: the bought amount and the quote it used (as it was).

    `buy_code` None: the quote's other currency. Writes the quote's new use and the fx supply keys.
    Raises ContractError(UNKNOWN_QUOTE, UNKNOWN_CURRENCY, INVALID_ARGUMENT, INVALID_AMOUNT, QUOTE_EXPIRED,
    QUOTE_EXHAUSTED).
    """
    quote = await tx.books.quote(quote_id)
    if buy_code is None:
        buy_code = quote.quote if sold.currency.code == quote.base else quote.base
    quote.side(sold.currency.code, buy_code)  # the pair before the registry: a clearer refusal
    buy = await tx.books.currency(buy_code)
    conversion, used = domain.fx.price(quote, sold.currency, buy, sold.minor, tx.books.seconds)
    bought = domain.Amount.of(conversion.bought, buy)
    await tx.books.put_quote(used)
    await tx.books.add_fx(sold, bought)
    return bought, quote


async def convert(tx: Tx, args: Convert) -> dict[str, object]:
    """The account's holder. Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT, DUPLICATE_REQUEST,
    ACCOUNT_FROZEN, INSUFFICIENT_FUNDS, and what `exchange` raises)."""
    access.require_role(tx.caller, Role.HOLDER)
    account = await visible_account(tx, args.account_id)
    access.require_holder(tx.caller, account)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    account.check_can_send()
    sold = await tx.books.amount(args.sell_currency, args.sell_amount)
    bought, quote = await exchange(tx, args.quote_id, sold, None)
    await tx.books.debit(account.id, sold)
    await tx.books.credit(account.id, bought)
    await tx.books.add_history(account.id, entry(tx, EventType.CONVERTED, sold, -1, None, quote.id))
    await tx.books.add_history(account.id, entry(tx, EventType.CONVERTED, bought, +1, None, quote.id))
    references = {
        "quote_id": quote.id,
        "rate": quote.rate.format(),
        "bought_currency": bought.currency.code,
        "bought_amount": str(bought.minor),
    }
    legs = (leg(account, -sold.minor), leg(account, bought.minor, bought.currency.code))
    event = Event(
        EventType.CONVERTED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        sold.currency.code,
        sold.minor,
        references,
        legs,
    )
    return await done(tx, args.request_id, event)


# --- reads ----------------------------------------------------------------------------------------------


async def get_currencies(tx: Tx, args: GetCurrencies) -> CurrenciesView:
    """Anyone with a channel identity (the gateways' service identity reads it to parse amounts): the
    registry is public. Raises nothing."""
    return [{"code": c.code, "minor_digits": c.minor_digits} for c in await tx.books.currencies()]


async def get_quote(tx: Tx, args: GetQuote) -> QuoteView:
    """Every reader role: quotes are the bank's public offers. Raises ContractError(UNAUTHORIZED, UNKNOWN_QUOTE)."""
    access.require_reader(tx.caller)
    q = await tx.books.quote(args.quote_id)
    return {
        "id": q.id,
        "base": q.base,
        "quote": q.quote,
        "rate": q.rate.format(),
        "rate_numerator": q.rate.numerator,
        "rate_denominator": q.rate.denominator,
        "valid_until": q.valid_until,
        "max_base_amount": q.max_base_amount,
        "used": q.used,
        "remaining": q.remaining,
    }


async def get_fx_position(tx: Tx, args: GetFxPosition) -> FxPositionView:
    """The bank's roles and the auditor. Raises ContractError(UNAUTHORIZED)."""
    access.require_role(tx.caller, *access.POSITION_ROLES)
    return {code: s.fx_position for code, s in (await tx.books.supply()).items()}


HANDLERS: Handlers = {
    RegisterCurrency: register_currency,
    PostQuote: post_quote,
    Convert: convert,
    GetCurrencies: get_currencies,
    GetQuote: get_quote,
    GetFxPosition: get_fx_position,
}
