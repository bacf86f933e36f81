"""Accounts: ids, status (active, frozen), what a frozen account may not do, and debits."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from chaincode.domain.money import Amount, format_units
from chaincode.errors import ContractError, ErrorCode

ACCOUNT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_account_id(account_id: str) -> str:
    """Raises ContractError(INVALID_ARGUMENT) unless the id matches ACCOUNT_ID_PATTERN."""
    if ACCOUNT_ID_PATTERN.fullmatch(account_id) is None:
        raise ContractError(
            ErrorCode.INVALID_ARGUMENT, f"account id {account_id!r} must match {ACCOUNT_ID_PATTERN.pattern}"
        )
    return account_id


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
    dda: str | None = None  # the demand-deposit account in the bank's core it is funded from (domain.books)

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
