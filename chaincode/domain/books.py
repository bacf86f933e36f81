"""The bank's books, as the ledger sees them: demand-deposit accounts (DDAs) linked to token accounts, where
a redemption is paid, and attestations of the books' token liability. Pure: no Fabric, no I/O.

A DDA is the customer's deposit account in the bank's core (`[A-Za-z0-9-]{1,34}`, docs/books.md); it
links to at most one token account, so a funding of that DDA has exactly one place to be minted to.
A redemption is paid back to the account's DDA (a book transfer) or to the external account it names:
an IBAN, or an account number with the BIC of its bank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from chaincode.errors import ContractError, ErrorCode

DDA_PATTERN = re.compile(r"[A-Za-z0-9-]{1,34}")
# ISO 13616: country, check digits, up to 30 alphanumerics (the check digits are the core's to verify).
IBAN_PATTERN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")
# ISO 9362: bank, country, location, optional branch.
BIC_PATTERN = re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
EXTERNAL_ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9-]{1,34}")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
# Maker-checker: a person's direct mint above this many whole units of its currency waits for a second,
# different BankMSP identity to approve it (the topology's `chaincode.mint_approval_limit`).
MINT_APPROVAL_UNITS = 10_000_000


def _check(value: str, pattern: re.Pattern[str], what: str) -> str:
    if pattern.fullmatch(value) is None:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, f"{what} {value!r} must match {pattern.pattern}")
    return value


def needs_approval(minor: int, minor_digits: int, limit_units: int) -> bool:
    """Whether a direct mint of `minor` units waits for a checker."""
    limit: int = limit_units * pow(10, minor_digits)
    return minor > limit


@dataclass(frozen=True, slots=True)
class MintRequest:
    """A direct mint above the limit, waiting: no token exists until a second identity approves it."""

    id: str  # the requesting transaction's id
    account_id: str
    currency: str
    amount: int
    reserve_ref: str
    maker_msp: str
    maker_subject: str
    status: str = "pending"  # pending | approved
    approved_by: str | None = None

    def approve(self, msp_id: str, subject: str) -> MintRequest:
        """Raises ContractError(INVALID_STATE) unless pending; UNAUTHORIZED for the maker itself."""
        if self.status != "pending":
            raise ContractError(ErrorCode.INVALID_STATE, f"mint {self.id} is {self.status}")
        if (msp_id, subject) == (self.maker_msp, self.maker_subject):
            raise ContractError(ErrorCode.UNAUTHORIZED, f"the maker of mint {self.id} may not approve it too")
        return replace(self, status="approved", approved_by=subject)


def check_dda(dda: str) -> str:
    """Raises ContractError(INVALID_ARGUMENT) unless `dda` is a DDA id."""
    return _check(dda, DDA_PATTERN, "dda")


@dataclass(frozen=True, slots=True)
class PayoutAccount:
    """Where a redemption is paid outside the bank: an IBAN, or an account number and its bank's BIC."""

    iban: str | None = None
    account: str | None = None
    bic: str | None = None

    def __post_init__(self) -> None:
        """Raises ContractError(INVALID_ARGUMENT) unless exactly one of the two forms is given, well formed."""
        if self.iban is not None:
            if self.account is not None or self.bic is not None:
                raise ContractError(ErrorCode.INVALID_ARGUMENT, "payout names an iban, or an account and a bic")
            _check(self.iban, IBAN_PATTERN, "iban")
        elif self.account is not None and self.bic is not None:
            _check(self.account, EXTERNAL_ACCOUNT_PATTERN, "account")
            _check(self.bic, BIC_PATTERN, "bic")
        else:
            raise ContractError(ErrorCode.INVALID_ARGUMENT, "payout names an iban, or an account and a bic")

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("iban", self.iban), ("account", self.account), ("bic", self.bic)) if v is not None}


@dataclass(frozen=True, slots=True)
class Attestation:
    """The bank's statement on chain: its books held `balance` minor units of token liability in `currency`
    as of chain block `as_of_block`, per the day's camt.053 whose SHA-256 is `statement_sha256`."""

    currency: str
    balance: int
    as_of_block: int
    statement_sha256: str | None
    tx_id: str
    timestamp: str


@dataclass(frozen=True, slots=True)
class SupplyMove:
    """A committed change of a currency's outstanding supply: +minted, -settled redemption."""

    block: int
    currency: str
    minor: int


def outstanding_at(moves: list[SupplyMove], block: int) -> dict[str, int]:
    """Each currency's outstanding supply once `block` has committed, from the moves alone."""
    out: dict[str, int] = {}
    for move in moves:
        if move.block <= block:
            out[move.currency] = out.get(move.currency, 0) + move.minor
    return out


def attestation_disagreements(
    moves: list[SupplyMove], attestations: list[Attestation]
) -> list[tuple[Attestation, int]]:
    """Each attestation whose balance is not the chain's outstanding supply at its block, with that supply."""
    wrong = []
    for a in attestations:
        supply = outstanding_at(moves, a.as_of_block).get(a.currency, 0)
        if supply != a.balance:
            wrong.append((a, supply))
    return wrong
