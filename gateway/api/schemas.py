"""Request and response bodies of the HTTP API. Amounts are decimal strings; never floats.

Every constraint here is the contract's own (its patterns, currencies, limits and enums), so a request the
schema allows is one the ledger can accept, and one it forbids is refused with a 4xx. Currency and amount
are checked by the chaincode's domain rules at the edge (`gateway.api.money`), which answer with their own
stable codes (UNKNOWN_CURRENCY, INVALID_AMOUNT); the schema only states those rules.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chaincode import domain
from chaincode.access import Role
from chaincode.domain import ACCOUNT_ID_PATTERN, AccountStatus, RedemptionStatus
from chaincode.domain.books import BIC_PATTERN, DDA_PATTERN, EXTERNAL_ACCOUNT_PATTERN, IBAN_PATTERN
from chaincode.domain.escrow import MAX_INSPECTION_SECONDS, MAX_MILESTONES, ORDER_ID_PATTERN, OrderStatus, Trigger
from chaincode.domain.fx import RATE_PATTERN
from chaincode.domain.instruments import MSP_ID_PATTERN
from chaincode.protocol import CURSOR_PATTERN as CURSOR_PATTERN_RE
from chaincode.protocol import MAX_EPOCH_SECONDS, MAX_PAYOUT_LINES, MAX_REASON, REFERENCE_PATTERN, EventType

# The contract's own patterns: the API refuses early exactly what the ledger would refuse.
ACCOUNT_ID = f"^{ACCOUNT_ID_PATTERN.pattern}$"
ORDER_ID = f"^{ORDER_ID_PATTERN.pattern}$"
_REF = f"^{REFERENCE_PATTERN.pattern}$"
# Fabric transaction ids (and so redemption ids, which are the redeeming transaction's id).
TX_ID_PATTERN = "^[0-9a-f]{64}$"
# Free text as the contract accepts it (`protocol.text`): no C0/C1 controls, no U+10FFFF.
_TEXT = "^[^\x00-\x1f\x7f-\x9f\U0010ffff]*$"
# An identity reference `Org/name`; the gateway's OpenAPI lists the network's identities as its enum.
HOLDER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"
# A list_accounts cursor, as the contract checks it (`protocol.CURSOR_PATTERN`).
CURSOR_PATTERN = f"^{CURSOR_PATTERN_RE.pattern}$"


# An ISO 4217 code; which ones the ledger issues is its registry (GET /v1/currencies), not the schema.
CURRENCY_CODE = f"^{domain.CURRENCY_CODE_PATTERN.pattern}$"


def _repeat(atom: str, low: int, high: int) -> str:
    """`atom` repeated low..high times, written as plainly as a regex allows."""
    if high == 0:
        return ""
    if (low, high) == (1, 1):
        return atom
    if (low, high) == (0, 1):
        return f"{atom}?"
    return f"{atom}{{{low},{high}}}" if low != high else f"{atom}{{{low}}}"


def amount_pattern(minor_digits: set[int], max_minor: int = domain.MAX_AMOUNT) -> str:
    """A regex for the decimal strings `domain.Amount.parse` accepts: plain digits, no sign, at most the
    currency's minor digits, more than zero and at most `max_minor` minor units.

    With currencies of different minor digits it is the union (the schema cannot tie an amount to its
    currency); the domain still refuses, with INVALID_AMOUNT, what the currency does not allow.
    Raises ValueError unless the limit is a power of ten, in whole units of each currency.
    """
    alternatives = []
    # One whole-unit limit for all: the schema cannot tie an amount to its currency's digits, so it allows
    # only what every currency allows (MAX_AMOUNT minor units of the currency with the most digits).
    top = max(minor_digits)
    for d in sorted(minor_digits):
        whole_max, rest = divmod(max_minor, 10**top)
        if rest or str(whole_max).strip("0") != "1":
            raise ValueError(f"the amount pattern needs a power-of-ten limit, got {max_minor} at {d} digits")
        below = len(str(whole_max)) - 1  # a whole part of at most this many digits is below the limit
        whole = f"[1-9]{_repeat('[0-9]', 0, below - 1)}"
        if d == 0:
            alternatives += [whole, str(whole_max)]
            continue
        # 0.x: at least one non-zero digit among at most d
        fractions = "|".join(f"{_repeat('0', z, z)}[1-9]{_repeat('[0-9]', 0, d - 1 - z)}" for z in range(d))
        alternatives += [
            f"{whole}(\\.{_repeat('[0-9]', 1, d)})?",
            f"0\\.({fractions})",
            f"{whole_max}(\\.{_repeat('0', 1, d)})?",
        ]
    return "^(" + "|".join(alternatives) + ")$"


def _digits() -> set[int]:
    """Every number of minor digits a registered currency may have."""
    return set(range(domain.MAX_MINOR_DIGITS + 1))


# Checked by the registry and the domain (UNKNOWN_CURRENCY / INVALID_AMOUNT), described here.
CurrencyCode = Annotated[
    str, Field(json_schema_extra={"pattern": CURRENCY_CODE}, examples=["USD"], description="a registered ISO 4217 code")
]


def default_issuer(issuer: str | None) -> set[str]:
    """The fields an answer leaves out: `issuer` when the request named no bank (the default issuer's
    answers stay as they were before there were two banks)."""
    return {"issuer"} if issuer is None else set()


# The bank whose deposit a token is (README "A second issuing bank"): left out, the default issuer (BankMSP).
IssuerIn = Annotated[
    str | None,
    Field(
        default=None,
        pattern=f"^{MSP_ID_PATTERN.pattern}$",
        examples=[None],
        description="the issuing bank's MSP ID; left out: the default issuer (BankMSP)",
    ),
]
AmountIn = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": amount_pattern(_digits())},
        description="decimal string with at most the currency's minor digits, > 0",
    ),
]
# A share of a disputed order: zero too (everything to the other party).
ShareIn = Annotated[
    str,
    Field(
        json_schema_extra={"pattern": "^(0(\\.0+)?|" + amount_pattern(_digits())[2:-2] + ")$"},
        description="decimal string with at most the currency's minor digits, >= 0",
    ),
]
# Balances, history entries (signed) and supply figures, formatted by the domain.
AmountOut = Annotated[str, Field(pattern="^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$", examples=["125000.50"])]
TxId = Annotated[str, Field(pattern=TX_ID_PATTERN)]
Reason = Annotated[str, Field(min_length=1, max_length=MAX_REASON, pattern=_TEXT)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class AccountCreate(_Body):
    id: str = Field(pattern=ACCOUNT_ID, examples=["acme-us"])
    holder: str = Field(
        pattern=HOLDER_PATTERN,
        description="one of the network's identities, `Org/name`",
        examples=["PlatformOrg/buyer-us"],
    )
    kyc_ref: str = Field(pattern=_REF, examples=["KYC-2026-0001"])
    dda: str | None = Field(
        default=None,
        pattern=f"^{DDA_PATTERN.pattern}$",
        description="the customer's demand-deposit account in the bank's core: its fundings mint here",
        examples=["DDA-0001"],
    )


class MintCreate(_Body):
    account: str = Field(pattern=ACCOUNT_ID)
    currency: CurrencyCode
    amount: AmountIn = Field(examples=["1000000.00"])
    reserve_ref: str = Field(pattern=_REF, examples=["FED-WIRE-2026-11-24-0001"])
    issuer: IssuerIn = None


class TransferCreate(_Body):
    """`from` and `to` must be different accounts (400 INVALID_ARGUMENT otherwise). With `receive_currency`
    and `quote_id` (both or neither): payment versus payment, the payee credited in receive_currency at the
    quote's rate, in the same transaction as the payer's debit."""

    from_: str = Field(alias="from", pattern=ACCOUNT_ID, examples=["acme-us"])
    to: str = Field(pattern=ACCOUNT_ID, examples=["shenzhen-parts"])
    currency: CurrencyCode
    amount: AmountIn = Field(examples=["125000.50"])
    reference: str = Field(pattern=_REF, examples=["INV-2026-001"])
    # Examples of null: an example body is a plain transfer (a PvP needs a live quote's id).
    receive_currency: CurrencyCode | None = Field(default=None, examples=[None])
    quote_id: TxId | None = Field(default=None, examples=[None])
    issuer: IssuerIn = None  # whose `currency` moves

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "acme-us",
                    "to": "shenzhen-parts",
                    "currency": "USD",
                    "amount": "125000.50",
                    "reference": "INV-2026-001",
                }
            ]
        },
    )


class IbanAccountIn(_Body):
    """An external account by its IBAN."""

    iban: str = Field(pattern=f"^{IBAN_PATTERN.pattern}$", examples=["DE89370400440532013000"])


class BankAccountIn(_Body):
    """An external account by its number and its bank's BIC."""

    account: str = Field(pattern=f"^{EXTERNAL_ACCOUNT_PATTERN.pattern}$", examples=["12345678"])
    bic: str = Field(pattern=f"^{BIC_PATTERN.pattern}$", examples=["DEUTDEFF"])


