"""Amounts in the core: integer minor units; decimal strings and ISO `Decimal`s are the only ways in."""

from __future__ import annotations

import re
from decimal import Decimal

from core.errors import CoreError

_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?$")


class Currencies:
    """The core's currency table: code → minor digits."""

    def __init__(self, digits: dict[str, int]) -> None:
        self._digits = dict(digits)

    def __contains__(self, code: object) -> bool:
        return code in self._digits

    @property
    def codes(self) -> list[str]:
        return sorted(self._digits)

    def digits(self, code: str) -> int:
        """Raises CoreError(UNKNOWN_CURRENCY)."""
        try:
            return self._digits[code]
        except KeyError:
            raise CoreError("UNKNOWN_CURRENCY", f"the core keeps no currency {code!r}") from None

    def parse(self, text: str, code: str) -> int:
        """A non-negative decimal string ("100.50") → minor units. Raises CoreError(INVALID_AMOUNT,
        UNKNOWN_CURRENCY) for anything else, including more decimals than the currency has."""
        if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
            raise CoreError("INVALID_AMOUNT", f"{text!r} is not a decimal amount like 100.50")
        return self.from_decimal(Decimal(text), code)

    def from_decimal(self, value: Decimal, code: str) -> int:
        """An exact Decimal → minor units. Raises CoreError(INVALID_AMOUNT) when it has more digits than the
        currency (never rounds) or is negative; CoreError(UNKNOWN_CURRENCY)."""
        digits = self.digits(code)
        minor = value.scaleb(digits)
        if not value.is_finite() or value < 0 or minor != minor.to_integral_value():
            raise CoreError("INVALID_AMOUNT", f"{value} {code}: {code} has {digits} minor digits")
        return int(minor)

    def to_decimal(self, minor: int, code: str) -> Decimal:
        """Minor units → the exact Decimal with the currency's digits (ISO amounts)."""
        return Decimal(minor).scaleb(-self.digits(code))

    def format(self, minor: int, code: str) -> str:
        """Minor units → the decimal string the API shows ("-12.50")."""
        return f"{self.to_decimal(minor, code):f}"
