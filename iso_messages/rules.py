"""The schema's rules, read from the bindings' field metadata (pyiso20022 generates it from the XSDs, which
it does not ship): required elements, occurrences, lengths, patterns, digits, bounds, and one branch per
`…Choice`. The parser checks names and types; these checks are what it leaves out."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from functools import cache
from typing import Any

from iso_messages.errors import MessageError


def check(document: Any) -> None:
    """Raises MessageError at the first rule `document` (a pyiso20022 `Document`) breaks."""
    _check_object(document, "/Document")


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text)


def _xml_name(f: dataclasses.Field[Any]) -> str:
    name = f.metadata.get("name")
    return str(name) if name else f.name


def _check_object(obj: Any, path: str) -> None:
    present = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        meta = f.metadata
        kind = meta.get("type")
        here = path if kind is None else f"{path}/@{_xml_name(f)}" if kind == "Attribute" else f"{path}/{_xml_name(f)}"
        required = bool(meta.get("required")) or (
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
        if isinstance(value, list):
            low, high = int(meta.get("min_occurs", 0)), meta.get("max_occurs")
            if len(value) < low:
                raise MessageError(here, f"at least {low} expected, {len(value)} given")
            if high is not None and len(value) > int(high):
                raise MessageError(here, f"at most {high} allowed, {len(value)} given")
            for i, item in enumerate(value, start=1):
                _check_value(item, meta, f"{here}[{i}]")
            if value:
                present.append(f.name)
            continue
        if value is None:
            if required:
                raise MessageError(here, "required")
            continue
        present.append(f.name)
        _check_value(value, meta, here)
    if type(obj).__name__.endswith("Choice") and len(present) != 1:
        raise MessageError(path, f"exactly one of its choices expected, {len(present)} given")


def _check_value(value: Any, meta: Any, path: str) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _check_object(value, path)
    elif isinstance(value, str):
        _check_text(value, meta, path)
    elif isinstance(value, Decimal):
        _check_decimal(value, meta, path)


def _check_text(value: str, meta: Any, path: str) -> None:
    if "min_length" in meta and len(value) < int(meta["min_length"]):
        raise MessageError(path, f"at least {meta['min_length']} characters expected")
    if "max_length" in meta and len(value) > int(meta["max_length"]):
        raise MessageError(path, f"at most {meta['max_length']} characters allowed")
    if "length" in meta and len(value) != int(meta["length"]):
        raise MessageError(path, f"exactly {meta['length']} characters expected")
    if "pattern" in meta and _pattern(str(meta["pattern"])).fullmatch(value) is None:
        raise MessageError(path, f"does not match {meta['pattern']}")


def _check_decimal(value: Decimal, meta: Any, path: str) -> None:
    if not value.is_finite():
        raise MessageError(path, "not a finite number")
    if "min_inclusive" in meta and value < Decimal(meta["min_inclusive"]):
        raise MessageError(path, f"below the minimum {meta['min_inclusive']}")
    if "min_exclusive" in meta and value <= Decimal(meta["min_exclusive"]):
        raise MessageError(path, f"must exceed {meta['min_exclusive']}")
    if "max_inclusive" in meta and value > Decimal(meta["max_inclusive"]):
        raise MessageError(path, f"above the maximum {meta['max_inclusive']}")
    _sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    fraction = max(0, -exponent)
    total = max(len(digits), fraction) if exponent < 0 else len(digits) + exponent
    if "fraction_digits" in meta and fraction > int(meta["fraction_digits"]):
        raise MessageError(path, f"at most {meta['fraction_digits']} fraction digits allowed")
    if "total_digits" in meta and total > int(meta["total_digits"]):
        raise MessageError(path, f"at most {meta['total_digits']} digits allowed")
