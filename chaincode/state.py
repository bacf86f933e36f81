"""The world state: key layout, the canonical JSON codec, and `Books`, the contract's typed view of it.

Keys use Fabric's composite-key encoding, `"\\x00" + type + "\\x00" + attr1 + "\\x00" + … + "\\x00"`; a range
over a prefix is `[prefix, prefix + "\\U0010ffff")`. Values are canonical JSON.

    account~{account}                           the account record: holder, kyc_ref, status
    account-by-holder~{msp}~{subject}~{account}  the holder index {"account_id": …}, for listing
    balance~{account}~{currency}                consolidated base balance {"amount": n}
    balance-delta~{account}~{currency}~{tx}     one credit {"amount": n}, not yet consolidated
    history~{account}~{seconds.nanos}~{tx}      one movement of the account's balance
    redemption~{redemption}                     a redemption (its id is the requesting tx id)
    escrow~{order}                              an order's escrow: its terms, status and what it holds
    reserve~{reserve_ref}                       the mint that reserve reference backed
    dda~{dda}                                   the token account a DDA links to {"account_id": …}
    attestation~{currency}~{block}~{tx}         the bank's attestation of its books (block zero-padded)
    mint-request~{mint}                         a direct mint above the limit, waiting for its checker
    request~{msp}~{request_id}                  the result of a committed write: the exactly-once guard
    supply-minted~{currency}~{tx}               one mint's amount
    supply-redeemed~{currency}~{tx}             one settled redemption's amount
    supply-fx-in~{currency}~{tx}                what one conversion issued of the currency it bought
    supply-fx-out~{currency}~{tx}               what one conversion took out of the currency it sold
    currency~{code}                             a registered currency {"code", "minor_digits"}
    fx-quote~{quote}                            an FX quote (its id is the posting tx id) and what it has served
    issuer~{msp}                                a registered issuing bank {"msp_id"} (instruments `EUR@{msp}`)
    issuance~{msp}                              the bank's issuance key, written (blindly) by every mint and
                                                redemption close of a registered bank's instruments; key-level
                                                endorsement: its own peer

Instruments (`domain.instruments`): wherever a key or record above says {currency}, it holds an instrument
code — the plain ISO code for the default issuer's (BankMSP) instruments, `EUR@EuroBankMSP` for another's.

Key-level endorsement. Once the channel has two issuing banks its endorsement policy is "any issuing bank's
peer plus a non-bank member's", so the chaincode's policy alone no longer says WHICH bank. `register_issuer`
sets the validation parameter of `issuance~{msp}` to "a peer of {msp}", and every mint, settlement and
rejection of that bank's instruments writes that key blindly (no read: mints never conflict over it); the
validator then refuses (ENDORSEMENT_POLICY_FAILURE) any such transaction the bank's own peer did not endorse.

Hot accounts. A seller on the marketplace is paid by many buyers at once. If a credit read the balance
and wrote it back, concurrent credits to one account would all read the same version and all but the
first to commit would be invalidated (MVCC_READ_CONFLICT). So a balance is a base plus deltas:

- A credit never reads the balance. It writes a new key `balance-delta~{account}~{currency}~{tx_id}`,
  unique to its transaction, and reads only the account record (does it exist, is it frozen), which no
  credit or debit writes. Concurrent credits have disjoint write sets and all commit.
- A debit reads the base key and range-reads every delta of that account and currency, checks that
  their sum covers the amount, then writes the new base (sum - amount) and deletes the deltas it read.
  Fabric keeps the range in the read set and re-executes it at validation: if a credit committed a new
  delta into the range in the meantime, the DEBIT is invalidated (PHANTOM_READ_CONFLICT) and the
  gateway retries it with a fresh endorsement — a credit never fails because of a debit. Two
  concurrent debits both read the base key, so the later one fails MVCC validation. Every committed
  debit has therefore seen every unit it spends: no account is ever overdrawn.
- Supply counters work like credits: each mint writes `supply-minted~{currency}~{tx_id}` and each
  settlement `supply-redeemed~{currency}~{tx_id}`, so mints never conflict with each other; get_supply
  (a read, never committed) sums them.
- History entries are blind writes under per-transaction keys: they never conflict either.

The price: reading a balance scans its unconsolidated deltas, and each debit consolidates them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from chaincode import domain
from chaincode.errors import ContractError, ErrorCode
from chaincode.stub import ChaincodeStub

# --- codec ----------------------------------------------------------------------------------------------


def canonical_json(obj: object) -> bytes:
    """The one JSON form of everything endorsed: sorted keys, compact separators, ASCII, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _refuse_float(text: str) -> Any:
    raise ValueError(f"state holds no fractional numbers, found {text}")