class RedemptionCreate(_Body):
    account: str = Field(pattern=ACCOUNT_ID)
    currency: CurrencyCode
    amount: AmountIn = Field(examples=["25000.00"])
    payout: IbanAccountIn | BankAccountIn | None = Field(
        default=None, description="pay here instead of the account's linked DDA (books connector)"
    )
    issuer: IssuerIn = None  # whose `currency` is redeemed


class RedemptionSettle(_Body):
    payout_ref: str = Field(pattern=_REF)


class RedemptionReject(_Body):
    reason: Reason


class FreezeRequest(_Body):
    reason: Reason = "compliance hold"


class MilestoneIn(_Body):
    on: Trigger = Field(description="shipment: released when the operator records shipment; acceptance: at release")
    amount: AmountIn


class OrderCreate(_Body):
    """Fund an order's escrow from the buyer's account. Milestones must sum to the amount exactly (none: one
    milestone, on acceptance, of the whole amount)."""

    id: str = Field(pattern=ORDER_ID, examples=["PO-2026-0001"])
    buyer_account: str = Field(pattern=ACCOUNT_ID, examples=["acme-us"])
    seller_account: str = Field(pattern=ACCOUNT_ID, examples=["shenzhen-parts"])
    currency: CurrencyCode
    amount: AmountIn = Field(examples=["125000.00"])
    ship_by: int = Field(ge=0, le=MAX_EPOCH_SECONDS, description="deadline for shipment, Unix epoch seconds")
    inspection_seconds: int = Field(ge=0, le=MAX_INSPECTION_SECONDS, description="after delivery, to dispute")
    milestones: list[MilestoneIn] | None = Field(default=None, min_length=1, max_length=MAX_MILESTONES)


