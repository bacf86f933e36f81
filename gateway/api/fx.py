"""/v1/currencies, /v1/fx/quotes, /v1/conversions and /v1/fx/position: the ledger's currency registry and
the bank's foreign exchange (`chaincode.contract.fx`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from chaincode import protocol
from chaincode.access import POSITION_ROLES, Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, Components, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_decimal, to_minor
from gateway.api.problems import INPUT, MONEY, READ, WRITE, problem_responses
from gateway.api.results import read, written
from gateway.api.schemas import (
    TX_ID_PATTERN,
    ConversionCreate,
    Converted,
    CurrencyCode,
    CurrencyCreate,
    CurrencyPublic,
    CurrencyRegistered,
    QuoteCreate,
    QuotePosted,
    QuotePublic,
)
from gateway.directory import Caller
from gateway.errors import Forbidden

router = APIRouter(tags=["fx"])

QuoteId = Annotated[str, Path(pattern=TX_ID_PATTERN)]
# What a conversion (and a payment versus payment) can meet under its quote.
QUOTE_FAILURES = (
    ErrorCode.UNKNOWN_QUOTE,
    ErrorCode.QUOTE_EXPIRED,
    ErrorCode.QUOTE_EXHAUSTED,
    ErrorCode.INVALID_ARGUMENT,
    ErrorCode.INVALID_AMOUNT,
)


@router.get("/v1/currencies", responses=problem_responses(READ))
def currencies(caller: CallerDep, c: ComponentsDep) -> list[CurrencyPublic]:
    """The ledger's registry: every currency it issues, with its minor digits, in code order."""
    return [CurrencyPublic(code=cur.code, minor_digits=cur.minor_digits) for cur in c.currencies.all()]


@router.post(
    "/v1/currencies",
    status_code=201,
    dependencies=[require_role(Role.ISSUER)],
    responses=problem_responses(WRITE, (ErrorCode.CURRENCY_EXISTS, ErrorCode.UNKNOWN_CURRENCY)),
)
def register_currency(
    body: CurrencyCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> CurrencyRegistered:
    """BankOrg issuer registers an ISO 4217 code and its minor digits."""
    echo = body.model_dump()
    outcome = c.writes.write(
        caller, key, lambda rid: protocol.RegisterCurrency(body.code, body.minor_digits, rid), lambda r, s: echo
    )
    return CurrencyRegistered.model_validate(written(outcome, response))


def quote_public(c: Components, raw: dict[str, Any]) -> QuotePublic:
    base = raw["base"]
    money = {f: to_decimal(c, int(raw[f]), base) for f in ("max_base_amount", "used", "remaining")}
    return QuotePublic(
        id=raw["id"], base=base, quote=raw["quote"], rate=raw["rate"], valid_until=raw["valid_until"], **money
    )


def _quote(c: Components, caller: Caller, quote_id: str) -> QuotePublic:
    return quote_public(c, read(c, caller, protocol.GetQuote(quote_id)))


@router.post(
    "/v1/fx/quotes",
    status_code=201,
    dependencies=[require_role(Role.FX_DESK)],
    responses=problem_responses(WRITE, MONEY),
)
def post_quote(
    body: QuoteCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> QuotePosted:
    """BankOrg fx_desk offers `rate` units of `quote` per unit of `base`, for up to max_base_amount of base,
    until valid_until (compared with each converting transaction's proposal time)."""
    minor = to_minor(c, body.max_base_amount, body.base)
    c.currencies.get(body.quote)

    def build(rid: str) -> protocol.PostQuote:
        return protocol.PostQuote(body.base, body.quote, body.rate, body.valid_until, minor, rid)

    answer = written(c.writes.write(caller, key, build, lambda r, s: {"quote_id": r["quote_id"]}), response)
    quote = _quote(c, caller, answer.pop("quote_id"))
    return QuotePosted.model_validate({**answer, "quote": quote})


@router.get("/v1/fx/quotes/{quote_id}", responses=problem_responses(READ, INPUT, (ErrorCode.UNKNOWN_QUOTE,)))
def get_quote(quote_id: QuoteId, caller: CallerDep, c: ComponentsDep) -> QuotePublic:
    """Every role that reads: quotes are the bank's offers to its holders."""
    return _quote(c, caller, quote_id)


@router.post(
    "/v1/conversions",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(
        WRITE,
        MONEY,
        QUOTE_FAILURES,
        (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.INSUFFICIENT_FUNDS),
    ),
)
def convert(
    body: ConversionCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> Converted:
    """The account's holder sells sell_amount of sell_currency to the bank for the quote's other currency."""
    minor = to_minor(c, body.sell_amount, body.sell_currency)

    def present(r: dict[str, Any], _: object) -> dict[str, Any]:
        bought = r["bought_currency"]
        return {
            "account": body.account,
            "quote_id": body.quote_id,
            "rate": r["rate"],
            "sold_currency": body.sell_currency,
            "sold_amount": to_decimal(c, minor, body.sell_currency),
            "bought_currency": bought,
            "bought_amount": to_decimal(c, int(r["bought_amount"]), bought),
        }

    def build(rid: str) -> protocol.Convert:
        return protocol.Convert(body.account, body.quote_id, body.sell_currency, minor, rid)

    return Converted.model_validate(written(c.writes.write(caller, key, build, present), response))


@router.get(
    "/v1/fx/position",
    dependencies=[require_role(*POSITION_ROLES)],
    responses=problem_responses(READ, (Forbidden,)),
)
def position(caller: CallerDep, c: ComponentsDep) -> dict[CurrencyCode, str]:
    """The bank's net position per currency from conversions: bought from holders minus sold to them
    (positive: the bank is long that currency). The bank's roles and the auditor."""
    raw = read(c, caller, protocol.GetFxPosition())
    return {cur: to_decimal(c, int(v), cur) for cur, v in sorted(raw.items())}
