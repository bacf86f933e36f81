"""The rules of money, pure: no Fabric, no I/O, no clock, no floats.

An `Amount` is a positive integer of minor units of a `Currency` (cents for USD and EUR). From the
outside there are exactly two ways in: `Amount.of(minor, currency)` for integers already in minor units
(transaction arguments) and `Amount.parse(text, currency)` for decimal strings (the gateway's API).
Every other rule here — account status transitions, debits, redemption transitions, the supply
invariant — works on these values and raises `ContractError` with a stable code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Self

from chaincode.errors import ContractError, ErrorCode

# The largest amount one transaction may move, in minor units (10 trillion dollars or euros).
MAX_AMOUNT = 10**15

ACCOUNT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

# ASCII digits only (`\d` would accept other scripts' digits); no sign, exponent, spaces or leading zeros.
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,15})(?:\.([0-9]+))?")


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    minor_digits: int


CURRENCIES: dict[str, Currency] = {c.code: c for c in (Currency("EUR", 2), Currency("USD", 2))}


def currency(code: str) -> Currency:
    """The currency with ISO code `code`. Raises ContractError(UNKNOWN_CURRENCY)."""
    found = CURRENCIES.get(code)
    if found is None:
        raise ContractError(ErrorCode.UNKNOWN_CURRENCY, f"unknown currency {code!r}; known: {', '.join(CURRENCIES)}")
    return found


@dataclass(frozen=True, slots=True)
class Amount:
    """A positive amount of one currency, in integer minor units, at most MAX_AMOUNT."""

    minor: int
    currency: Currency

    @classmethod
    def of(cls, minor: object, currency: Currency) -> Self:
        """Validate an integer of minor units. Raises ContractError(INVALID_AMOUNT) for bools, floats,
        strings and anything else that is not an int, and for values outside (0, MAX_AMOUNT]."""
        if type(minor) is not int:  # bool is an int subclass: `type(...) is` refuses it
            raise ContractError(ErrorCode.INVALID_AMOUNT, "amount must be an integer number of minor units")
        if not 0 < minor <= MAX_AMOUNT:
            raise ContractError(ErrorCode.INVALID_AMOUNT, f"amount must be in 1..{MAX_AMOUNT} minor units")
        return cls(minor, currency)

    @classmethod
    def parse(cls, text: str, currency: Currency) -> Self:
        """Parse a plain decimal string with at most the currency's minor digits ("125000.50", "3").

        Raises ContractError(INVALID_AMOUNT) for signs, exponents, spaces, too many decimals, zero, or more
        than MAX_AMOUNT.
        """
        match = _DECIMAL.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ContractError(ErrorCode.INVALID_AMOUNT, f"{text!r} is not a plain decimal amount")
        whole, fraction = match.group(1), match.group(2) or ""
        if len(fraction) > currency.minor_digits:
            raise ContractError(
                ErrorCode.INVALID_AMOUNT, f"{currency.code} has {currency.minor_digits} minor digits, got {text!r}"
            )
        minor = int(whole) * 10**currency.minor_digits + int(fraction.ljust(currency.minor_digits, "0") or "0")
        return cls.of(minor, currency)

    def format(self) -> str:
        """The decimal string with exactly the currency's minor digits, e.g. "125000.50"."""
        return format_units(self.minor, self.currency)


def format_units(minor: int, currency: Currency) -> str:
    """Any integer of minor units (also zero or negative) as a decimal string, e.g. -1250 → "-12.50"."""
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**currency.minor_digits)
    if currency.minor_digits == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{currency.minor_digits}d}"


def parse_decimal(text: str, currency_code: str) -> int:
    """`Amount.parse` by currency code, giving minor units. Raises ContractError(UNKNOWN_CURRENCY,
    INVALID_AMOUNT)."""
    return Amount.parse(text, currency(currency_code)).minor


def format_minor(minor: int, currency_code: str) -> str:
    """`format_units` by currency code. Raises ContractError(UNKNOWN_CURRENCY)."""
    return format_units(minor, currency(currency_code))