class ShipmentCreate(_Body):
    carrier: Reason = Field(examples=["DHL"])
    tracking_ref: str = Field(pattern=_REF, examples=["JD014600006281230704"])


class DisputeCreate(_Body):
    reason: Reason


class DisputeResolve(_Body):
    """The split of what the order holds: the two must sum to it exactly."""

    to_seller: ShareIn
    to_buyer: ShareIn


# --- responses ------------------------------------------------------------------------------------------


class _Public(BaseModel):
    # A response with a field the schema does not name fails validation (a 500): the contract says everything.
    model_config = ConfigDict(extra="forbid")


class TxOutcome(StrEnum):
    COMMITTED = "committed"
    INVALID = "invalid"


class Receipt(_Public):
    """Every committed write answers with its transaction."""

    tx_id: TxId
    block_number: int = Field(ge=0)
    status: Literal[TxOutcome.COMMITTED]


class AccountOpened(Receipt):
    account: str = Field(pattern=ACCOUNT_ID)
    holder: str = Field(pattern=HOLDER_PATTERN)
    holder_msp: str
    holder_subject: str
    dda: str | None = None


class Minted(Receipt):
    account: str = Field(pattern=ACCOUNT_ID)
    currency: CurrencyCode
    amount: AmountOut
    issuer: str | None = Field(default=None, description="another bank's instrument: its MSP ID")
    reserve_ref: str
    mint_status: Literal["minted", "pending_approval"] = Field(
        default="minted",
        description="pending_approval: above the network's limit, no token exists until another BankOrg "
        "identity approves it (POST /v1/mints/{mint_id}/approve)",
    )
    mint_id: str | None = Field(default=None, description="the waiting mint's id (the requesting tx id)")


