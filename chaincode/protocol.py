"""The contract's wire protocol: transaction names, argument shapes and result shapes.

Shared by the chaincode (which parses with `from_json`) and the gateway (which builds with `to_json`).

Invocation: `args[0]` is the function name (`Function`, UTF-8), `args[1]` is ONE JSON object with exactly
the fields of that function's argument class below (`to_json` writes it canonically; any valid JSON
object is read). Amounts are JSON integers of minor units; ids and references are strings.

    function             kind      arguments                                                   result
    open_account         write     account_id, holder_msp, holder_subject, kyc_ref, request_id Event
                                   (dda: optional, the core account it is funded from)
    mint                 write     account_id, currency, amount, reserve_ref, request_id        Event
    transfer             write     from_account, to_account, currency, amount, reference,      Event
                                   request_id
    redeem               write     account_id, currency, amount, request_id                    Event (+ redemption_id)
                                   (payout: optional, {iban} or {account, bic})
    settle_redemption    write     redemption_id, payout_ref, request_id                       Event
    reject_redemption    write     redemption_id, reason, request_id                           Event
    freeze               write     account_id, reason, request_id                              Event
    unfreeze             write     account_id, reason, request_id                              Event
    get_account          read      account_id                                                  AccountView
    get_account_history  read      account_id                                                  AccountHistory
    get_supply           read      (none: `{}`)                                                SupplyView
    get_redemption       read      redemption_id                                               RedemptionView
    list_accounts        read      holder_msp, holder_subject (both nullable: a filter),       AccountPage
                                   cursor (nullable), limit
    fund_order           write     order_id, buyer_account, seller_account, currency, amount,  Event
                                   ship_by (epoch seconds), inspection_seconds,
                                   milestones (nullable: [{on, amount}]), request_id
    record_shipment      write     order_id, carrier, tracking_ref, request_id                 Event
    record_delivery      write     order_id, request_id                                        Event
    accept_order         write     order_id, request_id                                        Event
    release_order        write     order_id, request_id                                        Event
    refund_order         write     order_id, request_id                                        Event
    open_dispute         write     order_id, reason, request_id                                Event
    resolve_dispute      write     order_id, to_seller, to_buyer, request_id                   Event
    get_order            read      order_id                                                    OrderView
    attest               write     currency, balance, as_of_block, statement_sha256 (nullable), Event
                                   request_id
    list_attestations    read      (none: `{}`)                                                AttestationList
    get_dda_link         read      dda                                                         DdaLinkView
    approve_mint         write     mint_id, request_id                                         Event (Minted)

A person's mint above the topology's limit answers MintRequested (mint_id, reserve_ref) and mints nothing
until approve_mint by another BankMSP identity.

An optional field (`dda`, `payout`) may be left out or be null.
    register_currency    write     code, minor_digits, request_id                              Event
    get_currencies       read      (none)                                                      CurrenciesView
    post_quote           write     base, quote, rate (decimal string), valid_until,            Event (+ quote_id)
                                   max_base_amount, request_id
    get_quote            read      quote_id                                                    QuoteView
    convert              write     account_id, quote_id, sell_currency, sell_amount,           Event
                                   request_id
    get_fx_position      read      (none)                                                      FxPositionView
    payout               write     from_account, currency, lines [{to, amount, reference}],    Event (PayoutSettled)
                                   request_id

    register_issuer      write     msp_id, request_id                                          Event (IssuerRegistered)

Instruments (`chaincode.domain.instruments`): `mint`, `transfer` and `redeem` take `issuer` (optional, an
MSP ID; left out = the default issuer, BankMSP): the instrument is (issuer, currency), written
`EUR@EuroBankMSP` wherever results name a currency (balances, supply, events); the default issuer's
instruments keep the plain code.

`transfer` also takes receive_currency and quote_id (both or neither; left out = a plain transfer): payment
versus payment, the payee credited in receive_currency at the quote's rate.

A write answers with its event's payload (`Event.to_json`), the same bytes it sets as the chaincode
event, and records it under its request id; a read answers with its view. Failures answer
`CODE: message` (`chaincode.errors`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar, Self, TypedDict

from chaincode import domain
from chaincode.errors import ContractError, ErrorCode
from chaincode.state import canonical_json


class Function(StrEnum):
    OPEN_ACCOUNT = "open_account"
    MINT = "mint"
    TRANSFER = "transfer"
    REDEEM = "redeem"
    SETTLE_REDEMPTION = "settle_redemption"
    REJECT_REDEMPTION = "reject_redemption"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    GET_ACCOUNT = "get_account"
    GET_ACCOUNT_HISTORY = "get_account_history"
    GET_SUPPLY = "get_supply"
    GET_REDEMPTION = "get_redemption"
    LIST_ACCOUNTS = "list_accounts"
    FUND_ORDER = "fund_order"
    RECORD_SHIPMENT = "record_shipment"
    RECORD_DELIVERY = "record_delivery"
    ACCEPT_ORDER = "accept_order"
    RELEASE_ORDER = "release_order"
    REFUND_ORDER = "refund_order"
    OPEN_DISPUTE = "open_dispute"
    RESOLVE_DISPUTE = "resolve_dispute"
    GET_ORDER = "get_order"
    ATTEST = "attest"
    APPROVE_MINT = "approve_mint"
    LIST_ATTESTATIONS = "list_attestations"
    GET_DDA_LINK = "get_dda_link"
    REGISTER_CURRENCY = "register_currency"
    GET_CURRENCIES = "get_currencies"
    POST_QUOTE = "post_quote"
    GET_QUOTE = "get_quote"
    CONVERT = "convert"
    GET_FX_POSITION = "get_fx_position"
    PAYOUT = "payout"
    REGISTER_ISSUER = "register_issuer"


class EventType(StrEnum):
    ACCOUNT_OPENED = "AccountOpened"
    MINTED = "Minted"
    TRANSFERRED = "Transferred"
    REDEMPTION_REQUESTED = "RedemptionRequested"
    REDEMPTION_SETTLED = "RedemptionSettled"
    REDEMPTION_REJECTED = "RedemptionRejected"
    ACCOUNT_FROZEN = "AccountFrozen"
    ACCOUNT_UNFROZEN = "AccountUnfrozen"
    ESCROW_FUNDED = "EscrowFunded"
    SHIPMENT_RECORDED = "ShipmentRecorded"
    DELIVERY_RECORDED = "DeliveryRecorded"
    ESCROW_RELEASED = "EscrowReleased"
    ESCROW_REFUNDED = "EscrowRefunded"
    DISPUTE_OPENED = "DisputeOpened"
    DISPUTE_RESOLVED = "DisputeResolved"
    BALANCE_ATTESTED = "BalanceAttested"
    MINT_REQUESTED = "MintRequested"
    CURRENCY_REGISTERED = "CurrencyRegistered"
    QUOTE_POSTED = "QuotePosted"
    CONVERTED = "Converted"
    PAYOUT_SETTLED = "PayoutSettled"
    ISSUER_REGISTERED = "IssuerRegistered"


REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# External references (KYC file, reserve wire, invoice, payout): printable ASCII without spaces.
REFERENCE_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")
MSP_ID_PATTERN = domain.instruments.MSP_ID_PATTERN
# Redemption and quote ids are transaction ids (64 hex digits on Fabric).
REDEMPTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
TX_ID_LIKE = REDEMPTION_ID_PATTERN
MAX_REASON = 256
MAX_SUBJECT = 1024
# A page of list_accounts: each account costs a record read plus a balance range per currency.
MAX_PAGE = 100
# A cursor is the hex of a ledger key (ours are well under 1 KiB).
CURSOR_PATTERN = re.compile(r"(?:[0-9a-f]{2}){1,2048}")


# --- parsing --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonFraction:
    """A JSON number with a fraction or exponent, kept as its text: the contract never makes a float."""

    text: str


def _invalid(message: str) -> ContractError:
    return ContractError(ErrorCode.INVALID_ARGUMENT, message)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _invalid(f"duplicate field {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _invalid(f"{name} is not JSON")


def parse_object(data: bytes) -> dict[str, Any]:
    """One JSON object from UTF-8 bytes. Raises ContractError(INVALID_ARGUMENT) for anything else,
    including duplicate fields, NaN/Infinity and absurd nesting. Fractions become `JsonFraction`."""
    try:
        text = data.decode("utf-8")
        value = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_float=JsonFraction, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise _invalid("arguments are not valid UTF-8 JSON") from exc
    if not isinstance(value, dict):
        raise _invalid("arguments must be one JSON object")
    return value


# A field's parser: (the JSON value, the field's name) → the argument's value. Raises ContractError.
Check = Callable[[Any, str], Any]


_ABSENT = object()


def arg(check: Check, default: Any = _ABSENT) -> Any:
    """Declare an argument field and how it is parsed: `account_id: str = arg(ACCOUNT)`.

    A field with a default (None) may be left out of the JSON, and `to_json` leaves it out while it holds
    the default: a field added later does not change the bytes of existing calls.
    """
    if default is _ABSENT:
        return field(metadata={"check": check})
    return field(default=default, metadata={"check": check})


def integer(low: int, high: int) -> Check:
    def check(value: Any, name: str) -> int:
        # bool is an int in Python, never in JSON terms.
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _invalid(f"{name} must be an integer in {low}..{high}")
        return value

    return check


def string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string")
    return value


def matching(pattern: re.Pattern[str]) -> Check:
    def check(value: Any, name: str) -> str:
        found = string(value, name)
        if pattern.fullmatch(found) is None:
            raise _invalid(f"{name} must match {pattern.pattern}")
        return found

    return check


def text(max_length: int) -> Check:
    """Free text: 1..max_length characters, no control characters, surrogates or U+10FFFF."""

    def check(value: Any, name: str) -> str:
        found = string(value, name)
        if not 0 < len(found) <= max_length:
            raise _invalid(f"{name} must have 1..{max_length} characters")
        for ch in found:
            cp = ord(ch)
            if cp < 0x20 or 0x7F <= cp <= 0x9F or 0xD800 <= cp <= 0xDFFF or cp == 0x10FFFF:
                raise _invalid(f"{name} contains the character U+{cp:04X}")
        return found

    return check


def optional(inner: Check) -> Check:
    """null (an optional argument left out), or what `inner` accepts."""
    return lambda value, name: None if value is None else inner(value, name)


def _dda(value: Any, name: str) -> str:
    return domain.books.check_dda(string(value, name))


def _payout(raw: Any, name: str) -> dict[str, str] | None:
    """null, or {iban} or {account, bic} (`domain.books.PayoutAccount`)."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw or not set(raw) <= {"iban", "account", "bic"}:
        raise _invalid(f"{name} is an object with the fields iban, or account and bic")
    if not all(isinstance(v, str) for v in raw.values()):
        raise _invalid(f"{name}'s fields are strings")
    return domain.books.PayoutAccount(**raw).to_dict()