def check_account_id(account_id: str) -> str:
    """Raises ContractError(INVALID_ARGUMENT) unless the id matches ACCOUNT_ID_PATTERN."""
    if ACCOUNT_ID_PATTERN.fullmatch(account_id) is None:
        raise ContractError(
            ErrorCode.INVALID_ARGUMENT, f"account id {account_id!r} must match {ACCOUNT_ID_PATTERN.pattern}"
        )
    return account_id


# --- accounts -------------------------------------------------------------------------------------------


class AccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"


@dataclass(frozen=True, slots=True)
class Account:
    """An account's record. Its balances are not here: see `chaincode.state` (hot accounts)."""

    id: str
    holder_msp: str
    holder_subject: str
    kyc_ref: str
    status: AccountStatus = AccountStatus.ACTIVE

    def freeze(self) -> Account:
        """Raises ContractError(INVALID_STATE) when already frozen."""
        if self.status is AccountStatus.FROZEN:
            raise ContractError(ErrorCode.INVALID_STATE, f"account {self.id} is already frozen")
        return replace(self, status=AccountStatus.FROZEN)

    def unfreeze(self) -> Account:
        """Raises ContractError(INVALID_STATE) when not frozen."""
        if self.status is not AccountStatus.FROZEN:
            raise ContractError(ErrorCode.INVALID_STATE, f"account {self.id} is not frozen")
        return replace(self, status=AccountStatus.ACTIVE)

    def check_can_send(self) -> None:
        """Raises ContractError(ACCOUNT_FROZEN)."""
        if self.status is AccountStatus.FROZEN:
            raise ContractError(ErrorCode.ACCOUNT_FROZEN, f"account {self.id} is frozen and cannot send")

    def check_can_receive(self) -> None:
        """Raises ContractError(ACCOUNT_FROZEN)."""
        if self.status is AccountStatus.FROZEN:
            raise ContractError(ErrorCode.ACCOUNT_FROZEN, f"account {self.id} is frozen and cannot receive")


def debit(account_id: str, balance: int, amount: Amount) -> int:
    """The balance left after taking `amount` from `balance`. Raises ContractError(INSUFFICIENT_FUNDS)."""
    if balance < amount.minor:
        raise ContractError(
            ErrorCode.INSUFFICIENT_FUNDS,
            f"account {account_id} has {format_units(balance, amount.currency)} {amount.currency.code}, "
            f"needs {amount.format()}",
        )
    return balance - amount.minor


# --- redemptions ----------------------------------------------------------------------------------------


class RedemptionStatus(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Redemption:
    """Tokens burned by a holder, awaiting the bank's payout (settle) or their return (reject)."""

    id: str
    account_id: str
    currency: str
    amount: int
    status: RedemptionStatus
    requested_tx_id: str
    closed_tx_id: str | None = None
    payout_ref: str | None = None
    reason: str | None = None

    def settle(self, tx_id: str, payout_ref: str) -> Redemption:
        """Raises ContractError(INVALID_STATE) unless pending."""
        self._check_pending("settle")
        return replace(self, status=RedemptionStatus.SETTLED, closed_tx_id=tx_id, payout_ref=payout_ref)

    def reject(self, tx_id: str, reason: str) -> Redemption:
        """Raises ContractError(INVALID_STATE) unless pending."""
        self._check_pending("reject")
        return replace(self, status=RedemptionStatus.REJECTED, closed_tx_id=tx_id, reason=reason)

    def _check_pending(self, action: str) -> None:
        if self.status is not RedemptionStatus.PENDING:
            raise ContractError(ErrorCode.INVALID_STATE, f"cannot {action} redemption {self.id}: it is {self.status}")


# --- supply ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Supply:
    """One currency's supply, from two independent sources: the mint/settle counters, and what is held.

    Invariant: balances_total + pending_redemptions == minted - redeemed (= outstanding).
    """

    minted: int = 0
    redeemed: int = 0
    balances_total: int = 0
    pending_redemptions: int = 0

    @property
    def outstanding(self) -> int:
        return self.minted - self.redeemed

    @property
    def consistent(self) -> bool:
        return self.balances_total + self.pending_redemptions == self.outstanding
