"""What the core reports to the connector: camt.054 debit notifications (fundings) and camt.053 statements
of the token liability accounts. The one place these messages are written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyiso20022.camt.camt_053_001_08 import camt_053_001_08 as c053
from pyiso20022.camt.camt_054_001_08 import camt_054_001_08 as c054
from xsdata.models.datatype import XmlDate, XmlDateTime

from core.money import Currencies


@dataclass(frozen=True, slots=True)
class Booking:
    """One booked line as a report shows it: signed minor units on the reported account (+ credit)."""

    reference: str
    amount: int
    currency: str
    booked: dt.datetime
    business_date: dt.date
    end_to_end_id: str | None = None
    uetr: str | None = None


def _entry(m: Any, b: Booking, currencies: Currencies, domain: tuple[str, str, str]) -> Any:
    refs = None
    if b.end_to_end_id is not None or b.uetr is not None:
        refs = m.TransactionReferences6(end_to_end_id=b.end_to_end_id, uetr=b.uetr)
    return m.ReportEntry10(
        amt=m.ActiveOrHistoricCurrencyAndAmount(value=currencies.to_decimal(abs(b.amount), b.currency), ccy=b.currency),
        cdt_dbt_ind=m.CreditDebitCode.CRDT if b.amount > 0 else m.CreditDebitCode.DBIT,
        sts=m.EntryStatus1Choice(cd="BOOK"),
        bookg_dt=m.DateAndDateTime2Choice(dt_tm=XmlDateTime.from_datetime(b.booked)),
        val_dt=m.DateAndDateTime2Choice(dt=XmlDate.from_date(b.business_date)),
        acct_svcr_ref=b.reference,
        bk_tx_cd=m.BankTransactionCodeStructure4(
            domn=m.BankTransactionCodeStructure5(
                cd=domain[0], fmly=m.BankTransactionCodeStructure6(cd=domain[1], sub_fmly_cd=domain[2])
            )
        ),
        ntry_dtls=[m.EntryDetails9(tx_dtls=[m.EntryTransaction10(refs=refs)])] if refs else [],
    )


# Bank transaction codes (ISO external code set): payments, issued credit transfer, book transfer.
_BOOK_TRANSFER_OUT = ("PMNT", "ICDT", "BOOK")
_BOOK_TRANSFER_IN = ("PMNT", "RCDT", "BOOK")


def debit_notification(
    msg_id: str, created: dt.datetime, fundings: Sequence[tuple[str, Booking]], currencies: Currencies
) -> Any:
    """camt.054.001.08: one Ntfctn per DDA (in the order first seen), one DBIT entry per funding of it.

    fundings: (dda, booking) with the booking's amount as the DDA sees it (negative: a debit)."""
    by_dda: dict[tuple[str, str], list[Booking]] = {}
    for dda, booking in fundings:
        by_dda.setdefault((dda, booking.currency), []).append(booking)
    notifications = [
        c054.AccountNotification17(
            id=f"{msg_id}-{n}"[-35:],
            cre_dt_tm=XmlDateTime.from_datetime(created),
            acct=c054.CashAccount39(
                id=c054.AccountIdentification4Choice(othr=c054.GenericAccountIdentification1(id=dda)), ccy=currency
            ),
            ntry=[_entry(c054, b, currencies, _BOOK_TRANSFER_OUT) for b in bookings],
        )
        for n, ((dda, currency), bookings) in enumerate(by_dda.items(), start=1)
    ]
    return c054.Document(
        bk_to_cstmr_dbt_cdt_ntfctn=c054.BankToCustomerDebitCreditNotificationV08(
            grp_hdr=c054.GroupHeader81(msg_id=msg_id, cre_dt_tm=XmlDateTime.from_datetime(created)),
            ntfctn=notifications,
        )
    )


@dataclass(frozen=True, slots=True)
class Statement:
    """One account's statement for a period: booked balances before and after, and the entries between."""

    account: str
    currency: str
    opening: int
    closing: int
    bookings: tuple[Booking, ...]
    as_of: dt.date


def _balance(code: str, amount: int, currency: str, day: dt.date, currencies: Currencies) -> Any:
    return c053.CashBalance8(
        tp=c053.BalanceType13(cd_or_prtry=c053.BalanceType10Choice(cd=code)),
        amt=c053.ActiveOrHistoricCurrencyAndAmount(value=currencies.to_decimal(abs(amount), currency), ccy=currency),
        cdt_dbt_ind=c053.CreditDebitCode.CRDT if amount >= 0 else c053.CreditDebitCode.DBIT,
        dt=c053.DateAndDateTime2Choice(dt=XmlDate.from_date(day)),
    )


def statement_message(msg_id: str, created: dt.datetime, stmts: Sequence[Statement], currencies: Currencies) -> Any:
    """camt.053.001.08: one Stmt per account with its OPBD and CLBD balances and its entries."""
    return c053.Document(
        bk_to_cstmr_stmt=c053.BankToCustomerStatementV08(
            grp_hdr=c053.GroupHeader81(msg_id=msg_id, cre_dt_tm=XmlDateTime.from_datetime(created)),
            stmt=[
                c053.AccountStatement9(
                    id=f"{msg_id}-{s.currency}"[-35:],
                    cre_dt_tm=XmlDateTime.from_datetime(created),
                    acct=c053.CashAccount39(
                        id=c053.AccountIdentification4Choice(othr=c053.GenericAccountIdentification1(id=s.account)),
                        ccy=s.currency,
                    ),
                    bal=[
                        _balance("OPBD", s.opening, s.currency, s.as_of, currencies),
                        _balance("CLBD", s.closing, s.currency, s.as_of, currencies),
                    ],
                    ntry=[
                        _entry(c053, b, currencies, _BOOK_TRANSFER_IN if b.amount > 0 else _BOOK_TRANSFER_OUT)
                        for b in s.bookings
                    ],
                )
                for s in stmts
            ],
        )
    )