def _account(value: Any, name: str) -> str:
    domain.check_account_id(string(value, name))
    return str(value)


def _currency(value: Any, name: str) -> str:
    # The code's shape only: whether the ledger issues it is the registry's to say (UNKNOWN_CURRENCY).
    return domain.check_currency_code(string(value, name))


def _amount(value: Any, name: str) -> int:
    return domain.check_minor(value)


ACCOUNT: Check = _account
CURRENCY: Check = _currency
MSP = matching(MSP_ID_PATTERN)
AMOUNT: Check = _amount  # a positive integer of minor units (INVALID_AMOUNT otherwise)
REQUEST_ID = matching(REQUEST_ID_PATTERN)
REFERENCE = matching(REFERENCE_PATTERN)


# --- arguments ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Args:
    """Base of the argument classes: `FUNCTION` names the transaction; fields are the JSON fields, each
    declared with its parser (`arg(check)`); `check` adds the rules that tie fields together.

    A new transaction is one class: `FUNCTION`, its fields as `name: type = arg(CHECK)`, and an entry in ARGS.
    """

    FUNCTION: ClassVar[Function]
    WRITE: ClassVar[bool] = True

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        """Parse and validate args[1]. Raises ContractError (INVALID_ARGUMENT, INVALID_AMOUNT, UNKNOWN_CURRENCY)."""
        values = parse_object(data)
        required = {f.name for f in fields(cls) if f.default is MISSING}
        missing = sorted(required - values.keys())
        extra = sorted(values.keys() - set(cls.field_names()))
        if missing:
            raise _invalid(f"missing field(s): {', '.join(missing)}")
        if extra:
            raise _invalid(f"unexpected field(s): {', '.join(extra)}")
        args = cls(**{f.name: f.metadata["check"](values[f.name], f.name) for f in fields(cls) if f.name in values})
        args.check()
        return args

    def check(self) -> None:
        """Rules across fields, run after each field parsed. Raises ContractError(INVALID_ARGUMENT)."""

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_json(self) -> bytes:
        left_out = {f.name for f in fields(self) if f.default is not MISSING and getattr(self, f.name) == f.default}
        return canonical_json({k: v for k, v in asdict(self).items() if k not in left_out})

    def to_args(self) -> list[bytes]:
        """The full invocation: [function name, JSON arguments]."""
        return [self.FUNCTION.encode(), self.to_json()]


