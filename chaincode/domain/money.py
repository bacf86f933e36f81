"""Money: currencies and `Amount`, a positive integer of minor units; no floats anywhere.

Which currencies exist is not code: it is the ledger's registry (`register_currency`, read through
`chaincode.state.Books.currency`), so a `Currency` comes from there.

From the outside there are exactly two ways in: `Amount.of(minor, currency)` for integers already in
minor units (transaction arguments) and `Amount.parse(text, currency)` for decimal strings (the gateway's
API).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Self

from chaincode.errors import ContractError, ErrorCode

# The largest amount one transaction may move, in minor units (10 trillion dollars or euros).
MAX_AMOUNT = 10**15

# ASCII digits only (`\d` would accept other scripts' digits); no sign, exponent, spaces or leading zeros.
_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,15})(?:\.([0-9]+))?")


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    minor_digits: int


# ISO 4217 alphabetic codes; which of them the ledger issues is its registry (`register_currency`).
CURRENCY_CODE_PATTERN = re.compile(r"[A-Z]{3}")
# Minor digits a registered currency may have (ISO 4217 uses 0..4).
MAX_MINOR_DIGITS = 4


def check_currency_code(code: object) -> str:
    """Raises ContractError(UNKNOWN_CURRENCY) for anything but three capital ASCII letters."""
    if not isinstance(code, str) or CURRENCY_CODE_PATTERN.fullmatch(code) is None:
        raise ContractError(ErrorCode.UNKNOWN_CURRENCY, f"{code!r} is no ISO 4217 currency code")
    return code


def check_minor(minor: object) -> int:
    """An integer of minor units in (0, MAX_AMOUNT]. Raises ContractError(INVALID_AMOUNT) for bools, floats,
    strings and anything else that is not an int, and for values outside that range."""
    if type(minor) is not int:  # bool is an int subclass: `type(...) is` refuses it
        raise ContractError(ErrorCode.INVALID_AMOUNT, "amount must be an integer number of minor units")
    if not 0 < minor <= MAX_AMOUNT:
        raise ContractError(ErrorCode.INVALID_AMOUNT, f"amount must be in 1..{MAX_AMOUNT} minor units")
    return minor


@dataclass(frozen=True, slots=True)
class Amount:
    """A positive amount of one currency, in integer minor units, at most MAX_AMOUNT."""

    minor: int
    currency: Currency

    @classmethod
    def of(cls, minor: object, currency: Currency) -> Self:
        """Validate an integer of minor units. Raises ContractError(INVALID_AMOUNT) for bools, floats,
        strings and anything else that is not an int, and for values outside (0, MAX_AMOUNT]."""
        return cls(check_minor(minor), currency)

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
