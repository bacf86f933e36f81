"""Decimal strings at the API edge ↔ integer minor units on the ledger, via the chaincode's domain rules."""

from __future__ import annotations

from typing import Any

from chaincode import domain
from chaincode.errors import ContractError
from gateway.errors import ChaincodeRejected


def to_minor(amount: str, currency: str) -> int:
    """Raises ChaincodeRejected (INVALID_AMOUNT / UNKNOWN_CURRENCY) exactly as the contract would."""
    try:
        return domain.parse_decimal(amount, currency)
    except ContractError as exc:
        raise ChaincodeRejected(exc.code, exc.message) from exc


def to_decimal(minor: int, currency: str) -> str:
    return domain.format_minor(minor, currency)


def balances(raw: dict[str, Any]) -> dict[str, str]:
    return {cur: to_decimal(int(v), cur) for cur, v in sorted(raw.items())}
