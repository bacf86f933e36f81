"""Decimal strings at the API edge ↔ integer minor units on the ledger, with the ledger's registry's digits."""

from __future__ import annotations

from typing import Any

from chaincode import domain
from chaincode.errors import ContractError
from gateway.api.deps import Components
from gateway.errors import ChaincodeRejected


def to_minor(c: Components, amount: str, currency: str) -> int:
    """Raises ChaincodeRejected (INVALID_AMOUNT / UNKNOWN_CURRENCY) exactly as the contract would."""
    try:
        return domain.Amount.parse(amount, c.currencies.get(currency)).minor
    except ContractError as exc:
        raise ChaincodeRejected(exc.code, exc.message) from exc


def to_decimal(c: Components, minor: int, currency: str) -> str:
    return domain.format_units(minor, c.currencies.get(currency))


def balances(c: Components, raw: dict[str, Any]) -> dict[str, str]:
    return {cur: to_decimal(c, int(v), cur) for cur, v in sorted(raw.items())}
