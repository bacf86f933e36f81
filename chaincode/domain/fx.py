"""Foreign exchange, pure: a quote's rate as an exact integer ratio, and the conversion it prices.

A rate is the number of units of the `quote` currency one unit of the `base` currency buys (USD/CNH 7.12:
1 USD = 7.12 CNH). It arrives as a decimal string of at most 8 decimals and is kept as a reduced fraction
`numerator / denominator`, never a float. A conversion's bought amount is rounded DOWN to the target's
minor unit: no fraction of a unit is ever created, and the remainder stays with the bank.

A quote serves many conversions until its `max_base_amount` (base minor units) is used up or it expires;
each conversion uses up the base side of its trade (what is sold when selling base, what is bought when
selling the quote currency).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Self

from chaincode.domain.money import MAX_AMOUNT, Currency
from chaincode.errors import ContractError, ErrorCode

MAX_RATE_DECIMALS = 8
# At most 12 whole digits (a rate of a trillion is already absurd), at most 8 decimals.
RATE_PATTERN = re.compile(r"(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,8}))?")


@dataclass(frozen=True, slots=True)
class Rate:
    """`numerator / denominator` units of quote per unit of base, reduced; both positive."""

    numerator: int
    denominator: int

    @classmethod
    def parse(cls, text: object) -> Self:
        """Raises ContractError(INVALID_ARGUMENT) for anything but a positive decimal with <= 8 decimals."""
        match = RATE_PATTERN.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ContractError(
                ErrorCode.INVALID_ARGUMENT, f"rate must be a positive decimal with at most {MAX_RATE_DECIMALS} decimals"
            )
        whole, fraction = match.group(1), match.group(2) or ""
        numerator, denominator = int(whole + fraction), 10 ** len(fraction)
        if numerator == 0:
            raise ContractError(ErrorCode.INVALID_ARGUMENT, "rate must be more than zero")
        g = math.gcd(numerator, denominator)
        return cls(numerator // g, denominator // g)

    def format(self) -> str:
        """The plain decimal (exact: the denominator divides 10**8), e.g. "7.12345678"."""
        scaled = self.numerator * 10**MAX_RATE_DECIMALS // self.denominator
        whole, fraction = divmod(scaled, 10**MAX_RATE_DECIMALS)
        digits = f"{fraction:0{MAX_RATE_DECIMALS}d}".rstrip("0")
        return f"{whole}.{digits}" if digits else str(whole)


def convert(sold: int, sell: Currency, buy: Currency, rate: Rate, selling_base: bool) -> int:
    """The bought amount in `buy` minor units for `sold` minor units of `sell`, rounded down.

    Selling base: bought = sold * rate; selling the quote currency: bought = sold / rate; in both, scaled
    between the two currencies' minor digits (JPY has none) with integers only.
    Raises ContractError(INVALID_AMOUNT) when the result rounds to zero or exceeds MAX_AMOUNT.
    """
    num, den = (rate.numerator, rate.denominator) if selling_base else (rate.denominator, rate.numerator)
    bought: int = sold * num * int(10**buy.minor_digits) // (den * int(10**sell.minor_digits))
    if bought == 0:
        raise ContractError(
            ErrorCode.INVALID_AMOUNT, f"{sold} {sell.code} minor units buy less than one minor unit of {buy.code}"
        )
    if bought > MAX_AMOUNT:
        raise ContractError(ErrorCode.INVALID_AMOUNT, f"the conversion would buy more than {MAX_AMOUNT} minor units")
    return bought


@dataclass(frozen=True, slots=True)
class Quote:
    """A bank's standing offer to convert between base and quote at `rate`, for a limited base amount."""

    id: str
    base: str
    quote: str
    rate: Rate
    valid_until: int  # epoch seconds, compared with the converting transaction's proposal time
    max_base_amount: int  # base minor units
    used: int = 0  # base minor units converted so far

    @property
    def remaining(self) -> int:
        return self.max_base_amount - self.used

    def side(self, sell_currency: str, buy_currency: str | None = None) -> bool:
        """True when selling base, False when selling the quote currency. Raises ContractError
        (INVALID_ARGUMENT) when the pair (sell, buy) is not this quote's, in either direction."""
        other = {self.base: self.quote, self.quote: self.base}
        if sell_currency not in other or (buy_currency is not None and other[sell_currency] != buy_currency):
            pair = sell_currency if buy_currency is None else f"{sell_currency}->{buy_currency}"
            raise ContractError(ErrorCode.INVALID_ARGUMENT, f"quote {self.id} is {self.base}/{self.quote}, not {pair}")
        return sell_currency == self.base

    def use(self, base_amount: int, now: int) -> Self:
        """The quote after converting `base_amount` base minor units at time `now`.

        Raises ContractError(QUOTE_EXPIRED) after valid_until, (QUOTE_EXHAUSTED) beyond what remains.
        """
        if now > self.valid_until:
            raise ContractError(ErrorCode.QUOTE_EXPIRED, f"quote {self.id} expired at {self.valid_until}")
        if base_amount > self.remaining:
            raise ContractError(
                ErrorCode.QUOTE_EXHAUSTED,
                f"quote {self.id} has {self.remaining} {self.base} minor units left, needs {base_amount}",
            )
        return replace(self, used=self.used + base_amount)


@dataclass(frozen=True, slots=True)
class Conversion:
    """What one conversion sells and buys, and how much of the quote's base amount it uses."""

    sold: int
    bought: int
    base_used: int


def price(quote: Quote, sell: Currency, buy: Currency, sold: int, now: int) -> tuple[Conversion, Quote]:
    """Price `sold` of `sell` into `buy` under `quote` at time `now`; the conversion and the quote after it.

    Raises ContractError(INVALID_ARGUMENT: not the quote's pair; INVALID_AMOUNT: rounds to zero;
    QUOTE_EXPIRED; QUOTE_EXHAUSTED).
    """
    selling_base = quote.side(sell.code, buy.code)
    bought = convert(sold, sell, buy, quote.rate, selling_base)
    base_used = sold if selling_base else bought
    return Conversion(sold, bought, base_used), quote.use(base_used, now)
