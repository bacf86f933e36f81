"""FX bookings: the connector's pacs.009 as the reference core reads and books it, and the reconciliation
rules counting a conversion's two legs on both sides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from books import reconcile
from books.messages import FxBooking, fx_message, parse_statuses
from books.store import ChainRecord, Funding, FxRow
from chaincode import protocol
from chaincode.protocol import EventType
from core.money import Currencies
from core.schemas import FundingItem
from core.service import CoreService
from core.settings import DEFAULT_CURRENCIES
from core.store import Store

TX = "ab" * 32
DIGITS = {"USD": 2, "EUR": 2}
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def core(tmp_path: Path) -> CoreService:
    store = Store(f"sqlite:///{tmp_path / 'core.sqlite'}")
    return CoreService(store, Currencies(DEFAULT_CURRENCIES), bic="TKDPUS33XXX", clock=lambda: NOW, notify=lambda: None)


def test_the_core_books_both_legs_of_the_connectors_pacs009_once(tmp_path: Path) -> None:
    service = core(tmp_path)
    service.open_dda("acme-usd", "USD", "1000.00")
    service.fund([FundingItem(dda="acme-usd", amount="300.00")])
    booking = FxBooking(TX, "USD", Decimal("100.00"), "EUR", Decimal("92.50"))
    xml = fx_message(booking, DIGITS, NOW)
    answer = service.answer(xml)
    statuses = parse_statuses(answer)
    assert [s.accepted for s in statuses] == [True, True]
    assert {s.end_to_end_id for s in statuses} == {TX[-32:]}
    balances = {a.account: a.balance for a in service.balances().accounts}
    assert (balances["TOKEN-LIABILITY-USD"], balances["TOKEN-LIABILITY-EUR"]) == ("200.00", "92.50")
    # The same message again (a resend after a crash): the first answer, nothing booked twice.
    assert service.answer(xml) == answer
    assert {a.account: a.balance for a in service.balances().accounts} == balances
    service.store.close()


def test_a_conversion_more_than_the_token_liability_is_rejected_with_am04(tmp_path: Path) -> None:
    service = core(tmp_path)
    statuses = parse_statuses(
        service.answer(fx_message(FxBooking(TX, "USD", Decimal("1"), "EUR", Decimal("1")), DIGITS, NOW))
    )
    assert [(s.accepted, s.reason) for s in statuses] == [(False, "AM04"), (False, "AM04")]
    service.store.close()


def _minted(minor: int) -> tuple[list[Funding], list[ChainRecord]]:
    funding = Funding("BK-1", "M-1", "acme-usd", "USD", "300.00", "minted", None, "acct-1", minor, "tx-mint")
    return [funding], [ChainRecord("tx-mint", 3, "Minted", "USD", minor, "BK-1", "acct-1", None)]


def test_a_booked_conversion_reconciles_in_both_currencies() -> None:
    fundings, chain = _minted(30000)
    fx = [FxRow(TX, 5, "Converted", "USD", 10000, "EUR", 9250, "booked")]
    report = reconcile.report(9, fundings, [], [], chain, DIGITS, fx)
    assert report["breaks"] == []
    assert report["currencies"]["USD"] == {"ledger": "200.00", "books": "200.00", "difference": "0.00"}
    assert report["currencies"]["EUR"] == {"ledger": "92.50", "books": "92.50", "difference": "0.00"}
    # Without the FX legs counted, the same chain is a difference in both currencies.
    unbooked = reconcile.report(
        9,
        fundings,
        [],
        [],
        chain,
        DIGITS,
        [FxRow(TX, 5, "Converted", "USD", 10000, "EUR", 9250, "rejected", reason="AM04")],
    )
    assert {b["kind"] for b in unbooked["breaks"]} == {"fx_not_booked", "balance_difference"}


def test_a_conversion_in_flight_is_no_difference_and_a_statement_listing_it_is_no_unknown_funding() -> None:
    fundings, chain = _minted(30000)
    sending = [FxRow(TX, 5, "Converted", "USD", 10000, "EUR", 9250, "sending")]
    assert reconcile.report(9, fundings, [], [], chain, DIGITS, sending)["in_flight"] == {"EUR": 1, "USD": 1}
    e2e = TX[-32:]
    statements = [
        {
            "currency": "USD",
            "closing": "200.00",
            "entries": [
                {"reference": "BK-1", "credit": True, "currency": "USD", "amount": "300.00", "end_to_end_id": None},
                {"reference": "BK-2", "credit": False, "currency": "USD", "amount": "100.00", "end_to_end_id": e2e},
            ],
        },
        {
            "currency": "EUR",
            "closing": "92.50",
            "entries": [
                {"reference": "BK-3", "credit": True, "currency": "EUR", "amount": "92.50", "end_to_end_id": e2e},
            ],
        },
    ]
    booked = [FxRow(TX, 5, "Converted", "USD", 10000, "EUR", 9250, "booked", end_to_end_id=e2e)]
    report = reconcile.report(9, fundings, [], statements, chain, DIGITS, booked)
    assert report["breaks"] == []
    assert report["currencies"]["EUR"]["books"] == "92.50" and report["currencies"]["USD"]["books"] == "200.00"


def test_a_conversion_and_a_pvp_transfer_are_fx_and_a_plain_transfer_is_not() -> None:
    converted = protocol.Event(
        EventType.CONVERTED, TX, "r1", ("a",), "USD", 10000, {"bought_currency": "EUR", "bought_amount": "9250"}
    )
    pvp = protocol.Event(
        EventType.TRANSFERRED,
        TX,
        "r2",
        ("a", "b"),
        "USD",
        500,
        {"reference": "INV", "quote_id": "q", "receive_currency": "CNH", "receive_amount": "3561"},
    )
    plain = protocol.Event(EventType.TRANSFERRED, TX, "r3", ("a", "b"), "USD", 500, {"reference": "INV"})
    assert converted.exchanged() == ("USD", 10000, "EUR", 9250)
    assert pvp.exchanged() == ("USD", 500, "CNH", 3561)
    assert plain.exchanged() is None
    # What the connector keeps: the round trip through the event's JSON (as the block stream carries it).
    assert protocol.Event.from_json(pvp.to_json()).exchanged() == ("USD", 500, "CNH", 3561)