@dataclass(frozen=True, slots=True)
class OpenAccount(Args):
    FUNCTION = Function.OPEN_ACCOUNT
    account_id: str = arg(ACCOUNT)
    holder_msp: str = arg(matching(MSP_ID_PATTERN))
    holder_subject: str = arg(text(MAX_SUBJECT))
    kyc_ref: str = arg(REFERENCE)
    request_id: str = arg(REQUEST_ID)
    dda: str | None = arg(optional(_dda), None)  # the core account it is funded from (domain.books)


@dataclass(frozen=True, slots=True)
class Mint(Args):
    FUNCTION = Function.MINT
    account_id: str = arg(ACCOUNT)
    currency: str = arg(CURRENCY)
    amount: int = arg(AMOUNT)
    reserve_ref: str = arg(REFERENCE)
    request_id: str = arg(REQUEST_ID)
    issuer: str | None = arg(optional(MSP), None)  # the issuing bank; None: the default issuer

    @property
    def instrument(self) -> domain.Instrument:
        return domain.Instrument.of(self.currency, self.issuer)


@dataclass(frozen=True, slots=True)
class Transfer(Args):
    FUNCTION = Function.TRANSFER
    from_account: str = arg(ACCOUNT)
    to_account: str = arg(ACCOUNT)
    currency: str = arg(CURRENCY)
    amount: int = arg(AMOUNT)
    reference: str = arg(REFERENCE)
    request_id: str = arg(REQUEST_ID)
    # Payment versus payment: the payee receives `receive_currency`, converted under the quote.
    receive_currency: str | None = arg(optional(CURRENCY), None)
    quote_id: str | None = arg(optional(matching(TX_ID_LIKE)), None)
    issuer: str | None = arg(optional(MSP), None)  # whose `currency` moves; None: the default issuer

    @property
    def instrument(self) -> domain.Instrument:
        return domain.Instrument.of(self.currency, self.issuer)

    def check(self) -> None:
        """Also raises INVALID_ARGUMENT for receive_currency without quote_id (or the reverse), or equal to
        currency."""
        if self.from_account == self.to_account:
            raise _invalid("from_account and to_account must differ")
        if (self.receive_currency is None) != (self.quote_id is None):
            raise _invalid("receive_currency and quote_id go together")
        if self.receive_currency == self.currency:
            raise _invalid("receive_currency must differ from currency (leave both out for a plain transfer)")


