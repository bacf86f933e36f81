"""The core's posting rules: which accounts exist, and the balanced postings each money flow books.

A posting is a list of lines on accounts of one currency; a line's amount is signed integer minor units,
positive = credit, negative = debit. Every posting sums to zero, checked here and only here (`Posting`).
An account's balance is the sum of its lines (credit balance): a customer's deposit is positive.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from core.errors import CoreError

DDA_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,34}$")


class AccountKind(enum.StrEnum):
    DDA = "dda"  # a customer's demand deposit (liability)
    TOKEN_LIABILITY = "token-liability"  # deposits held as tokens (liability)
    OUTGOING = "outgoing"  # payments leaving the bank
    FX_POSITION = "fx-position"  # the bank's FX position
    OPENING = "opening"  # counter-account of opening balances


_PREFIX = {
    AccountKind.TOKEN_LIABILITY: "TOKEN-LIABILITY-",
    AccountKind.OUTGOING: "OUTGOING-",
    AccountKind.FX_POSITION: "FX-POSITION-",
    AccountKind.OPENING: "OPENING-",
}
BANK_KINDS = tuple(_PREFIX)


def bank_account(kind: AccountKind, currency: str) -> str:
    """The id of the bank's own account of this kind and currency, e.g. `TOKEN-LIABILITY-USD`."""
    return _PREFIX[kind] + currency


def bank_account_kind(account: str) -> tuple[AccountKind, str] | None:
    """(kind, currency) if `account` names one of the bank's own accounts, else None."""
    for kind, prefix in _PREFIX.items():
        if account.startswith(prefix) and len(account) == len(prefix) + 3:
            return kind, account[len(prefix) :]
    return None


def check_dda_id(dda: str) -> None:
    """Raises CoreError(INVALID_DDA) for an id outside `[A-Za-z0-9-]{1,34}` or one the bank's accounts use."""
    if not DDA_PATTERN.fullmatch(dda) or bank_account_kind(dda) is not None:
        raise CoreError("INVALID_DDA", f"{dda!r} is not a DDA id ([A-Za-z0-9-]{{1,34}}, not a bank account)")


class PostingKind(enum.StrEnum):
    OPENING = "opening"  # a DDA's opening balance
    FUNDING = "funding"  # tokenize: DDA → token liability (camt.054)
    PAYOUT_BOOK = "payout-book"  # redemption paid to a DDA (pacs.008)
    PAYOUT_EXTERNAL = "payout-external"  # redemption paid out of the bank (pacs.008)
    FX_LEG = "fx-leg"  # one currency's leg of a conversion (pacs.009)


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    amount: int  # signed minor units: + credit, - debit


@dataclass(frozen=True, slots=True)
class Posting:
    """A balanced booking in one currency. Raises CoreError(UNBALANCED) when its lines do not sum to zero,
    are fewer than two, hold a zero or non-integer amount, or name an account twice."""

    kind: PostingKind
    currency: str
    lines: tuple[Line, ...]
    end_to_end_id: str | None = None
    uetr: str | None = None
    msg_id: str | None = None

    def __post_init__(self) -> None:
        if len(self.lines) < 2:
            raise CoreError("UNBALANCED", f"{self.kind} posting has {len(self.lines)} line(s); needs two or more")
        for line in self.lines:
            # bool is an int subclass: a True amount would be a bug, not one minor unit.
            if type(line.amount) is not int or line.amount == 0:
                raise CoreError("UNBALANCED", f"{self.kind} posting: line {line} is not a non-zero integer")
        if len({line.account for line in self.lines}) != len(self.lines):
            raise CoreError("UNBALANCED", f"{self.kind} posting names an account twice")
        total = sum(line.amount for line in self.lines)
        if total != 0:
            raise CoreError("UNBALANCED", f"{self.kind} posting sums to {total}, not zero")

    @property
    def debited(self) -> list[Line]:
        return [line for line in self.lines if line.amount < 0]


