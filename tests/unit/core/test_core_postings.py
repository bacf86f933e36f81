"""The posting rules: every posting balanced, integer, two or more accounts; each flow's lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import CoreError
from core.money import Currencies
from core.postings import (
    AccountKind,
    Line,
    Posting,
    PostingKind,
    bank_account,
    bank_account_kind,
    check_dda_id,
    funding,
    fx_leg,
    opening,
    payout_external,
    payout_to_dda,
)


def lines(p: Posting) -> dict[str, int]:
    return {line.account: line.amount for line in p.lines}


@pytest.mark.parametrize(
    "bad",
    [
        (Line("A", 100), Line("B", -99)),  # does not sum to zero
        (Line("A", 100),),  # one line
        (Line("A", 0), Line("B", 0)),  # zero lines
        (Line("A", 100), Line("A", -100)),  # the same account twice
        (Line("A", True), Line("B", -1)),  # a bool is not an amount
        (Line("A", Decimal(1)), Line("B", -1)),  # neither is a Decimal: only int minor units  # type: ignore[arg-type]
    ],
)
def test_an_unbalanced_or_malformed_posting_cannot_exist(bad: tuple[Line, ...]) -> None:
    with pytest.raises(CoreError) as err:
        Posting(PostingKind.FUNDING, "USD", bad)
    assert err.value.code == "UNBALANCED"


def test_each_flow_moves_the_named_accounts() -> None:
    assert lines(opening("acme", "USD", 500)) == {"OPENING-USD": -500, "acme": 500}
    assert lines(funding("acme", "USD", 120)) == {"acme": -120, "TOKEN-LIABILITY-USD": 120}
    book = payout_to_dda("acme", "USD", 70, end_to_end_id="RED-1", uetr=None, msg_id="M1")
    assert lines(book) == {"TOKEN-LIABILITY-USD": -70, "acme": 70}
    assert book.end_to_end_id == "RED-1" and book.msg_id == "M1"
    out = payout_external("EUR", 9, end_to_end_id="RED-2", uetr="u", msg_id="M2")
    assert lines(out) == {"TOKEN-LIABILITY-EUR": -9, "OUTGOING-EUR": 9}
    assert out.uetr == "u"


def test_fx_legs_move_only_between_token_liability_and_fx_position_of_their_currency() -> None:
    refs = {"end_to_end_id": "FX-1", "uetr": None, "msg_id": "M"}
    sold = fx_leg("TOKEN-LIABILITY-USD", "FX-POSITION-USD", "USD", 100, **refs)  # type: ignore[arg-type]
    assert lines(sold) == {"TOKEN-LIABILITY-USD": -100, "FX-POSITION-USD": 100}
    bought = fx_leg("FX-POSITION-EUR", "TOKEN-LIABILITY-EUR", "EUR", 90, **refs)  # type: ignore[arg-type]
    assert lines(bought) == {"FX-POSITION-EUR": -90, "TOKEN-LIABILITY-EUR": 90}
    for debit, credit, code in [
        ("TOKEN-LIABILITY-EUR", "FX-POSITION-EUR", "INVALID_DEBTOR_ACCOUNT"),  # another currency
        ("OUTGOING-USD", "FX-POSITION-USD", "INVALID_DEBTOR_ACCOUNT"),
        ("TOKEN-LIABILITY-USD", "OUTGOING-USD", "INVALID_CREDITOR_ACCOUNT"),
        ("FX-POSITION-USD", "FX-POSITION-USD", "INVALID_CREDITOR_ACCOUNT"),
        ("acme", "FX-POSITION-USD", "INVALID_DEBTOR_ACCOUNT"),
    ]:
        with pytest.raises(CoreError) as err:
            fx_leg(debit, credit, "USD", 1, **refs)  # type: ignore[arg-type]
        assert err.value.code == code, (debit, credit)


@pytest.mark.parametrize("amount", [0, -5])
def test_a_flow_needs_a_positive_amount(amount: int) -> None:
    with pytest.raises(CoreError) as err:
        funding("acme", "USD", amount)
    assert err.value.code == "INVALID_AMOUNT"


def test_bank_account_names() -> None:
    assert bank_account(AccountKind.TOKEN_LIABILITY, "USD") == "TOKEN-LIABILITY-USD"
    assert bank_account_kind("FX-POSITION-JPY") == (AccountKind.FX_POSITION, "JPY")
    assert bank_account_kind("acme-usd") is None
    check_dda_id("acme-USD-01")
    for bad in ["", "a" * 35, "acme usd", "OPENING-USD", "acme_usd"]:
        with pytest.raises(CoreError):
            check_dda_id(bad)


def test_amounts_convert_exactly_with_the_cores_own_digits() -> None:
    c = Currencies({"USD": 2, "JPY": 0})
    assert c.parse("100.5", "USD") == 10050
    assert c.parse("7", "JPY") == 7
    assert c.from_decimal(Decimal("12.340"), "USD") == 1234
    assert c.format(-1250, "USD") == "-12.50"
    assert c.format(5, "JPY") == "5"
    assert c.to_decimal(1, "USD") == Decimal("0.01")
    for text, code in [("1.005", "USD"), ("1.5", "JPY"), ("1e3", "USD"), ("-1", "USD"), ("01", "USD"), ("", "USD")]:
        with pytest.raises(CoreError) as err:
            c.parse(text, code)
        assert err.value.code == "INVALID_AMOUNT", text
    with pytest.raises(CoreError) as err:
        c.parse("1", "CHF")
    assert err.value.code == "UNKNOWN_CURRENCY"
