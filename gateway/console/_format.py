"""Amounts for people: integer minor units with the currency's digits and thousands separators.

The API speaks exact decimal strings ("1234567.50"); a page shows "1,234,567.50". Both directions are
string and integer arithmetic only (no floats); the caller passes the currency's minor digits (the ledger's
currency registry, `gateway.currencies`).
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")


def group(whole: int) -> str:
    """A non-negative integer with a comma every three digits: 1234567 → "1,234,567"."""
    digits = str(whole)
    head = len(digits) % 3 or 3
    return ",".join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])


def amount(minor: int, digits: int) -> str:
    """Integer minor units as a decimal with `digits` minor digits and separators: -123456789, 2 → "-1,234,567.89"."""
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{sign}{group(whole)}" + (f".{fraction:0{digits}d}" if digits else "")


def to_minor(text: str, digits: int) -> int:
    """An exact decimal string of the API ("-12.5", "1000.00") as integer minor units with `digits` digits.

    Raises ValueError when it is no plain decimal or has more than `digits` minor digits."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a decimal amount")
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    if len(fraction) > digits:
        raise ValueError(f"{text!r} has more than {digits} minor digits")
    minor: int = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    return -minor if sign else minor


def decimal(text: str, digits: int) -> str:
    """An API decimal string as a page shows it: "1234567.5", 2 → "1,234,567.50"."""
    return amount(to_minor(text, digits), digits)
