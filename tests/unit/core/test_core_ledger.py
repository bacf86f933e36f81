"""The core's use cases on both databases (SQLite and PostgreSQL): opening balances, fundings and their
camt.054, payouts and conversions answered by pacs.002, MsgId replays, end-of-day camt.053."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.errors import CoreError
from core.schemas import FundingItem
from core.service import CoreService
from iso_messages import Kind, MessageError, parse
from tests.unit.core.messages import pacs008, pacs009, uetr_of


def balances(service: CoreService) -> dict[str, str]:
    return {a.account: a.balance for a in service.balances().accounts}


def tx_status(xml: bytes) -> Any:
    """The only TxInfAndSts of a pacs.002."""
    report = parse(xml, Kind.PACS_002).document.fito_fipmt_sts_rpt
    (status,) = report.tx_inf_and_sts
    return status


def reason(xml: bytes) -> str | None:
    status = tx_status(xml)
    return None if not status.sts_rsn_inf else status.sts_rsn_inf[0].rsn.cd


def outbox_docs(service: CoreService, kind: Kind) -> list[Any]:
    return [parse(m.body, kind).document for m in service.store.outbox() if m.kind == kind.value]


def test_opening_balance_is_booked_against_opening_and_the_books_balance(service: CoreService) -> None:
    out = service.open_dda("acme-usd", "USD", "1000.00")
    assert out.balance == "1000.00" and out.opening_reference
    assert balances(service)["acme-usd"] == "1000.00"
    assert balances(service)["OPENING-USD"] == "-1000.00"
    assert service.balances().totals == {"USD": "0.00"}
    with pytest.raises(CoreError) as err:
        service.open_dda("acme-usd", "USD", "1.00")
    assert err.value.code == "DDA_EXISTS"
    for dda, ccy, amount, code in [
        ("bad id", "USD", "1", "INVALID_DDA"),
        ("x", "CHF", "1", "UNKNOWN_CURRENCY"),
        ("x", "JPY", "1.5", "INVALID_AMOUNT"),
    ]:
        with pytest.raises(CoreError) as err:
            service.open_dda(dda, ccy, amount)
        assert err.value.code == code
    assert service.store.posting_count() == 1


def test_funding_debits_the_dda_and_queues_its_camt054_in_the_same_transaction(service: CoreService) -> None:
    service.open_dda("acme-usd", "USD", "1000.00")
    service.open_dda("acme-eur", "EUR", "50.00")
    out = service.fund(
        [
            FundingItem(dda="acme-usd", amount="250.00"),
            FundingItem(dda="acme-usd", amount="0.01"),
            FundingItem(dda="acme-eur", amount="50"),
        ]
    )
    assert [e.amount for e in out.entries] == ["250.00", "0.01", "50"]
    assert len({e.reference for e in out.entries}) == 3
    b = balances(service)
    assert (b["acme-usd"], b["TOKEN-LIABILITY-USD"], b["acme-eur"], b["TOKEN-LIABILITY-EUR"]) == (
        "749.99",
        "250.01",
        "0.00",
        "50.00",
    )
    (doc,) = outbox_docs(service, Kind.CAMT_054)
    msg = doc.bk_to_cstmr_dbt_cdt_ntfctn
    assert msg.grp_hdr.msg_id == out.message_id
    by_account = {n.acct.id.othr.id: n for n in msg.ntfctn}
    assert set(by_account) == {"acme-usd", "acme-eur"}
    usd = by_account["acme-usd"]
    assert usd.acct.ccy == "USD"
    assert [(e.amt.value, e.amt.ccy, e.cdt_dbt_ind.value, e.sts.cd, e.acct_svcr_ref) for e in usd.ntry] == [
        (Decimal("250.00"), "USD", "DBIT", "BOOK", out.entries[0].reference),
        (Decimal("0.01"), "USD", "DBIT", "BOOK", out.entries[1].reference),
    ]


def test_a_funding_that_fails_books_nothing_and_queues_nothing(service: CoreService) -> None:
    service.open_dda("acme-usd", "USD", "100.00")
    for items, code in [
        ([FundingItem(dda="acme-usd", amount="60"), FundingItem(dda="acme-usd", amount="60")], "INSUFFICIENT_FUNDS"),
        ([FundingItem(dda="acme-usd", amount="1"), FundingItem(dda="nobody", amount="1")], "UNKNOWN_ACCOUNT"),
        ([FundingItem(dda="acme-usd", amount="1.001")], "INVALID_AMOUNT"),
        ([FundingItem(dda="OPENING-USD", amount="1")], "UNKNOWN_ACCOUNT"),
    ]:
        with pytest.raises(CoreError) as err:
            service.fund(items)
        assert err.value.code == code
    assert balances(service)["acme-usd"] == "100.00"
    assert service.store.outbox() == []
    service.close_dda("acme-usd")
    with pytest.raises(CoreError) as err:
        service.fund([FundingItem(dda="acme-usd", amount="1")])
    assert err.value.code == "ACCOUNT_CLOSED"


def test_a_retried_funding_with_the_same_idempotency_key_books_once(service: CoreService) -> None:
    service.open_dda("acme-usd", "USD", "100.00")
    first = service.fund([FundingItem(dda="acme-usd", amount="10")], idempotency_key="k1")
    again = service.fund([FundingItem(dda="acme-usd", amount="10")], idempotency_key="k1")
    assert again == first
    assert balances(service)["acme-usd"] == "90.00"
    assert len(service.store.outbox()) == 1
    with pytest.raises(CoreError) as err:
        service.fund([FundingItem(dda="acme-usd", amount="11")], idempotency_key="k1")
    assert err.value.code == "IDEMPOTENCY_KEY_REUSED"


def funded(service: CoreService, amount: str = "300.00") -> None:
    service.open_dda("acme-usd", "USD", "1000.00")
    service.fund([FundingItem(dda="acme-usd", amount=amount)])


def test_book_transfer_payout_is_accepted_and_carries_its_ids(service: CoreService) -> None:
    funded(service)
    answer = service.answer(pacs008("M-1", "RED-1", "120.00", "USD", dda="acme-usd"))
    status = tx_status(answer)
    assert (status.tx_sts, status.orgnl_end_to_end_id, status.orgnl_uetr) == ("ACSC", "RED-1", uetr_of("RED-1"))
    report = parse(answer, Kind.PACS_002).document.fito_fipmt_sts_rpt
    assert report.orgnl_grp_inf_and_sts[0].orgnl_msg_id == "M-1"
    assert report.orgnl_grp_inf_and_sts[0].grp_sts == "ACSC"
    b = balances(service)
    assert (b["acme-usd"], b["TOKEN-LIABILITY-USD"]) == ("820.00", "180.00")
    (line,) = [ln for ln in service.store.lines(account="acme-usd") if ln.kind == "payout-book"]
    assert (line.end_to_end_id, line.uetr, line.reference) == ("RED-1", uetr_of("RED-1"), status.acct_svcr_ref)


@pytest.mark.parametrize(
    "creditor",
    [{"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}, {"account": "123456789", "bic": "CHASUS33XXX"}],
)
def test_external_payout_goes_to_outgoing(service: CoreService, creditor: dict[str, str]) -> None:
    funded(service)
    answer = service.answer(pacs008("M-2", "RED-2", "100.00", "USD", **creditor))  # type: ignore[arg-type]
    assert tx_status(answer).tx_sts == "ACSC"
    b = balances(service)
    assert (b["OUTGOING-USD"], b["TOKEN-LIABILITY-USD"], b["acme-usd"]) == ("100.00", "200.00", "700.00")


def test_the_same_msg_id_is_answered_byte_for_byte_and_books_nothing(service: CoreService) -> None:
    funded(service)
    first = service.answer(pacs008("M-3", "RED-3", "10.00", "USD", dda="acme-usd"))
    postings = service.store.posting_count()
    again = service.answer(pacs008("M-3", "RED-3", "10.00", "USD", dda="acme-usd"))
    assert again == first
    assert service.store.posting_count() == postings
    # A rejection is replayed too, even once the cause is gone.
    rejected = service.answer(pacs008("M-4", "RED-4", "5.00", "USD", dda="later"))
    service.open_dda("later", "USD", "0")
    assert service.answer(pacs008("M-4", "RED-4", "5.00", "USD", dda="later")) == rejected
    assert reason(rejected) == "AC01"


def test_the_same_payment_under_a_new_msg_id_is_rejected_as_duplicate(service: CoreService) -> None:
    funded(service)
    assert tx_status(service.answer(pacs008("M-5", "RED-5", "10.00", "USD", dda="acme-usd"))).tx_sts == "ACSC"
    assert reason(service.answer(pacs008("M-6", "RED-5", "10.00", "USD", dda="acme-usd"))) == "DUPL"
    assert balances(service)["TOKEN-LIABILITY-USD"] == "290.00"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"dda": "nobody"}, "AC01"),  # unknown DDA
        ({"dda": "acme-eur"}, "CURR"),  # a DDA of another currency
        ({"dda": "acme-usd", "amount": "300.01"}, "AM04"),  # more than the token liability holds
        ({"dda": "acme-usd", "amount": "1.001"}, "AM12"),  # more digits than USD has
        ({"dda": "acme-usd", "amount": "0"}, "AM12"),
        ({"dda": "acme-usd", "currency": "CHF"}, "AM03"),  # a currency the core does not keep
        ({"dda": "acme-usd", "debtor": "OUTGOING-USD"}, "AC02"),  # not paid from the token liability
        ({"dda": "closed-usd"}, "AC04"),
    ],
)
def test_a_payout_that_cannot_be_booked_is_rejected_with_its_iso_reason(
    service: CoreService, kwargs: dict[str, str], code: str
) -> None:
    funded(service)
    service.open_dda("acme-eur", "EUR", "0")
    service.open_dda("closed-usd", "USD", "0")
    service.close_dda("closed-usd")
    before = balances(service)
    args = {"amount": "10.00", "currency": "USD", **kwargs}
    xml = pacs008("M-R", "RED-R", args.pop("amount"), args.pop("currency"), **args)  # type: ignore[arg-type]
    answer = service.answer(xml)
    assert tx_status(answer).tx_sts == "RJCT"
    assert reason(answer) == code
    assert balances(service) == before


def test_a_message_that_is_not_a_payment_is_refused(service: CoreService) -> None:
    funded(service)
    (camt,) = service.store.outbox()
    with pytest.raises(CoreError) as err:
        service.answer(camt.body)
    assert err.value.code == "UNSUPPORTED_MESSAGE"
    with pytest.raises(MessageError):
        service.answer(b"<not-iso/>")


def test_a_conversion_books_both_legs_through_fx_position(service: CoreService) -> None:
    funded(service)
    service.open_dda("acme-eur", "EUR", "0")
    answer = service.answer(pacs009("M-FX", "FX-1", ("100.00", "USD"), ("92.50", "EUR")))
    report = parse(answer, Kind.PACS_002).document.fito_fipmt_sts_rpt
    assert [s.tx_sts for s in report.tx_inf_and_sts] == ["ACSC", "ACSC"]
    assert {s.orgnl_end_to_end_id for s in report.tx_inf_and_sts} == {"FX-1"}
    b = balances(service)
    assert (b["TOKEN-LIABILITY-USD"], b["FX-POSITION-USD"]) == ("200.00", "100.00")
    assert (b["TOKEN-LIABILITY-EUR"], b["FX-POSITION-EUR"]) == ("92.50", "-92.50")
    assert service.answer(pacs009("M-FX", "FX-1", ("100.00", "USD"), ("92.50", "EUR"))) == answer
    dupl = parse(service.answer(pacs009("M-FX2", "FX-1", ("100.00", "USD"), ("92.50", "EUR"))), Kind.PACS_002)
    assert [s.sts_rsn_inf[0].rsn.cd for s in dupl.document.fito_fipmt_sts_rpt.tx_inf_and_sts] == ["DUPL", "DUPL"]


def test_a_conversion_with_one_bad_leg_books_neither(service: CoreService) -> None:
    funded(service, "50.00")
    before = balances(service)
    answer = service.answer(pacs009("M-FX3", "FX-3", ("60.00", "USD"), ("55.00", "EUR")))
    report = parse(answer, Kind.PACS_002).document.fito_fipmt_sts_rpt
    assert [s.tx_sts for s in report.tx_inf_and_sts] == ["RJCT", "RJCT"]
    assert report.tx_inf_and_sts[0].sts_rsn_inf[0].rsn.cd == "AM04"
    assert report.orgnl_grp_inf_and_sts[0].grp_sts == "RJCT"
    after = balances(service)
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(v in ("0.00",) for k, v in after.items() if k not in before)


def test_close_day_states_the_token_liability_per_currency_from_statement_to_statement(
    service: CoreService,
) -> None:
    assert service.close_day().message_id is None  # nothing to state yet
    funded(service, "300.00")
    service.answer(pacs008("M-7", "RED-7", "20.00", "USD", dda="acme-usd"))
    first = service.close_day()
    (usd,) = first.statements
    assert (usd.account, usd.opening, usd.closing, usd.entries) == ("TOKEN-LIABILITY-USD", "0.00", "280.00", 2)
    (doc,) = outbox_docs(service, Kind.CAMT_053)
    (stmt,) = doc.bk_to_cstmr_stmt.stmt
    assert stmt.acct.id.othr.id == "TOKEN-LIABILITY-USD" and stmt.acct.ccy == "USD"
    assert [(b.tp.cd_or_prtry.cd, b.amt.value, b.cdt_dbt_ind.value) for b in stmt.bal] == [
        ("OPBD", Decimal("0.00"), "CRDT"),
        ("CLBD", Decimal("280.00"), "CRDT"),
    ]
    assert [(e.amt.value, e.cdt_dbt_ind.value) for e in stmt.ntry] == [
        (Decimal("300.00"), "CRDT"),
        (Decimal("20.00"), "DBIT"),
    ]
    payout = stmt.ntry[1].ntry_dtls[0].tx_dtls[0].refs
    assert (payout.end_to_end_id, payout.uetr) == ("RED-7", uetr_of("RED-7"))
    service.fund([FundingItem(dda="acme-usd", amount="5")])
    second = service.close_day()
    assert [(s.opening, s.closing, s.entries) for s in second.statements] == [("280.00", "285.00", 1)]