# Built once: `json.loads` with hooks builds a decoder per call, a twentieth of an endorsement's CPU.
_DECODER = json.JSONDecoder(parse_float=_refuse_float, parse_constant=_refuse_float)


def decode(data: bytes) -> Any:
    """A state value. Raises ValueError for anything the codec never writes (fractions, NaN, bad UTF-8)."""
    return _DECODER.decode(data.decode("utf-8"))


# --- keys -----------------------------------------------------------------------------------------------

_SEP = "\x00"
_MAX_RUNE = "\U0010ffff"

ACCOUNT = "account"
ACCOUNT_BY_HOLDER = "account-by-holder"
BALANCE = "balance"
BALANCE_DELTA = "balance-delta"
HISTORY = "history"
REDEMPTION = "redemption"
ESCROW = "escrow"
RESERVE = "reserve"
DDA = "dda"
ATTESTATION = "attestation"
MINT_REQUEST = "mint-request"
REQUEST = "request"
SUPPLY_MINTED = "supply-minted"
SUPPLY_REDEEMED = "supply-redeemed"
SUPPLY_FX_IN = "supply-fx-in"
SUPPLY_FX_OUT = "supply-fx-out"
CURRENCY = "currency"
FX_QUOTE = "fx-quote"
ISSUER = "issuer"
ISSUANCE = "issuance"


def composite_key(object_type: str, *attributes: str) -> str:
    """Fabric's composite key. Raises ValueError when a part is empty-typed or holds U+0000 or U+10FFFF."""
    parts = (object_type, *attributes)
    if not object_type or any(_SEP in p or _MAX_RUNE in p for p in parts):
        raise ValueError(f"invalid composite key parts {parts!r}")
    return _SEP + _SEP.join(parts) + _SEP


def split_composite_key(key: str) -> tuple[str, list[str]]:
    """(object type, attributes) of a composite key. Raises ValueError for a simple key."""
    if not key.startswith(_SEP) or not key.endswith(_SEP) or len(key) < 3:
        raise ValueError(f"not a composite key: {key!r}")
    object_type, *attributes = key[1:-1].split(_SEP)
    return object_type, attributes


def prefix_range(object_type: str, *attributes: str) -> tuple[str, str]:
    """[start, end) covering every key that extends the partial composite key."""
    prefix = composite_key(object_type, *attributes)
    return prefix, prefix + _MAX_RUNE


def history_key(account_id: str, seconds: int, nanos: int, tx_id: str) -> str:
    # Zero-padded so that key order is time order (12 digits reach past the year 9999).
    return composite_key(HISTORY, account_id, f"{seconds:012d}.{nanos:09d}", tx_id)


# --- records --------------------------------------------------------------------------------------------


def account_to_state(account: domain.Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "holder_msp": account.holder_msp,
        "holder_subject": account.holder_subject,
        "kyc_ref": account.kyc_ref,
        "status": str(account.status),
        "dda": account.dda,
    }


def account_from_state(raw: Mapping[str, Any]) -> domain.Account:
    return domain.Account(
        id=raw["id"],
        holder_msp=raw["holder_msp"],
        holder_subject=raw["holder_subject"],
        kyc_ref=raw["kyc_ref"],
        status=domain.AccountStatus(raw["status"]),
        dda=raw.get("dda"),  # accounts opened before DDA links have none
    )


def redemption_to_state(redemption: domain.Redemption) -> dict[str, Any]:
    return {
        "id": redemption.id,
        "account_id": redemption.account_id,
        "currency": redemption.currency,
        "amount": redemption.amount,
        "status": str(redemption.status),
        "requested_tx_id": redemption.requested_tx_id,
        "closed_tx_id": redemption.closed_tx_id,
        "payout_ref": redemption.payout_ref,
        "reason": redemption.reason,
        "payout_to": None if redemption.payout_to is None else redemption.payout_to.to_dict(),
    }