class Transferred(Receipt):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", pattern=ACCOUNT_ID)
    to: str = Field(pattern=ACCOUNT_ID)
    currency: CurrencyCode
    amount: AmountOut = Field(description="what the payer paid, in currency")
    issuer: str | None = Field(default=None, description="another bank's instrument: its MSP ID")
    reference: str
    receive_currency: CurrencyCode | None = Field(default=None, description="payment versus payment only")
    receive_amount: AmountOut | None = Field(default=None, description="what the payee received")
    quote_id: TxId | None = None
    rate: str | None = Field(default=None, description="the quote's rate: receive per pay unit, or its inverse")


class AccountStatusChanged(Receipt):
    account: str = Field(pattern=ACCOUNT_ID)
    account_status: AccountStatus


class RedemptionRequested(Receipt):
    account: str = Field(pattern=ACCOUNT_ID)
    currency: CurrencyCode
    amount: AmountOut
    issuer: str | None = Field(default=None, description="another bank's instrument: its MSP ID")
    redemption_id: TxId
    redemption_status: Literal[RedemptionStatus.PENDING]


class RedemptionSettled(Receipt):
    redemption_id: str
    redemption_status: Literal[RedemptionStatus.SETTLED]
    payout_ref: str


class RedemptionRejected(Receipt):
    redemption_id: str
    redemption_status: Literal[RedemptionStatus.REJECTED]
    reason: str


class AccountPublic(_Public):
    id: str = Field(pattern=ACCOUNT_ID)
    holder_msp: str
    holder_subject: str
    kyc_ref: str
    status: AccountStatus
    balances: dict[CurrencyCode, AmountOut] = Field(description="every currency, zero included")
    dda: str | None = Field(description="the demand-deposit account in the bank's core it is funded from")


class AccountPage(_Public):
    accounts: list[AccountPublic] = Field(description="in holder order; only those the caller may see")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


class HistoryEntryPublic(_Public):
    tx_id: TxId
    type: EventType
    currency: CurrencyCode
    amount: AmountOut = Field(description="signed: + credit, - debit")
    counterparty: str | None = Field(description="the other account of a transfer")
    reference: str | None = Field(description="transfer reference, reserve_ref or redemption id")
    timestamp: str = Field(description="the proposal's timestamp, RFC 3339 UTC")


class AccountHistoryPublic(_Public):
    account: str
    entries: list[HistoryEntryPublic]


class RedemptionPublic(_Public):
    id: str
    account_id: str
    currency: CurrencyCode
    amount: AmountOut
    status: RedemptionStatus
    requested_tx_id: TxId
    closed_tx_id: TxId | None
    payout_ref: str | None
    reason: str | None
    payout_to: dict[str, str] | None = Field(description="the external account it is paid to: {iban} or {account, bic}")


class CurrencySupplyPublic(_Public):
    minted: AmountOut
    redeemed: AmountOut = Field(description="settled redemptions")
    outstanding: AmountOut = Field(description="minted + fx_in - redeemed - fx_out")
    balances_total: AmountOut = Field(description="summed from balances, independently of the counters")
    pending_redemptions: AmountOut
    escrowed: AmountOut = Field(description="held in orders' escrow, summed from the orders")
    fx_in: AmountOut = Field(description="issued by conversions (the bank sold this currency)")
    fx_out: AmountOut = Field(description="taken out of supply by conversions (the bank bought it)")
    invariant_holds: bool = Field(description="outstanding == balances_total + pending_redemptions + escrowed")


class MilestonePublic(_Public):
    on: Trigger
    amount: AmountOut
    released: bool


class ShipmentPublic(_Public):
    carrier: str
    tracking_ref: str
    shipped_at: int = Field(description="the recording transaction's time, Unix epoch seconds")


class DisputePublic(_Public):
    reason: str
    opened_at: int
    to_seller: AmountOut | None = Field(description="set once resolved")
    to_buyer: AmountOut | None


