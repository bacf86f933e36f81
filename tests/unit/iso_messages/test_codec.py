"""iso_messages: documents round-trip, and every rule the schema states is enforced with its path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pyiso20022.camt import camt_054_001_08 as camt054
from xsdata.models.datatype import XmlDateTime

from iso_messages import Kind, MessageError, document_class, kind_of, parse, to_xml


def entry(amount: str, ref: str) -> camt054.ReportEntry10:
    return camt054.ReportEntry10(
        amt=camt054.ActiveOrHistoricCurrencyAndAmount(value=Decimal(amount), ccy="USD"),
        cdt_dbt_ind=camt054.CreditDebitCode.DBIT,
        sts=camt054.EntryStatus1Choice(cd="BOOK"),
        acct_svcr_ref=ref,
        bk_tx_cd=camt054.BankTransactionCodeStructure4(
            prtry=camt054.ProprietaryBankTransactionCodeStructure1(cd="TOKENIZE")
        ),
    )


def notification(*entries: camt054.ReportEntry10, msg_id: str = "CORE-0001") -> camt054.Document:
    return camt054.Document(
        bk_to_cstmr_dbt_cdt_ntfctn=camt054.BankToCustomerDebitCreditNotificationV08(
            grp_hdr=camt054.GroupHeader81(msg_id=msg_id, cre_dt_tm=XmlDateTime.from_string("2026-12-01T10:00:00Z")),
            ntfctn=[
                camt054.AccountNotification17(
                    id="N-1",
                    acct=camt054.CashAccount39(
                        id=camt054.AccountIdentification4Choice(othr=camt054.GenericAccountIdentification1(id="DDA-1")),
                        ccy="USD",
                    ),
                    ntry=list(entries),
                )
            ],
        )
    )


def test_a_notification_round_trips_with_every_field_the_ledger_reads() -> None:
    xml = to_xml(notification(entry("1250.50", "BOOK-1"), entry("7", "BOOK-2")))
    assert kind_of(xml) is Kind.CAMT_054
    message = parse(xml, expected=Kind.CAMT_054)
    assert message.msg_id == "CORE-0001"
    ntfctn = message.document.bk_to_cstmr_dbt_cdt_ntfctn.ntfctn[0]
    assert ntfctn.acct.id.othr.id == "DDA-1"
    assert [(e.amt.value, e.amt.ccy, e.acct_svcr_ref) for e in ntfctn.ntry] == [
        (Decimal("1250.50"), "USD", "BOOK-1"),
        (Decimal("7"), "USD", "BOOK-2"),
    ]
    assert to_xml(message.document) == xml  # canonical: the same document writes the same bytes


def test_every_kind_binds_a_document_in_its_namespace() -> None:
    for kind in Kind:
        assert document_class(kind).Meta.namespace == kind.namespace


@pytest.mark.parametrize(
    ("xml", "path"),
    [
        (b"<Document", "/"),
        (b"<Document xmlns='urn:other'/>", "/Document"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document/>', "/"),
    ],
)
def test_not_one_of_our_documents(xml: bytes, path: str) -> None:
    with pytest.raises(MessageError) as err:
        parse(xml)
    assert err.value.path == path


def test_the_wrong_kind_is_refused() -> None:
    with pytest.raises(MessageError, match=r"pacs\.008\.001\.08 expected"):
        parse(to_xml(notification(entry("1", "B"))), expected=Kind.PACS_008)


def test_an_unknown_element_is_refused() -> None:
    xml = to_xml(notification(entry("1", "B"))).replace(b"<AcctSvcrRef>", b"<Bogus>x</Bogus><AcctSvcrRef>")
    with pytest.raises(MessageError, match="schema"):
        parse(xml)


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        # a pattern: three capital letters
        ((b'Ccy="USD"', b'Ccy="usd"'), "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt/@Ccy"),
        # five fraction digits at most
        ((b">7<", b">7.123456<"), "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[2]/Amt"),
        # no negative amounts
        ((b">7<", b">-7<"), "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[2]/Amt"),
        # a length: MsgId is 1..35 characters
        ((b"CORE-0001", b"C" * 36), "/Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId"),
    ],
)
def test_a_broken_rule_names_its_path(edit: tuple[bytes, bytes], path: str) -> None:
    xml = to_xml(notification(entry("1", "B1"), entry("7", "B2"))).replace(*edit)
    with pytest.raises(MessageError) as err:
        parse(xml)
    assert err.value.path == path


def test_a_choice_takes_exactly_one_branch() -> None:
    doc = notification(entry("1", "B"))
    doc.bk_to_cstmr_dbt_cdt_ntfctn.ntfctn[0].acct.id.iban = "DE89370400440532013000"
    with pytest.raises(MessageError) as err:
        to_xml(doc)
    assert err.value.path == "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Acct/Id"


def test_a_missing_required_element_is_refused() -> None:
    xml = to_xml(notification(entry("1", "B")))
    start, end = xml.index(b"<GrpHdr>"), xml.index(b"</GrpHdr>") + len(b"</GrpHdr>")
    with pytest.raises(MessageError):
        parse(xml[:start] + xml[end:])