def _transfer(kind: PostingKind, currency: str, debit: str, credit: str, amount: int, **refs: str | None) -> Posting:
    if type(amount) is not int or amount <= 0:
        raise CoreError("INVALID_AMOUNT", f"{amount!r}: an amount is a positive number of minor units")
    return Posting(kind, currency, (Line(debit, -amount), Line(credit, amount)), **refs)


def opening(dda: str, currency: str, amount: int) -> Posting:
    """A DDA's opening balance: debit OPENING-<CCY>, credit the DDA."""
    return _transfer(PostingKind.OPENING, currency, bank_account(AccountKind.OPENING, currency), dda, amount)


def funding(dda: str, currency: str, amount: int, *, msg_id: str | None = None) -> Posting:
    """Tokenize: debit the customer's DDA, credit TOKEN-LIABILITY-<CCY> (the balance sheet total stays);
    msg_id: the camt.054 that reports it."""
    liability = bank_account(AccountKind.TOKEN_LIABILITY, currency)
    return _transfer(PostingKind.FUNDING, currency, dda, liability, amount, msg_id=msg_id)


def payout_to_dda(
    dda: str, currency: str, amount: int, *, end_to_end_id: str, uetr: str | None, msg_id: str
) -> Posting:
    """A redemption paid back as a book transfer: debit TOKEN-LIABILITY-<CCY>, credit the DDA."""
    liability = bank_account(AccountKind.TOKEN_LIABILITY, currency)
    return _transfer(
        PostingKind.PAYOUT_BOOK, currency, liability, dda, amount, end_to_end_id=end_to_end_id, uetr=uetr, msg_id=msg_id
    )


def payout_external(currency: str, amount: int, *, end_to_end_id: str, uetr: str | None, msg_id: str) -> Posting:
    """A redemption paid out of the bank: debit TOKEN-LIABILITY-<CCY>, credit OUTGOING-<CCY>."""
    liability = bank_account(AccountKind.TOKEN_LIABILITY, currency)
    outgoing = bank_account(AccountKind.OUTGOING, currency)
    return _transfer(
        PostingKind.PAYOUT_EXTERNAL,
        currency,
        liability,
        outgoing,
        amount,
        end_to_end_id=end_to_end_id,
        uetr=uetr,
        msg_id=msg_id,
    )


# The two legs a conversion may book, per currency: (debited kind, credited kind).
FX_LEGS = (
    (AccountKind.TOKEN_LIABILITY, AccountKind.FX_POSITION),  # the sold currency leaves the token liability
    (AccountKind.FX_POSITION, AccountKind.TOKEN_LIABILITY),  # the bought currency enters it
)


def fx_leg(
    debit: str, credit: str, currency: str, amount: int, *, end_to_end_id: str, uetr: str | None, msg_id: str
) -> Posting:
    """One leg of an FX conversion or PvP payment. Raises CoreError(INVALID_DEBTOR_ACCOUNT or
    INVALID_CREDITOR_ACCOUNT) unless it moves TOKEN-LIABILITY-<CCY> ↔ FX-POSITION-<CCY> in its own currency."""
    d, c = bank_account_kind(debit), bank_account_kind(credit)
    if d is None or d[1] != currency or d[0] not in {leg[0] for leg in FX_LEGS}:
        raise CoreError("INVALID_DEBTOR_ACCOUNT", f"{debit!r} is not a {currency} leg's debtor account")
    if c is None or c[1] != currency or (d[0], c[0]) not in FX_LEGS:
        raise CoreError("INVALID_CREDITOR_ACCOUNT", f"{credit!r} cannot be credited against {debit!r}")
    return _transfer(
        PostingKind.FX_LEG, currency, debit, credit, amount, end_to_end_id=end_to_end_id, uetr=uetr, msg_id=msg_id
    )


# Accounts that may not go below zero: customers' deposits and the token liability (the books' backing).
NO_OVERDRAFT = (AccountKind.DDA, AccountKind.TOKEN_LIABILITY)
