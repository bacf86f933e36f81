"""Amounts as the console shows them: exact, from integer minor units, with thousands separators."""

from __future__ import annotations

import pytest

from gateway.console._format import amount, decimal, group, to_minor


@pytest.mark.parametrize(
    ("minor", "text"),
    [(0, "0.00"), (5, "0.05"), (100, "1.00"), (123456789, "1,234,567.89"), (-125050, "-1,250.50"),
     (100000000000000000, "1,000,000,000,000,000.00")],
)  # fmt: skip
def test_amount_groups_thousands_with_the_currency_digits(minor: int, text: str) -> None:
    assert amount(minor, 2) == text


def test_group() -> None:
    assert [group(n) for n in (0, 12, 123, 1234, 123456, 1234567)] == [
        "0",
        "12",
        "123",
        "1,234",
        "123,456",
        "1,234,567",
    ]


def test_api_decimals_round_trip_exactly() -> None:
    assert to_minor("1234567.5", 2) == 123456750
    assert to_minor("-0.01", 2) == -1
    assert decimal("9999999999999999.99", 2) == "9,999,999,999,999,999.99"  # beyond a double's exact range


@pytest.mark.parametrize("bad", ["1.234", "1e3", " 1", "1,000", "", "--1"])
def test_not_a_plain_decimal_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        to_minor(bad, 2)


def test_other_minor_digits() -> None:
    assert amount(1234567, 0) == "1,234,567" and amount(12345678, 3) == "12,345.678" and to_minor("1.5", 3) == 1500


def test_outstanding_series_follows_mints_and_settled_redemptions_only() -> None:
    from chaincode.protocol import Event, EventType
    from gateway.console._chart import outstanding_series, svg

    def ev(kind: EventType, cur: str, minor: int) -> Event:
        return Event(kind, "t", "r", ("a",), cur, minor)

    events = [
        (3, ev(EventType.MINTED, "USD", 1000)),
        (3, ev(EventType.MINTED, "USD", 500)),  # same block: one point
        (5, ev(EventType.TRANSFERRED, "USD", 700)),  # moves money, not supply
        (6, ev(EventType.REDEMPTION_REQUESTED, "USD", 200)),  # still outstanding until settled
        (8, ev(EventType.REDEMPTION_SETTLED, "USD", 200)),
        (9, ev(EventType.MINTED, "EUR", 5)),
    ]
    series = {s.currency: s for s in outstanding_series(events)}
    assert series["USD"].points == ((3, 1500), (8, 1300)) and series["EUR"].points == ((9, 5),)
    drawn = svg(series["USD"], 2)
    assert drawn.startswith("<svg") and ">15.00<" in drawn and "now 13.00" in drawn