@dataclass(frozen=True, slots=True)
class Redeem(Args):
    FUNCTION = Function.REDEEM
    account_id: str = arg(ACCOUNT)
    currency: str = arg(CURRENCY)
    amount: int = arg(AMOUNT)
    request_id: str = arg(REQUEST_ID)
    payout: Mapping[str, str] | None = arg(optional(_payout), None)  # PayoutAccount: {iban} or {account, bic}
    issuer: str | None = arg(optional(MSP), None)  # whose `currency` is redeemed; None: the default issuer

    @property
    def instrument(self) -> domain.Instrument:
        return domain.Instrument.of(self.currency, self.issuer)

    @property
    def payout_account(self) -> domain.books.PayoutAccount | None:
        return None if self.payout is None else domain.books.PayoutAccount(**self.payout)


@dataclass(frozen=True, slots=True)
class SettleRedemption(Args):
    FUNCTION = Function.SETTLE_REDEMPTION
    redemption_id: str = arg(matching(REDEMPTION_ID_PATTERN))
    payout_ref: str = arg(REFERENCE)
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class RejectRedemption(Args):
    FUNCTION = Function.REJECT_REDEMPTION
    redemption_id: str = arg(matching(REDEMPTION_ID_PATTERN))
    reason: str = arg(text(MAX_REASON))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class Freeze(Args):
    FUNCTION = Function.FREEZE
    account_id: str = arg(ACCOUNT)
    reason: str = arg(text(MAX_REASON))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class Unfreeze(Freeze):
    FUNCTION = Function.UNFREEZE


@dataclass(frozen=True, slots=True)
class GetAccount(Args):
    FUNCTION = Function.GET_ACCOUNT
    WRITE = False
    account_id: str = arg(ACCOUNT)


@dataclass(frozen=True, slots=True)
class GetAccountHistory(GetAccount):
    FUNCTION = Function.GET_ACCOUNT_HISTORY


@dataclass(frozen=True, slots=True)
class GetSupply(Args):
    FUNCTION = Function.GET_SUPPLY
    WRITE = False


@dataclass(frozen=True, slots=True)
class GetRedemption(Args):
    FUNCTION = Function.GET_REDEMPTION
    WRITE = False
    redemption_id: str = arg(matching(REDEMPTION_ID_PATTERN))