def redemption_from_state(raw: Mapping[str, Any]) -> domain.Redemption:
    return domain.Redemption(
        id=raw["id"],
        account_id=raw["account_id"],
        currency=raw["currency"],
        amount=raw["amount"],
        status=domain.RedemptionStatus(raw["status"]),
        requested_tx_id=raw["requested_tx_id"],
        closed_tx_id=raw["closed_tx_id"],
        payout_ref=raw["payout_ref"],
        reason=raw["reason"],
        payout_to=None if raw.get("payout_to") is None else domain.books.PayoutAccount(**raw["payout_to"]),
    )


def order_to_state(order: domain.escrow.Order) -> dict[str, Any]:
    shipment, dispute = order.shipment, order.dispute
    return {
        "id": order.id,
        "buyer_account": order.buyer_account,
        "seller_account": order.seller_account,
        "currency": order.currency,
        "amount": order.amount,
        "milestones": [{"on": str(m.on), "amount": m.amount, "released": m.released} for m in order.milestones],
        "ship_by": order.ship_by,
        "inspection_seconds": order.inspection_seconds,
        "funded_at": order.funded_at,
        "status": str(order.status),
        "released": order.released,
        "refunded": order.refunded,
        "held": order.held,
        "shipment": None
        if shipment is None
        else {"carrier": shipment.carrier, "tracking_ref": shipment.tracking_ref, "shipped_at": shipment.shipped_at},
        "delivered_at": order.delivered_at,
        "dispute": None
        if dispute is None
        else {
            "reason": dispute.reason,
            "opened_at": dispute.opened_at,
            "to_seller": dispute.to_seller,
            "to_buyer": dispute.to_buyer,
        },
    }


def order_from_state(raw: Mapping[str, Any]) -> domain.escrow.Order:
    escrow = domain.escrow
    shipment, dispute = raw["shipment"], raw["dispute"]
    return escrow.Order(
        id=raw["id"],
        buyer_account=raw["buyer_account"],
        seller_account=raw["seller_account"],
        currency=raw["currency"],
        amount=raw["amount"],
        milestones=tuple(
            escrow.Milestone(escrow.Trigger(m["on"]), m["amount"], m["released"]) for m in raw["milestones"]
        ),
        ship_by=raw["ship_by"],
        inspection_seconds=raw["inspection_seconds"],
        funded_at=raw["funded_at"],
        status=escrow.OrderStatus(raw["status"]),
        released=raw["released"],
        refunded=raw["refunded"],
        shipment=None
        if shipment is None
        else escrow.Shipment(shipment["carrier"], shipment["tracking_ref"], shipment["shipped_at"]),
        delivered_at=raw["delivered_at"],
        dispute=None
        if dispute is None
        else escrow.Dispute(dispute["reason"], dispute["opened_at"], dispute["to_seller"], dispute["to_buyer"]),
    )


# The latest proposal timestamp accepted: 9999-12-31T23:59:59Z (RFC 3339 and the history key's width).
_MAX_SECONDS = 253_402_300_799


