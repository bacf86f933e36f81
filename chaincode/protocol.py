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

A write answers with its event's payload (`Event.to_json`), the same bytes it sets as the chaincode
event, and records it under its request id; a read answers with its view. Failures answer
`CODE: message` (`chaincode.errors`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
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


REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# External references (KYC file, reserve wire, invoice, payout): printable ASCII without spaces.
REFERENCE_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")
MSP_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Redemption ids are transaction ids (64 hex digits on Fabric).
REDEMPTION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
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


class _Fields:
    """Typed access to the fields of one argument object, each checked once."""

    def __init__(self, data: bytes, names: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        """`optional`: fields that may be left out (read as null)."""
        self._values = parse_object(data)
        for name in optional:
            self._values.setdefault(name, None)
        missing = sorted(set(names) - self._values.keys())
        extra = sorted(self._values.keys() - set(names))
        if missing:
            raise _invalid(f"missing field(s): {', '.join(missing)}")
        if extra:
            raise _invalid(f"unexpected field(s): {', '.join(extra)}")

    def present(self, name: str) -> bool:
        """False when the field is null (an optional argument left out)."""
        return self._values[name] is not None

    def integer(self, name: str, low: int, high: int) -> int:
        value = self._values[name]
        # bool is an int in Python, never in JSON terms.
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _invalid(f"{name} must be an integer in {low}..{high}")
        return value

    def string(self, name: str) -> str:
        value = self._values[name]
        if not isinstance(value, str):
            raise _invalid(f"{name} must be a string")
        return value

    def matching(self, name: str, pattern: re.Pattern[str]) -> str:
        value = self.string(name)
        if pattern.fullmatch(value) is None:
            raise _invalid(f"{name} must match {pattern.pattern}")
        return value

    def account_id(self, name: str) -> str:
        value = self.string(name)
        domain.check_account_id(value)
        return value

    def text(self, name: str, max_length: int) -> str:
        """Free text: 1..max_length characters, no control characters, surrogates or U+10FFFF."""
        value = self.string(name)
        if not 0 < len(value) <= max_length:
            raise _invalid(f"{name} must have 1..{max_length} characters")
        for ch in value:
            cp = ord(ch)
            if cp < 0x20 or 0x7F <= cp <= 0x9F or 0xD800 <= cp <= 0xDFFF or cp == 0x10FFFF:
                raise _invalid(f"{name} contains the character U+{cp:04X}")
        return value

    def raw(self, name: str) -> Any:
        return self._values[name]

    def currency(self, name: str = "currency") -> str:
        return domain.currency(self.string(name)).code

    def amount(self, currency: str, name: str = "amount") -> int:
        return domain.Amount.of(self._values[name], domain.currency(currency)).minor


# --- arguments ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Args:
    """Base of the argument classes: `FUNCTION` names the transaction; fields are the JSON fields."""

    FUNCTION: ClassVar[Function]
    WRITE: ClassVar[bool] = True

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        """Parse and validate args[1]. Raises ContractError (INVALID_ARGUMENT, INVALID_AMOUNT, UNKNOWN_CURRENCY)."""
        raise NotImplementedError

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def to_json(self) -> bytes:
        return canonical_json(asdict(self))

    def to_args(self) -> list[bytes]:
        """The full invocation: [function name, JSON arguments]."""
        return [self.FUNCTION.encode(), self.to_json()]


class _Money:
    """For argument classes with `currency` and `amount` fields: both as a domain Amount."""

    __slots__ = ()
    currency: str
    amount: int

    @property
    def money(self) -> domain.Amount:
        return domain.Amount.of(self.amount, domain.currency(self.currency))


@dataclass(frozen=True, slots=True)
class OpenAccount(Args):
    FUNCTION = Function.OPEN_ACCOUNT
    account_id: str
    holder_msp: str
    holder_subject: str
    kyc_ref: str
    request_id: str
    dda: str | None = None

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names(), optional=("dda",))
        return cls(
            account_id=f.account_id("account_id"),
            holder_msp=f.matching("holder_msp", MSP_ID_PATTERN),
            holder_subject=f.text("holder_subject", MAX_SUBJECT),
            kyc_ref=f.matching("kyc_ref", REFERENCE_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
            dda=domain.books.check_dda(f.string("dda")) if f.present("dda") else None,
        )


@dataclass(frozen=True, slots=True)
class Mint(Args, _Money):
    FUNCTION = Function.MINT
    account_id: str
    currency: str
    amount: int
    reserve_ref: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        currency = f.currency()
        return cls(
            account_id=f.account_id("account_id"),
            currency=currency,
            amount=f.amount(currency),
            reserve_ref=f.matching("reserve_ref", REFERENCE_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class Transfer(Args, _Money):
    FUNCTION = Function.TRANSFER
    from_account: str
    to_account: str
    currency: str
    amount: int
    reference: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        """Also raises INVALID_ARGUMENT when from_account == to_account."""
        f = _Fields(data, cls.field_names())
        currency = f.currency()
        args = cls(
            from_account=f.account_id("from_account"),
            to_account=f.account_id("to_account"),
            currency=currency,
            amount=f.amount(currency),
            reference=f.matching("reference", REFERENCE_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )
        if args.from_account == args.to_account:
            raise _invalid("from_account and to_account must differ")
        return args


@dataclass(frozen=True, slots=True)
class Redeem(Args, _Money):
    FUNCTION = Function.REDEEM
    account_id: str
    currency: str
    amount: int
    request_id: str
    payout: dict[str, str] | None = None  # domain.books.PayoutAccount: {iban} or {account, bic}

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names(), optional=("payout",))
        currency = f.currency()
        return cls(
            account_id=f.account_id("account_id"),
            currency=currency,
            amount=f.amount(currency),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
            payout=_payout(f.raw("payout")),
        )

    @property
    def payout_account(self) -> domain.books.PayoutAccount | None:
        return None if self.payout is None else domain.books.PayoutAccount(**self.payout)


def _payout(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw or not set(raw) <= {"iban", "account", "bic"}:
        raise _invalid("payout is an object with the fields iban, or account and bic")
    if not all(isinstance(v, str) for v in raw.values()):
        raise _invalid("payout's fields are strings")
    return domain.books.PayoutAccount(**raw).to_dict()


@dataclass(frozen=True, slots=True)
class SettleRedemption(Args):
    FUNCTION = Function.SETTLE_REDEMPTION
    redemption_id: str
    payout_ref: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            redemption_id=f.matching("redemption_id", REDEMPTION_ID_PATTERN),
            payout_ref=f.matching("payout_ref", REFERENCE_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class RejectRedemption(Args):
    FUNCTION = Function.REJECT_REDEMPTION
    redemption_id: str
    reason: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            redemption_id=f.matching("redemption_id", REDEMPTION_ID_PATTERN),
            reason=f.text("reason", MAX_REASON),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class Freeze(Args):
    FUNCTION = Function.FREEZE
    account_id: str
    reason: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            account_id=f.account_id("account_id"),
            reason=f.text("reason", MAX_REASON),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class Unfreeze(Freeze):
    FUNCTION = Function.UNFREEZE


@dataclass(frozen=True, slots=True)
class GetAccount(Args):
    FUNCTION = Function.GET_ACCOUNT
    WRITE = False
    account_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        return cls(account_id=_Fields(data, cls.field_names()).account_id("account_id"))


@dataclass(frozen=True, slots=True)
class GetAccountHistory(GetAccount):
    FUNCTION = Function.GET_ACCOUNT_HISTORY


@dataclass(frozen=True, slots=True)
class GetSupply(Args):
    FUNCTION = Function.GET_SUPPLY
    WRITE = False

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        _Fields(data, ())
        return cls()


@dataclass(frozen=True, slots=True)
class GetRedemption(Args):
    FUNCTION = Function.GET_REDEMPTION
    WRITE = False
    redemption_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        return cls(redemption_id=_Fields(data, cls.field_names()).matching("redemption_id", REDEMPTION_ID_PATTERN))


@dataclass(frozen=True, slots=True)
class ListAccounts(Args):
    """The accounts the caller may see, in holder-index order (holder MSP, subject, account id).

    The filter narrows to one MSP (holder_msp) or one holder (both); `cursor` is the `next_cursor` of the
    previous page, or null for the first page.
    """

    FUNCTION = Function.LIST_ACCOUNTS
    WRITE = False
    holder_msp: str | None
    holder_subject: str | None
    cursor: str | None
    limit: int

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        """Also raises INVALID_ARGUMENT for a holder_subject without holder_msp."""
        f = _Fields(data, cls.field_names())
        args = cls(
            holder_msp=f.matching("holder_msp", MSP_ID_PATTERN) if f.present("holder_msp") else None,
            holder_subject=f.text("holder_subject", MAX_SUBJECT) if f.present("holder_subject") else None,
            cursor=f.matching("cursor", CURSOR_PATTERN) if f.present("cursor") else None,
            limit=f.integer("limit", 1, MAX_PAGE),
        )
        if args.holder_subject is not None and args.holder_msp is None:
            raise _invalid("holder_subject needs holder_msp")
        return args


# --- escrow (chaincode.domain.escrow) ------------------------------------------------------------------

ORDER_ID_PATTERN = domain.escrow.ORDER_ID_PATTERN
# Epoch seconds up to 9999-12-31 (the proposal timestamps the contract accepts end there too).
MAX_EPOCH_SECONDS = 253_402_300_799


@dataclass(frozen=True, slots=True)
class MilestoneArg:
    on: str  # "shipment" | "acceptance"
    amount: int


def _milestones(f: _Fields, currency: str) -> tuple[MilestoneArg, ...] | None:
    if not f.present("milestones"):
        return None
    raw = f.raw("milestones")
    if not isinstance(raw, list) or not 0 < len(raw) <= domain.escrow.MAX_MILESTONES:
        raise _invalid(f"milestones must be a list of 1..{domain.escrow.MAX_MILESTONES} objects, or null")
    out = []
    for item in raw:
        if not isinstance(item, dict) or set(item) != {"on", "amount"}:
            raise _invalid("each milestone is an object with exactly the fields on, amount")
        if item["on"] not in {str(t) for t in domain.escrow.Trigger}:
            raise _invalid("a milestone's on must be shipment or acceptance")
        out.append(MilestoneArg(item["on"], domain.Amount.of(item["amount"], domain.currency(currency)).minor))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class FundOrder(Args, _Money):
    FUNCTION = Function.FUND_ORDER
    order_id: str
    buyer_account: str
    seller_account: str
    currency: str
    amount: int
    ship_by: int
    inspection_seconds: int
    milestones: tuple[MilestoneArg, ...] | None
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        currency = f.currency()
        return cls(
            order_id=f.matching("order_id", ORDER_ID_PATTERN),
            buyer_account=f.account_id("buyer_account"),
            seller_account=f.account_id("seller_account"),
            currency=currency,
            amount=f.amount(currency),
            ship_by=f.integer("ship_by", 0, MAX_EPOCH_SECONDS),
            inspection_seconds=f.integer("inspection_seconds", 0, domain.escrow.MAX_INSPECTION_SECONDS),
            milestones=_milestones(f, currency),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )

    def plan(self) -> tuple[domain.escrow.Milestone, ...] | None:
        if self.milestones is None:
            return None
        return tuple(domain.escrow.Milestone(domain.escrow.Trigger(m.on), m.amount) for m in self.milestones)


@dataclass(frozen=True, slots=True)
class OrderStep(Args):
    """An order transition that takes nothing but the order (delivery, accept, release, refund)."""

    FUNCTION = Function.RECORD_DELIVERY
    order_id: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            order_id=f.matching("order_id", ORDER_ID_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


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
    order_id: str
    carrier: str
    tracking_ref: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            order_id=f.matching("order_id", ORDER_ID_PATTERN),
            carrier=f.text("carrier", MAX_REASON),
            tracking_ref=f.matching("tracking_ref", REFERENCE_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class OpenDispute(Args):
    FUNCTION = Function.OPEN_DISPUTE
    order_id: str
    reason: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            order_id=f.matching("order_id", ORDER_ID_PATTERN),
            reason=f.text("reason", MAX_REASON),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class ResolveDispute(Args):
    FUNCTION = Function.RESOLVE_DISPUTE
    order_id: str
    to_seller: int
    to_buyer: int
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            order_id=f.matching("order_id", ORDER_ID_PATTERN),
            to_seller=f.integer("to_seller", 0, domain.MAX_AMOUNT),
            to_buyer=f.integer("to_buyer", 0, domain.MAX_AMOUNT),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class GetOrder(Args):
    FUNCTION = Function.GET_ORDER
    WRITE = False
    order_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        return cls(order_id=_Fields(data, cls.field_names()).matching("order_id", ORDER_ID_PATTERN))


# --- the bank's books (chaincode.domain.books) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attest(Args):
    """The treasury's statement of its books' token liability in one currency, as of a chain block."""

    FUNCTION = Function.ATTEST
    currency: str
    balance: int
    as_of_block: int
    statement_sha256: str | None
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            currency=f.currency(),
            balance=f.integer("balance", 0, domain.MAX_AMOUNT * 1000),
            as_of_block=f.integer("as_of_block", 0, 2**63 - 1),
            statement_sha256=f.matching("statement_sha256", domain.books.SHA256_PATTERN)
            if f.present("statement_sha256")
            else None,
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class ApproveMint(Args):
    FUNCTION = Function.APPROVE_MINT
    mint_id: str
    request_id: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        f = _Fields(data, cls.field_names())
        return cls(
            mint_id=f.matching("mint_id", REDEMPTION_ID_PATTERN),
            request_id=f.matching("request_id", REQUEST_ID_PATTERN),
        )


@dataclass(frozen=True, slots=True)
class ListAttestations(GetSupply):
    FUNCTION = Function.LIST_ATTESTATIONS


@dataclass(frozen=True, slots=True)
class GetDdaLink(Args):
    FUNCTION = Function.GET_DDA_LINK
    WRITE = False
    dda: str

    @classmethod
    def from_json(cls, data: bytes) -> Self:
        return cls(dda=domain.books.check_dda(_Fields(data, cls.field_names()).string("dda")))


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "holder_msp": self.holder_msp,
            "holder_subject": self.holder_subject,
            "amount": self.amount,
        }


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
                    Leg(g["account"], g["holder_msp"], g["holder_subject"], g["amount"]) for g in raw.get("legs", ())
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
    outstanding: int  # minted - redeemed
    balances_total: int  # summed from balances, independently of the counters
    pending_redemptions: int  # summed from pending redemptions
    escrowed: int  # summed from what orders' escrows hold


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