@dataclass(frozen=True, slots=True)
class ListAccounts(Args):
    """The accounts the caller may see, in holder-index order (holder MSP, subject, account id).

    The filter narrows to one MSP (holder_msp) or one holder (both); `cursor` is the `next_cursor` of the
    previous page, or null for the first page.
    """

    FUNCTION = Function.LIST_ACCOUNTS
    WRITE = False
    holder_msp: str | None = arg(optional(matching(MSP_ID_PATTERN)))
    holder_subject: str | None = arg(optional(text(MAX_SUBJECT)))
    cursor: str | None = arg(optional(matching(CURSOR_PATTERN)))
    limit: int = arg(integer(1, MAX_PAGE))

    def check(self) -> None:
        if self.holder_subject is not None and self.holder_msp is None:
            raise _invalid("holder_subject needs holder_msp")


# --- escrow (chaincode.domain.escrow) ------------------------------------------------------------------

ORDER_ID_PATTERN = domain.escrow.ORDER_ID_PATTERN
ORDER_ID = matching(ORDER_ID_PATTERN)
# Epoch seconds up to 9999-12-31 (the proposal timestamps the contract accepts end there too).
MAX_EPOCH_SECONDS = 253_402_300_799


@dataclass(frozen=True, slots=True)
class MilestoneArg:
    on: str  # "shipment" | "acceptance"
    amount: int


def _milestones(raw: Any, name: str) -> tuple[MilestoneArg, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not 0 < len(raw) <= domain.escrow.MAX_MILESTONES:
        raise _invalid(f"{name} must be a list of 1..{domain.escrow.MAX_MILESTONES} objects, or null")
    out = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"on", "amount"}:
            raise _invalid("each milestone is an object with exactly the fields on, amount")
        if item["on"] not in {str(t) for t in domain.escrow.Trigger}:
            raise _invalid("a milestone's on must be shipment or acceptance")
        out.append(MilestoneArg(item["on"], domain.check_minor(item["amount"])))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class FundOrder(Args):
    FUNCTION = Function.FUND_ORDER
    order_id: str = arg(ORDER_ID)
    buyer_account: str = arg(ACCOUNT)
    seller_account: str = arg(ACCOUNT)
    currency: str = arg(CURRENCY)
    amount: int = arg(AMOUNT)
    ship_by: int = arg(integer(0, MAX_EPOCH_SECONDS))
    inspection_seconds: int = arg(integer(0, domain.escrow.MAX_INSPECTION_SECONDS))
    milestones: tuple[MilestoneArg, ...] | None = arg(_milestones)
    request_id: str = arg(REQUEST_ID)

    def plan(self) -> tuple[domain.escrow.Milestone, ...] | None:
        if self.milestones is None:
            return None
        return tuple(domain.escrow.Milestone(domain.escrow.Trigger(m.on), m.amount) for m in self.milestones)


@dataclass(frozen=True, slots=True)
class OrderStep(Args):
    """An order transition that takes nothing but the order (delivery, accept, release, refund)."""

    FUNCTION = Function.RECORD_DELIVERY
    order_id: str = arg(ORDER_ID)
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class RecordDelivery(OrderStep):
    FUNCTION = Function.RECORD_DELIVERY


@dataclass(frozen=True, slots=True)
class AcceptOrder(OrderStep):
    FUNCTION = Function.ACCEPT_ORDER


@dataclass(frozen=True, slots=True)
class ReleaseOrder(OrderStep):
    FUNCTION = Function.RELEASE_ORDER


@dataclass(frozen=True, slots=True)
class RefundOrder(OrderStep):
    FUNCTION = Function.REFUND_ORDER


@dataclass(frozen=True, slots=True)
class RecordShipment(Args):
    FUNCTION = Function.RECORD_SHIPMENT
    order_id: str = arg(ORDER_ID)
    carrier: str = arg(text(MAX_REASON))
    tracking_ref: str = arg(REFERENCE)
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class OpenDispute(Args):
    FUNCTION = Function.OPEN_DISPUTE
    order_id: str = arg(ORDER_ID)
    reason: str = arg(text(MAX_REASON))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class ResolveDispute(Args):
    FUNCTION = Function.RESOLVE_DISPUTE
    order_id: str = arg(ORDER_ID)
    to_seller: int = arg(integer(0, domain.MAX_AMOUNT))
    to_buyer: int = arg(integer(0, domain.MAX_AMOUNT))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class GetOrder(Args):
    FUNCTION = Function.GET_ORDER
    WRITE = False
    order_id: str = arg(ORDER_ID)