def rfc3339(seconds: int, nanos: int) -> str:
    """A proposal timestamp as RFC 3339 UTC with nanoseconds, e.g. "2026-11-24T16:29:21.000000123Z"."""
    day = dt.datetime.fromtimestamp(seconds, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{day}.{nanos:09d}Z"


def quote_to_state(quote: domain.fx.Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "base": quote.base,
        "quote": quote.quote,
        "rate_numerator": quote.rate.numerator,
        "rate_denominator": quote.rate.denominator,
        "valid_until": quote.valid_until,
        "max_base_amount": quote.max_base_amount,
        "used": quote.used,
    }


def quote_from_state(raw: Mapping[str, Any]) -> domain.fx.Quote:
    return domain.fx.Quote(
        id=raw["id"],
        base=raw["base"],
        quote=raw["quote"],
        rate=domain.fx.Rate(raw["rate_numerator"], raw["rate_denominator"]),
        valid_until=raw["valid_until"],
        max_base_amount=raw["max_base_amount"],
        used=raw["used"],
    )


def currency_state(currency: domain.Currency) -> tuple[str, bytes]:
    """A registry entry as (key, value): also how in-memory worlds are seeded."""
    key = composite_key(CURRENCY, currency.code)
    return key, canonical_json({"code": currency.code, "minor_digits": currency.minor_digits})


def unknown_account(account_id: str) -> ContractError:
    """The one answer for an account that does not exist, or that the caller may not see."""
    return ContractError(ErrorCode.UNKNOWN_ACCOUNT, f"no account {account_id}")


def unknown_order(order_id: str) -> ContractError:
    """The one answer for an order that does not exist, or that the caller may not see."""
    return ContractError(ErrorCode.UNKNOWN_ORDER, f"no order {order_id}")


def unknown_redemption(redemption_id: str) -> ContractError:
    """The one answer for a redemption that does not exist, or that the caller may not see."""
    return ContractError(ErrorCode.UNKNOWN_REDEMPTION, f"no redemption {redemption_id}")


# --- the books ------------------------------------------------------------------------------------------


class Books:
    """One transaction's typed reads and writes of the world state, following the layout above.

    Like Fabric, a transaction does not read its own writes: every read returns committed state.
    ShimError from the stub propagates unchanged.
    """

    def __init__(self, stub: ChaincodeStub) -> None:
        self._stub = stub
        self.tx_id = stub.tx_id
        ts = stub.tx_timestamp
        if not (0 <= ts.seconds <= _MAX_SECONDS and 0 <= ts.nanos < 1_000_000_000):
            raise ContractError(ErrorCode.INVALID_ARGUMENT, "the proposal timestamp is out of range")
        self._seconds, self._nanos = ts.seconds, ts.nanos
        self.timestamp = rfc3339(ts.seconds, ts.nanos)
        self._credits: dict[str, int] = {}

    async def _get(self, key: str) -> Any | None:
        data = await self._stub.get_state(key)
        return None if data is None else decode(data)

    async def _put(self, key: str, value: object) -> None:
        await self._stub.put_state(key, canonical_json(value))

    async def _range(self, object_type: str, *attributes: str) -> list[tuple[str, Any]]:
        start, end = prefix_range(object_type, *attributes)
        return [(k, decode(v)) for k, v in await self._stub.get_state_by_range(start, end)]

    # accounts

    async def open_account(self, account: domain.Account) -> None:
        """A new account: its record and its entry in the holder index."""
        await self.put_account(account)
        index = composite_key(ACCOUNT_BY_HOLDER, account.holder_msp, account.holder_subject, account.id)
        await self._put(index, {"account_id": account.id})

    async def account_page(
        self, scope: tuple[str, ...], cursor: str | None, limit: int
    ) -> tuple[list[domain.Account], str | None]:
        """At most `limit` accounts from the holder index under `scope` (see `open_account`), starting at the
        key `cursor` (None: the start); and the key the next page starts at (None: this is the last page).

        A paginated read (Fabric allows it in read-only transactions only). A cursor outside the scope lists
        nothing: a cursor can never widen a listing, and another caller's cursor reads like the end of one.
        """
        start, end = prefix_range(ACCOUNT_BY_HOLDER, *scope)
        if cursor is not None:
            if not start <= cursor < end:
                return [], None
            start = cursor
        pairs, bookmark = await self._stub.get_state_by_range_page(start, end, limit)
        accounts = [await self.account(decode(value)["account_id"]) for _, value in pairs]
        return accounts, bookmark or None

    async def find_account(self, account_id: str) -> domain.Account | None:
        raw = await self._get(composite_key(ACCOUNT, account_id))
        return None if raw is None else account_from_state(raw)

    async def account(self, account_id: str) -> domain.Account:
        """Raises ContractError(UNKNOWN_ACCOUNT)."""
        found = await self.find_account(account_id)
        if found is None:
            raise unknown_account(account_id)
        return found

    async def put_account(self, account: domain.Account) -> None:
        await self._put(composite_key(ACCOUNT, account.id), account_to_state(account))

    # balances (see "Hot accounts" above)

    async def _balance_parts(self, account_id: str, currency: str) -> tuple[int, list[str]]:
        """(base + every delta, the delta keys)."""
        base = await self._get(composite_key(BALANCE, account_id, currency))
        deltas = await self._range(BALANCE_DELTA, account_id, currency)
        total = (0 if base is None else int(base["amount"])) + sum(int(v["amount"]) for _, v in deltas)
        return total, [k for k, _ in deltas]

    async def balance(self, account_id: str, currency: str) -> int:
        total, _ = await self._balance_parts(account_id, currency)
        return total

    async def balances(self, account_id: str) -> dict[str, int]:
        """Every registered currency's balance (the default issuer's instruments), zero included; and every
        other bank's instrument the account has held (`EUR@EuroBankMSP`), each its own balance."""
        out = {c.code: await self.balance(account_id, c.code) for c in await self.currencies()}
        held = {
            split_composite_key(key)[1][1]
            for object_type in (BALANCE, BALANCE_DELTA)
            for key, _ in await self._range(object_type, account_id)
        }
        for code in sorted(held - out.keys()):
            out[code] = await self.balance(account_id, code)
        return out

    async def debit(self, account_id: str, amount: domain.Amount) -> int:
        """Take `amount`, consolidating the account's deltas into its base; returns the balance left.

        Raises ContractError(INSUFFICIENT_FUNDS) before writing anything.
        """
        code = amount.currency.code
        total, delta_keys = await self._balance_parts(account_id, code)
        left = domain.debit(account_id, total, amount)
        await self._put(composite_key(BALANCE, account_id, code), {"amount": left})
        for key in delta_keys:
            await self._stub.del_state(key)
        return left

    async def credit(self, account_id: str, amount: domain.Amount) -> None:
        """Add `amount` without reading the balance: a delta key unique to this transaction."""
        key = composite_key(BALANCE_DELTA, account_id, amount.currency.code, self.tx_id)
        # We cannot read our own write back, so a second credit in one transaction adds up here.
        self._credits[key] = self._credits.get(key, 0) + amount.minor
        await self._put(key, {"amount": self._credits[key]})

    async def history(self, account_id: str) -> list[dict[str, Any]]:
        return [entry for _, entry in await self._range(HISTORY, account_id)]

    async def add_history(self, account_id: str, entry: Mapping[str, object]) -> None:
        await self._put(history_key(account_id, self._seconds, self._nanos, self.tx_id), dict(entry))

    # redemptions

    async def redemption(self, redemption_id: str) -> domain.Redemption:
        """Raises ContractError(UNKNOWN_REDEMPTION)."""
        raw = await self._get(composite_key(REDEMPTION, redemption_id))
        if raw is None:
            raise unknown_redemption(redemption_id)
        return redemption_from_state(raw)

    async def put_redemption(self, redemption: domain.Redemption) -> None:
        await self._put(composite_key(REDEMPTION, redemption.id), redemption_to_state(redemption))

    # escrow

    @property
    def seconds(self) -> int:
        """The transaction's time in whole seconds: its proposal's timestamp (see "Time" in the README)."""
        return self._seconds

    async def find_order(self, order_id: str) -> domain.escrow.Order | None:
        raw = await self._get(composite_key(ESCROW, order_id))
        return None if raw is None else order_from_state(raw)

    async def put_order(self, order: domain.escrow.Order) -> None:
        await self._put(composite_key(ESCROW, order.id), order_to_state(order))

    # the currency registry

    async def currencies(self) -> list[domain.Currency]:
        """Every registered currency, in code order."""
        return [domain.Currency(v["code"], int(v["minor_digits"])) for _, v in await self._range(CURRENCY)]

    async def find_currency(self, code: str) -> domain.Currency | None:
        raw = await self._get(composite_key(CURRENCY, code))
        return None if raw is None else domain.Currency(raw["code"], int(raw["minor_digits"]))

    async def currency(self, code: str) -> domain.Currency:
        """The registered currency, or the instrument (`EUR@EuroBankMSP`: its currency registered, its bank a
        registered issuer) with the currency's minor digits. Raises ContractError(UNKNOWN_CURRENCY) otherwise."""
        instrument = domain.Instrument.parse(code)
        found = await self.find_currency(instrument.currency)
        if found is None:
            raise ContractError(ErrorCode.UNKNOWN_CURRENCY, f"currency {instrument.currency!r} is not registered")
        if instrument.issuer == domain.DEFAULT_ISSUER:
            return found
        if not await self.is_issuer(instrument.issuer):
            raise ContractError(ErrorCode.UNKNOWN_CURRENCY, f"{instrument.issuer} is no registered issuing bank")
        return domain.Currency(instrument.code, found.minor_digits)

    async def amount(self, code: str, minor: int) -> domain.Amount:
        """An argument's amount in a registered currency. Raises ContractError(UNKNOWN_CURRENCY, INVALID_AMOUNT)."""
        return domain.Amount.of(minor, await self.currency(code))

    async def register_currency(self, currency: domain.Currency) -> None:
        key, value = currency_state(currency)
        await self._stub.put_state(key, value)

    # issuing banks

    async def is_issuer(self, msp_id: str) -> bool:
        """The default issuer always; any other bank once registered."""
        return msp_id == domain.DEFAULT_ISSUER or await self._get(composite_key(ISSUER, msp_id)) is not None

    async def register_issuer(self, msp_id: str) -> None:
        """The bank in the registry, and its issuance key guarded by its own peer (key-level endorsement)."""
        await self._put(composite_key(ISSUER, msp_id), {"msp_id": msp_id})
        key = composite_key(ISSUANCE, msp_id)
        await self._put(key, {"tx_id": self.tx_id})
        await self._stub.set_state_endorsers(key, [msp_id])

    async def touch_issuance(self, instrument: domain.Instrument) -> None:
        """A blind write of the issuer's issuance key, once the bank is registered: this transaction then needs
        the issuer's peer. Before (the default issuer on a single-bank channel, whose policy already names its
        peer) nothing is written, so a mint's write set stays its own. The registry record is read, never
        written again: concurrent mints do not conflict over it."""
        if await self._get(composite_key(ISSUER, instrument.issuer)) is not None:
            await self._put(composite_key(ISSUANCE, instrument.issuer), {"tx_id": self.tx_id})

    async def issuers(self) -> list[str]:
        """The registered issuing banks other than the default, in MSP ID order."""
        return [str(raw["msp_id"]) for _, raw in await self._range(ISSUER)]

    # fx quotes

    async def quote(self, quote_id: str) -> domain.fx.Quote:
        """Raises ContractError(UNKNOWN_QUOTE)."""
        raw = await self._get(composite_key(FX_QUOTE, quote_id))
        if raw is None:
            raise ContractError(ErrorCode.UNKNOWN_QUOTE, f"no quote {quote_id}")
        return quote_from_state(raw)

    async def put_quote(self, quote: domain.fx.Quote) -> None:
        await self._put(composite_key(FX_QUOTE, quote.id), quote_to_state(quote))

    async def add_fx(self, sold: domain.Amount, bought: domain.Amount) -> None:
        """A conversion: `sold` leaves the supply of its currency, `bought` is issued (blind writes)."""
        await self._put(composite_key(SUPPLY_FX_OUT, sold.currency.code, self.tx_id), {"amount": sold.minor})
        await self._put(composite_key(SUPPLY_FX_IN, bought.currency.code, self.tx_id), {"amount": bought.minor})

    # mint backing

    async def claim_reserve(self, reserve_ref: str, account_id: str, amount: domain.Amount) -> None:
        """Record that `reserve_ref` backs this mint. Raises ContractError(DUPLICATE_RESERVE_REF)."""
        key = composite_key(RESERVE, reserve_ref)
        previous = await self._get(key)
        if previous is not None:
            raise ContractError(
                ErrorCode.DUPLICATE_RESERVE_REF,
                f"reserve {reserve_ref} already backs the mint in tx {previous['tx_id']}",
            )
        record = {"tx_id": self.tx_id, "account_id": account_id, "currency": amount.currency.code}
        await self._put(key, {**record, "amount": amount.minor})

    # the bank's books

    async def dda_account(self, dda: str) -> str | None:
        """The token account `dda` links to, or None."""
        raw = await self._get(composite_key(DDA, dda))
        return None if raw is None else str(raw["account_id"])

    async def link_dda(self, dda: str, account_id: str) -> None:
        """Raises ContractError(DDA_LINKED) when the DDA already links to an account."""
        linked = await self.dda_account(dda)
        if linked is not None:
            raise ContractError(ErrorCode.DDA_LINKED, f"dda {dda} already links to account {linked}")
        await self._put(composite_key(DDA, dda), {"account_id": account_id})

    async def mint_request(self, mint_id: str) -> domain.books.MintRequest:
        """Raises ContractError(UNKNOWN_MINT)."""
        raw = await self._get(composite_key(MINT_REQUEST, mint_id))
        if raw is None:
            raise ContractError(ErrorCode.UNKNOWN_MINT, f"no mint {mint_id} waits for approval")
        return domain.books.MintRequest(**raw)

    async def put_mint_request(self, request: domain.books.MintRequest) -> None:
        await self._put(
            composite_key(MINT_REQUEST, request.id),
            {f: getattr(request, f) for f in domain.books.MintRequest.__dataclass_fields__},
        )

    async def put_attestation(self, attestation: domain.books.Attestation) -> None:
        key = composite_key(ATTESTATION, attestation.currency, f"{attestation.as_of_block:020d}", attestation.tx_id)
        await self._put(
            key,
            {
                "currency": attestation.currency,
                "balance": attestation.balance,
                "as_of_block": attestation.as_of_block,
                "statement_sha256": attestation.statement_sha256,
                "tx_id": attestation.tx_id,
                "timestamp": attestation.timestamp,
            },
        )

    async def attestations(self) -> list[domain.books.Attestation]:
        """Every attestation, by currency and block."""
        return [domain.books.Attestation(**raw) for _, raw in await self._range(ATTESTATION)]

    # exactly once

    async def check_request(self, msp_id: str, request_id: str) -> None:
        """Raises ContractError(DUPLICATE_REQUEST) when this MSP's request id already committed."""
        previous = await self._get(composite_key(REQUEST, msp_id, request_id))
        if previous is not None:
            raise ContractError(
                ErrorCode.DUPLICATE_REQUEST,
                f"request {request_id} of {msp_id} already committed in tx {previous.get('tx_id')}",
            )

    async def record_request(self, msp_id: str, request_id: str, result: Mapping[str, object]) -> None:
        await self._put(composite_key(REQUEST, msp_id, request_id), dict(result))

    # supply

    async def add_minted(self, amount: domain.Amount) -> None:
        await self._put(composite_key(SUPPLY_MINTED, amount.currency.code, self.tx_id), {"amount": amount.minor})

    async def add_redeemed(self, amount: domain.Amount) -> None:
        await self._put(composite_key(SUPPLY_REDEEMED, amount.currency.code, self.tx_id), {"amount": amount.minor})

    async def supply(self) -> dict[str, domain.Supply]:
        """Every currency's supply: counters summed from the per-tx keys; balances and pending redemptions
        summed from the accounts, redemptions and orders themselves, so that the invariant checks something."""
        buckets = ("minted", "redeemed", "balances", "pending", "escrowed", "fx_in", "fx_out")
        sums: dict[str, dict[str, int]] = {c.code: dict.fromkeys(buckets, 0) for c in await self.currencies()}

        def add(currency: str, bucket: str, amount: int) -> None:
            sums.setdefault(currency, dict.fromkeys(buckets, 0))[bucket] += amount

        for object_type, bucket, currency_index in (
            (SUPPLY_MINTED, "minted", 0),
            (SUPPLY_REDEEMED, "redeemed", 0),
            (SUPPLY_FX_IN, "fx_in", 0),
            (SUPPLY_FX_OUT, "fx_out", 0),
            (BALANCE, "balances", 1),
            (BALANCE_DELTA, "balances", 1),
        ):
            for key, value in await self._range(object_type):
                add(split_composite_key(key)[1][currency_index], bucket, int(value["amount"]))
        for _, raw in await self._range(REDEMPTION):
            if raw["status"] == domain.RedemptionStatus.PENDING:
                add(raw["currency"], "pending", int(raw["amount"]))
        for _, raw in await self._range(ESCROW):
            add(raw["currency"], "escrowed", int(raw["held"]))
        return {
            code: domain.Supply(
                s["minted"], s["redeemed"], s["balances"], s["pending"], s["escrowed"], s["fx_in"], s["fx_out"]
            )
            for code, s in sorted(sums.items())
        }