class OrderPublic(_Public):
    id: str
    buyer_account: str
    seller_account: str
    currency: CurrencyCode
    amount: AmountOut
    held: AmountOut = Field(description="still in escrow: amount - released - refunded")
    released: AmountOut = Field(description="paid to the seller")
    refunded: AmountOut = Field(description="returned to the buyer")
    status: OrderStatus
    milestones: list[MilestonePublic]
    ship_by: int
    inspection_seconds: int
    funded_at: int
    shipment: ShipmentPublic | None
    delivered_at: int | None
    dispute: DisputePublic | None


class OrderWritten(Receipt):
    """A committed step of an order: its event, what it moved, and the order as it now is."""

    event: EventType
    moved: AmountOut | None = Field(description="released to the seller or refunded to the buyer, if any")
    order: OrderPublic


class TransactionPublic(_Public):
    tx_id: TxId
    status: TxOutcome
    validation_code: str = Field(examples=["VALID", "MVCC_READ_CONFLICT"])
    block_number: int | None


class CallerPublic(_Public):
    """The identity an API key acts as."""

    org: str
    name: str
    role: Role
    msp_id: str


class Health(_Public):
    status: Literal["ok"]
    org: str


# --- members (onboarding) -------------------------------------------------------------------------------

MEMBER_NAME = "^[a-z0-9][a-z0-9-]{1,62}$"  # `gateway.directory.NAME_PATTERN`
KEY_ID = "^[0-9a-f]{16}$"
COUNTRY = "^[A-Z]{2}$"
_PEM_CSR = "^-----BEGIN CERTIFICATE REQUEST-----[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$"


class MemberCreate(_Body):
    """Without `csr` the gateway makes and keeps the member's key (custodial); with one, the member keeps it
    and signs its transactions itself (`Signing: offline`)."""

    name: str = Field(pattern=MEMBER_NAME, examples=["shenzhen-parts"])
    role: Role = Field(
        description="a role this org grants: holder or operator here at PlatformOrg, bank staff at BankOrg"
    )
    legal_name: str = Field(min_length=1, max_length=200, pattern=_TEXT, examples=["Shenzhen Parts Co., Ltd."])
    country: str = Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2", examples=["CN"])
    csr: str | None = Field(
        default=None, max_length=4096, description="PEM PKCS#10, ECDSA P-256, subject CN = name (or no CN)"
    )


class MemberEnrolled(_Public):
    name: str = Field(pattern=MEMBER_NAME)
    ref: str = Field(pattern=HOLDER_PATTERN, examples=["PlatformOrg/shenzhen-parts"])
    role: Role
    certificate_serial: str = Field(pattern="^[0-9a-f]+$")
    certificate: str = Field(description="PEM")
    key_id: str = Field(pattern=KEY_ID)
    api_key: str = Field(description="shown once: only its digest is kept")
    signing: Literal["custodial", "offline"]


class ApiKeyPublic(_Public):
    key_id: str = Field(pattern=KEY_ID)
    created_at: int = Field(ge=0, description="Unix seconds")
    revoked_at: int | None = Field(default=None, ge=0)


class MemberPublic(_Public):
    name: str = Field(pattern=MEMBER_NAME)
    ref: str = Field(pattern=HOLDER_PATTERN)
    role: Role
    legal_name: str
    country: str = Field(pattern=COUNTRY)
    certificate_serial: str = Field(pattern="^[0-9a-f]+$")
    signing: Literal["custodial", "offline"]
    status: Literal["active", "revoked"]
    revoked_reason: str | None = None
    created_at: int = Field(ge=0)
    keys: list[ApiKeyPublic] | None = Field(default=None, description="on GET /v1/members/{name} only")


class MemberPage(_Public):
    members: list[MemberPublic] = Field(description="in name order")
    next_after: str | None = Field(description="pass as `after` for the next page; null on the last")


class ApiKeyIssued(_Public):
    key_id: str = Field(pattern=KEY_ID)
    api_key: str = Field(description="shown once")


class MemberRevoke(_Body):
    reason: Reason


# --- offline signing --------------------------------------------------------------------------------------