# --- currencies, fx and payouts (chaincode.domain.fx) ---------------------------------------------------

MAX_PAYOUT_LINES = 500


@dataclass(frozen=True, slots=True)
class RegisterCurrency(Args):
    FUNCTION = Function.REGISTER_CURRENCY
    code: str = arg(CURRENCY)
    minor_digits: int = arg(integer(0, domain.MAX_MINOR_DIGITS))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class RegisterIssuer(Args):
    """A bank that issues its own instruments from now on (`EUR@{msp_id}`), by the default issuer."""

    FUNCTION = Function.REGISTER_ISSUER
    msp_id: str = arg(MSP)
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class GetCurrencies(Args):
    FUNCTION = Function.GET_CURRENCIES
    WRITE = False


def _rate(value: Any, name: str) -> str:
    domain.fx.Rate.parse(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class PostQuote(Args):
    """rate: units of `quote` per unit of `base`, a decimal string (at most 8 decimals); max_base_amount in
    base minor units; valid_until in epoch seconds (the converting transaction's proposal time)."""

    FUNCTION = Function.POST_QUOTE
    base: str = arg(CURRENCY)
    quote: str = arg(CURRENCY)
    rate: str = arg(_rate)
    valid_until: int = arg(integer(0, MAX_EPOCH_SECONDS))
    max_base_amount: int = arg(AMOUNT)
    request_id: str = arg(REQUEST_ID)

    def check(self) -> None:
        if self.base == self.quote:
            raise _invalid("base and quote must differ")


@dataclass(frozen=True, slots=True)
class GetQuote(Args):
    FUNCTION = Function.GET_QUOTE
    WRITE = False
    quote_id: str = arg(matching(TX_ID_LIKE))


@dataclass(frozen=True, slots=True)
class Convert(Args):
    """The holder of account_id sells sell_amount of sell_currency for the quote's other currency."""

    FUNCTION = Function.CONVERT
    account_id: str = arg(ACCOUNT)
    quote_id: str = arg(matching(TX_ID_LIKE))
    sell_currency: str = arg(CURRENCY)
    sell_amount: int = arg(AMOUNT)
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class GetFxPosition(Args):
    FUNCTION = Function.GET_FX_POSITION
    WRITE = False


@dataclass(frozen=True, slots=True)
class PayoutLine:
    to: str
    amount: int
    reference: str


def _lines(raw: Any, name: str) -> tuple[PayoutLine, ...]:
    """1..MAX_PAYOUT_LINES lines, each {to, amount, reference}, no payee twice; errors name the line."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_PAYOUT_LINES:
        raise _invalid(f"{name} must be a list of 1..{MAX_PAYOUT_LINES} lines")
    out: list[PayoutLine] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{name}[{i}]"
        if not isinstance(item, dict) or set(item) != {"to", "amount", "reference"}:
            raise _invalid(f"{where} must be an object with exactly the fields to, amount, reference")
        try:
            line = PayoutLine(
                _account(item["to"], f"{where}.to"),
                _amount(item["amount"], f"{where}.amount"),
                REFERENCE(item["reference"], f"{where}.reference"),
            )
        except ContractError as exc:
            raise ContractError(exc.code, f"{where}: {exc.message}") from None
        if line.to in seen:
            raise _invalid(f"{where}: account {line.to} is paid twice")
        seen.add(line.to)
        out.append(line)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Payout(Args):
    """One debit of from_account, one credit per line: all lines or none (line errors name the index)."""

    FUNCTION = Function.PAYOUT
    from_account: str = arg(ACCOUNT)
    currency: str = arg(CURRENCY)
    lines: tuple[PayoutLine, ...] = arg(_lines)
    request_id: str = arg(REQUEST_ID)

    def check(self) -> None:
        for i, line in enumerate(self.lines):
            if line.to == self.from_account:
                raise _invalid(f"lines[{i}]: the payer cannot pay itself")

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


# --- the bank's books (chaincode.domain.books) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attest(Args):
    """The treasury's statement of its books' token liability in one currency, as of a chain block."""

    FUNCTION = Function.ATTEST
    currency: str = arg(CURRENCY)
    balance: int = arg(integer(0, domain.MAX_AMOUNT * 1000))
    as_of_block: int = arg(integer(0, 2**63 - 1))
    statement_sha256: str | None = arg(optional(matching(domain.books.SHA256_PATTERN)))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class ApproveMint(Args):
    FUNCTION = Function.APPROVE_MINT
    mint_id: str = arg(matching(REDEMPTION_ID_PATTERN))
    request_id: str = arg(REQUEST_ID)


@dataclass(frozen=True, slots=True)
class ListAttestations(GetSupply):
    FUNCTION = Function.LIST_ATTESTATIONS


@dataclass(frozen=True, slots=True)
class GetDdaLink(Args):
    FUNCTION = Function.GET_DDA_LINK
    WRITE = False
    dda: str = arg(_dda)


ARGS: dict[Function, type[Args]] = {
    cls.FUNCTION: cls
    for cls in (
        OpenAccount,
        Mint,
        Transfer,
        Redeem,
        SettleRedemption,
        RejectRedemption,
        Freeze,
        Unfreeze,
        GetAccount,
        GetAccountHistory,
        GetSupply,
        GetRedemption,
        ListAccounts,
        FundOrder,
        RecordShipment,
        RecordDelivery,
        AcceptOrder,
        ReleaseOrder,
        RefundOrder,
        OpenDispute,
        ResolveDispute,
        GetOrder,
        Attest,
        ListAttestations,
        GetDdaLink,
        ApproveMint,
        RegisterCurrency,
        GetCurrencies,
        PostQuote,
        GetQuote,
        Convert,
        GetFxPosition,
        Payout,
        RegisterIssuer,
    )
}
WRITES = frozenset(f for f, cls in ARGS.items() if cls.WRITE)


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leg:
    """One account an event touches, its holder, and the signed amount it moved (+ credit, - debit; null
    when the event moved no balance of it, e.g. AccountOpened or RedemptionSettled).

    The visibility rule (`chaincode.access.visible_event`) works on legs, so an event that concerns many
    parties (a bulk payout: one debit, many credits) can be cut to each party's own part.
    """

    account: str
    holder_msp: str
    holder_subject: str
    amount: int | None
    # Set only where the event needs it: a leg in another currency than the event's (payment versus
    # payment, conversion), a payout line's reference. Absent from the JSON when None.
    currency: str | None = None
    reference: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "account": self.account,
            "holder_msp": self.holder_msp,
            "holder_subject": self.holder_subject,
            "amount": self.amount,
        }
        if self.currency is not None:
            out["currency"] = self.currency
        if self.reference is not None:
            out["reference"] = self.reference
        return out


@dataclass(frozen=True, slots=True)
class Event:
    """A write's chaincode event and its result.

    JSON: `{type, tx_id, request_id, accounts, currency, amount, legs, <references>}` — currency and amount
    are null for AccountOpened/AccountFrozen/AccountUnfrozen; `legs` (see `Leg`) name every account touched
    with its holder; the references are flattened in:
    AccountOpened holder_msp, holder_subject, kyc_ref · Minted reserve_ref · Transferred reference ·
    RedemptionRequested redemption_id (+ payout_iban | payout_account, payout_bic) ·
    RedemptionSettled redemption_id, payout_ref ·
    RedemptionRejected redemption_id, reason · AccountFrozen/AccountUnfrozen reason ·
    BalanceAttested as_of_block (decimal string), statement_sha256 (when given); amount is the balance ·
    MintRequested mint_id, reserve_ref (no balance moved) · Minted after approval: + mint_id, approved_by.
    """

    type: EventType
    tx_id: str
    request_id: str
    accounts: tuple[str, ...]
    currency: str | None = None
    amount: int | None = None
    references: dict[str, str] = field(default_factory=dict)
    legs: tuple[Leg, ...] = ()

    _BASE: ClassVar[tuple[str, ...]] = ("type", "tx_id", "request_id", "accounts", "currency", "amount", "legs")

    def to_dict(self) -> dict[str, Any]:
        base: dict[str, Any] = {
            "type": str(self.type),
            "tx_id": self.tx_id,
            "request_id": self.request_id,
            "accounts": list(self.accounts),
            "currency": self.currency,
            "amount": self.amount,
            "legs": [leg.to_dict() for leg in self.legs],
        }
        return {**self.references, **base}

    def exchanged(self) -> tuple[str, int, str, int] | None:
        """(sold currency, sold, bought currency, bought) of a conversion or a transfer under a quote (PvP),
        seen from the bank: it took the event's amount out of supply (fx_out) and issued the other (fx_in).
        None for any other event."""
        refs = self.references
        if self.type is EventType.CONVERTED:
            code, amount = refs.get("bought_currency"), refs.get("bought_amount")
        elif self.type is EventType.TRANSFERRED and "quote_id" in refs:
            code, amount = refs.get("receive_currency"), refs.get("receive_amount")
        else:
            return None
        if self.currency is None or self.amount is None or code is None or amount is None:
            return None
        return self.currency, self.amount, code, int(amount)

    def to_json(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        """Read an event payload or write result. Raises ContractError(INVALID_ARGUMENT) when malformed."""
        raw = parse_object(data)
        try:
            return cls(
                type=EventType(raw["type"]),
                tx_id=raw["tx_id"],
                request_id=raw["request_id"],
                accounts=tuple(raw["accounts"]),
                currency=raw["currency"],
                amount=raw["amount"],
                references={k: v for k, v in raw.items() if k not in cls._BASE},
                # Events committed before legs existed have none.
                legs=tuple(
                    Leg(
                        g["account"],
                        g["holder_msp"],
                        g["holder_subject"],
                        g["amount"],
                        g.get("currency"),
                        g.get("reference"),
                    )
                    for g in raw.get("legs", ())
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _invalid("not an event payload") from exc


class AccountView(TypedDict):
    id: str
    holder_msp: str
    holder_subject: str
    kyc_ref: str
    status: str  # "active" | "frozen"
    balances: dict[str, int]  # every currency, minor units
    dda: str | None  # the core account it is funded from


class AttestationView(TypedDict):
    currency: str
    balance: int
    as_of_block: int
    statement_sha256: str | None
    tx_id: str
    timestamp: str


class AttestationList(TypedDict):
    attestations: list[AttestationView]  # by currency, then block


class DdaLinkView(TypedDict):
    dda: str
    account_id: str


class AccountPage(TypedDict):
    accounts: list[AccountView]
    next_cursor: str | None  # null on the last page


class HistoryEntry(TypedDict):
    tx_id: str
    type: str  # the EventType that moved the balance
    currency: str
    amount: int  # signed minor units: + credit, - debit
    counterparty: str | None  # the other account of a transfer
    reference: str | None  # transfer reference, reserve_ref, or redemption id
    timestamp: str  # the proposal's timestamp, RFC 3339 UTC with nanoseconds


class AccountHistory(TypedDict):
    account_id: str
    entries: list[HistoryEntry]  # in (proposal timestamp, tx id) order


class CurrencySupply(TypedDict):
    minted: int
    redeemed: int  # settled redemptions
    outstanding: int  # minted + fx_in - redeemed - fx_out
    balances_total: int  # summed from balances, independently of the counters
    pending_redemptions: int  # summed from pending redemptions
    escrowed: int  # summed from what orders' escrows hold
    fx_in: int  # issued by conversions
    fx_out: int  # taken out of supply by conversions


SupplyView = dict[str, CurrencySupply]  # every currency


class RedemptionView(TypedDict):
    id: str
    account_id: str
    currency: str
    amount: int
    status: str  # "pending" | "settled" | "rejected"
    requested_tx_id: str
    closed_tx_id: str | None
    payout_ref: str | None
    reason: str | None
    payout_to: dict[str, str] | None  # {iban} or {account, bic}: an external account to pay


class MilestoneView(TypedDict):
    on: str  # "shipment" | "acceptance"
    amount: int
    released: bool


class ShipmentView(TypedDict):
    carrier: str
    tracking_ref: str
    shipped_at: int  # epoch seconds (the recording transaction's time)


class DisputeView(TypedDict):
    reason: str
    opened_at: int
    to_seller: int | None  # set when resolved
    to_buyer: int | None


class OrderView(TypedDict):
    id: str
    buyer_account: str
    seller_account: str
    currency: str
    amount: int
    held: int  # amount - released - refunded
    released: int
    refunded: int
    status: str  # chaincode.domain.escrow.OrderStatus
    milestones: list[MilestoneView]
    ship_by: int  # epoch seconds
    inspection_seconds: int
    funded_at: int
    shipment: ShipmentView | None
    delivered_at: int | None
    dispute: DisputeView | None


class CurrencyView(TypedDict):
    code: str
    minor_digits: int


CurrenciesView = list[CurrencyView]  # in code order


class QuoteView(TypedDict):
    id: str
    base: str
    quote: str
    rate: str  # decimal string, exact
    rate_numerator: int
    rate_denominator: int
    valid_until: int
    max_base_amount: int
    used: int
    remaining: int


FxPositionView = dict[str, int]  # per registered currency: bought from holders minus sold to them (minor units)