SIGNING_ID = "^[0-9a-f]{32}$"
_BASE64 = "^[A-Za-z0-9+/]+={0,2}$"


class SigningStarted(_Public):
    """Sign `proposal_digest` (SHA-256 of the proposal) with the member's key and send the signature."""

    signing_id: str = Field(pattern=SIGNING_ID)
    proposal_digest: str = Field(pattern=_BASE64, description="base64 SHA-256")


class SigningEndorsed(_Public):
    """Endorsed: sign `transaction_digest` the same way; that signature submits."""

    signing_id: str = Field(pattern=SIGNING_ID)
    transaction_digest: str = Field(pattern=_BASE64, description="base64 SHA-256")


class SignatureSubmit(_Body):
    signature: str = Field(
        pattern=_BASE64, min_length=8, max_length=200, description="base64 DER ECDSA P-256 over the digest"
    )


# --- currencies, fx, payouts ------------------------------------------------------------------------------

RATE = f"^{RATE_PATTERN.pattern}$"


class CurrencyPublic(_Public):
    code: CurrencyCode
    minor_digits: int = Field(ge=0, le=domain.MAX_MINOR_DIGITS)


class CurrencyCreate(_Body):
    code: str = Field(pattern=CURRENCY_CODE, examples=["CHF"])
    minor_digits: int = Field(ge=0, le=domain.MAX_MINOR_DIGITS, examples=[2])


class CurrencyRegistered(Receipt):
    code: CurrencyCode
    minor_digits: int


class QuoteCreate(_Body):
    """`rate`: units of `quote` per one unit of `base` (USD/CNH 7.12: 1 USD = 7.12 CNH)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "base": "USD",
                    "quote": "EUR",
                    "rate": "0.91234567",
                    "valid_until": 4_000_000_000,
                    "max_base_amount": "1000000.00",
                }
            ]
        },
    )

    base: CurrencyCode = Field(examples=["USD"])
    quote: CurrencyCode = Field(examples=["EUR"])
    rate: str = Field(pattern=RATE, description="decimal string, at most 8 decimals, > 0", examples=["7.12345678"])
    valid_until: int = Field(
        ge=0, le=MAX_EPOCH_SECONDS, description="Unix epoch seconds, in the future", examples=[4_000_000_000]
    )
    max_base_amount: AmountIn = Field(description="how much base the quote serves in all, in base units")


class QuotePublic(_Public):
    id: TxId
    base: CurrencyCode
    quote: CurrencyCode
    rate: str = Field(pattern=RATE)
    valid_until: int
    max_base_amount: AmountOut
    used: AmountOut = Field(description="base converted so far")
    remaining: AmountOut


class QuotePosted(Receipt):
    quote: QuotePublic


class ConversionCreate(_Body):
    account: str = Field(pattern=ACCOUNT_ID, examples=["acme-us"])
    quote_id: TxId
    sell_currency: CurrencyCode = Field(examples=["USD"])
    sell_amount: AmountIn = Field(examples=["1000.00"])


class Converted(Receipt):
    account: str = Field(pattern=ACCOUNT_ID)
    quote_id: TxId
    rate: str = Field(pattern=RATE)
    sold_currency: CurrencyCode
    sold_amount: AmountOut
    bought_currency: CurrencyCode
    bought_amount: AmountOut = Field(description="sold x rate (or / rate), rounded down to the minor unit")


class PayoutLineIn(_Body):
    to: str = Field(pattern=ACCOUNT_ID, examples=["shenzhen-parts"])
    amount: AmountIn = Field(examples=["1250.00"])
    reference: str = Field(pattern=_REF, examples=["INV-2026-001"])


class PayoutCreate(_Body):
    """1..500 lines, each payee once: one transaction, all lines or none."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", pattern=ACCOUNT_ID, examples=["acme-us"])
    currency: CurrencyCode
    lines: list[PayoutLineIn] = Field(min_length=1, max_length=MAX_PAYOUT_LINES)


class PayoutSettled(Receipt):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", pattern=ACCOUNT_ID)
    currency: CurrencyCode
    total: AmountOut
    lines: int = Field(ge=1, le=MAX_PAYOUT_LINES)
