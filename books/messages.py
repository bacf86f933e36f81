"""ISO 20022 to and from the connector's own records: each message type is mapped here, and only here.

    camt.054  (in)   Notification: one FundingEntry per booked debit of a customer's DDA
    camt.053  (in)   Statement: per currency, the token liability account's closing balance and its entries
    pacs.008  (out)  a redemption payout: to the holder's DDA (a book transfer) or to an external account
    pacs.009  (out)  a conversion or PvP payment: two legs between TOKEN-LIABILITY and FX-POSITION accounts
    pacs.002  (in)   the core's answer to a pacs.008/009: ACSC (booked) or RJCT with an ISO reason code

Message building and schema checks are `iso_messages`' (docs/books.md); what a field means to the ledger is
decided here. Amounts are exact: an amount with more decimals than its currency has is flagged, never rounded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xsdata.models.datatype import XmlDateTime

from iso_messages import Kind, MessageError, document_class, parse, to_xml

TOKEN_LIABILITY = "TOKEN-LIABILITY-{currency}"
FX_POSITION = "FX-POSITION-{currency}"
# The bank's own name in the messages it sends (a real bank uses its BIC).
BANK_NAME = "Tokenized Deposits Bank"
# ISO 20022 Max35Text: message and end-to-end ids.
MAX_ID = 35


@dataclass(frozen=True, slots=True)
class FundingEntry:
    """One booked debit of a DDA, to be minted: `amount` is the decimal text as the core wrote it."""

    reference: str  # AcctSvcrRef: the core's booking reference, unique per booking
    dda: str
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class StatementEntry:
    reference: str  # AcctSvcrRef, or the end-to-end id of the payment it books
    credit: bool  # CRDT: the token liability grew (a funding); DBIT: it shrank (a payout)
    currency: str
    amount: Decimal
    end_to_end_id: str | None


@dataclass(frozen=True, slots=True)
class StatementPart:
    """One `Stmt`: the token liability account of one currency over the day."""

    currency: str
    opening: Decimal
    closing: Decimal
    entries: tuple[StatementEntry, ...]


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message the core sent: a camt.054's fundings, or a camt.053's statements."""

    kind: Kind
    msg_id: str
    fundings: tuple[FundingEntry, ...] = ()
    statements: tuple[StatementPart, ...] = ()


@dataclass(frozen=True, slots=True)
class Payout:
    """A redemption to pay: to `dda` (book transfer) or to an external account (iban, or account + bic)."""

    redemption_id: str
    currency: str
    amount: Decimal
    dda: str | None = None
    iban: str | None = None
    account: str | None = None
    bic: str | None = None

    @property
    def msg_id(self) -> str:
        """One message id per redemption: sending it again is the same message (the core answers the first
        status)."""
        return f"TDP-{self.redemption_id[-(MAX_ID - 4) :]}"

    @property
    def end_to_end_id(self) -> str:
        # A redemption id is a 64-hex transaction id; EndToEndId holds 35 characters: its last 32 digits.
        return self.redemption_id[-32:]

    @property
    def uetr(self) -> str:
        return uetr_of(self.redemption_id)


@dataclass(frozen=True, slots=True)
class FxBooking:
    """A conversion or PvP payment on chain, to book in the core: the bank bought `sold` from a holder and
    sold it `bought` (amounts as decimals of their currencies)."""

    tx_id: str
    sold_currency: str
    sold: Decimal
    bought_currency: str
    bought: Decimal

    @property
    def msg_id(self) -> str:
        """One message id per ledger transaction: a resend is the same message (the core answers it once)."""
        return f"TDF-{self.tx_id[-(MAX_ID - 4) :]}"

    @property
    def end_to_end_id(self) -> str:
        return self.tx_id[-32:]


@dataclass(frozen=True, slots=True)
class PayoutStatus:
    end_to_end_id: str | None
    uetr: str | None
    accepted: bool
    reason: str | None  # the ISO external status reason code of a rejection (AC01, AC04, AM04, …)


def uetr_of(reference: str) -> str:
    """A UUID v4-shaped UETR derived from `reference` alone, so a resent payment carries the same one."""
    return str(uuid.UUID(bytes=hashlib.sha256(reference.encode()).digest()[:16], version=4))


def minor_units(amount: Decimal, digits: int) -> int | None:
    """`amount` in minor units, or None when it has more decimals than `digits` (or is not positive)."""
    scaled = amount.scaleb(digits)
    if amount <= 0 or scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def decimal_of(minor: int, digits: int) -> Decimal:
    return Decimal(minor).scaleb(-digits)


# --- inbound --------------------------------------------------------------------------------------------


def parse_inbound(xml: bytes) -> Inbound:
    """A camt.054 or camt.053 from the core. Raises MessageError (with the path of the first error) for XML
    that does not parse, fails the schema, or is another message."""
    message = parse(xml)
    if message.kind is Kind.CAMT_054:
        return Inbound(message.kind, message.msg_id, fundings=_fundings(message.document))
    if message.kind is Kind.CAMT_053:
        return Inbound(message.kind, message.msg_id, statements=_statements(message.document))
    raise MessageError("/Document", f"{message.kind} is not a message the core sends to the ledger")


def _fundings(document: object) -> tuple[FundingEntry, ...]:
    out = []
    body = document.bk_to_cstmr_dbt_cdt_ntfctn  # type: ignore[attr-defined]
    for n, ntfctn in enumerate(body.ntfctn, 1):
        where = f"/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[{n}]"
        acct = ntfctn.acct
        dda = acct.id.othr.id if acct.id is not None and acct.id.othr is not None else None
        if dda is None:
            raise MessageError(f"{where}/Acct/Id/Othr/Id", "the DDA is named by Othr/Id")
        for e, ntry in enumerate(ntfctn.ntry, 1):
            path = f"{where}/Ntry[{e}]"
            if str(getattr(ntry.cdt_dbt_ind, "value", ntry.cdt_dbt_ind)) != "DBIT":
                raise MessageError(f"{path}/CdtDbtInd", "a funding debits the DDA: DBIT")
            if ntry.sts is None or ntry.sts.cd != "BOOK":
                raise MessageError(f"{path}/Sts/Cd", "only booked entries fund tokens: BOOK")
            if not ntry.acct_svcr_ref:
                raise MessageError(f"{path}/AcctSvcrRef", "the core's booking reference is required")
            currency = ntry.amt.ccy
            if acct.ccy is not None and acct.ccy != currency:
                raise MessageError(f"{path}/Amt", f"amount in {currency}, account in {acct.ccy}")
            out.append(FundingEntry(ntry.acct_svcr_ref, dda, currency, ntry.amt.value))
    return tuple(out)


def _statements(document: object) -> tuple[StatementPart, ...]:
    out = []
    body = document.bk_to_cstmr_stmt  # type: ignore[attr-defined]
    for s, stmt in enumerate(body.stmt, 1):
        where = f"/Document/BkToCstmrStmt/Stmt[{s}]"
        balances: dict[str, Decimal] = {}
        currency = stmt.acct.ccy
        for bal in stmt.bal:
            code = bal.tp.cd_or_prtry.cd
            sign = -1 if str(getattr(bal.cdt_dbt_ind, "value", bal.cdt_dbt_ind)) == "DBIT" else 1
            balances[str(code)] = sign * bal.amt.value
            currency = currency or bal.amt.ccy
        if "OPBD" not in balances or "CLBD" not in balances:
            raise MessageError(f"{where}/Bal", "a statement has an opening (OPBD) and a closing (CLBD) balance")
        entries = []
        for ntry in stmt.ntry:
            e2e = None
            for detail in ntry.ntry_dtls:
                for tx in detail.tx_dtls:
                    if tx.refs is not None and (tx.refs.end_to_end_id or tx.refs.uetr):
                        e2e = tx.refs.end_to_end_id or tx.refs.uetr
            credit = str(getattr(ntry.cdt_dbt_ind, "value", ntry.cdt_dbt_ind)) == "CRDT"
            reference = ntry.acct_svcr_ref or e2e or ""
            entries.append(StatementEntry(reference, credit, ntry.amt.ccy, ntry.amt.value, e2e))
        out.append(StatementPart(str(currency), balances["OPBD"], balances["CLBD"], tuple(entries)))
    return tuple(out)


# --- outbound -------------------------------------------------------------------------------------------


def payout_message(payout: Payout, digits: int, now: dt.datetime) -> bytes:
    """The pacs.008 that pays a redemption. Raises MessageError when the bindings' rules refuse it."""
    d = document_class(Kind.PACS_008)
    m = _module(d)
    if payout.dda is not None:
        creditor_account = m.CashAccount38(
            id=m.AccountIdentification4Choice(othr=m.GenericAccountIdentification1(id=payout.dda))
        )
        creditor_agent = m.BranchAndFinancialInstitutionIdentification6(
            fin_instn_id=m.FinancialInstitutionIdentification18(nm=BANK_NAME)
        )
    elif payout.iban is not None:
        creditor_account = m.CashAccount38(id=m.AccountIdentification4Choice(iban=payout.iban))
        creditor_agent = m.BranchAndFinancialInstitutionIdentification6(
            fin_instn_id=m.FinancialInstitutionIdentification18(nm="unknown")
        )
    else:
        creditor_account = m.CashAccount38(
            id=m.AccountIdentification4Choice(othr=m.GenericAccountIdentification1(id=payout.account))
        )
        creditor_agent = m.BranchAndFinancialInstitutionIdentification6(
            fin_instn_id=m.FinancialInstitutionIdentification18(bicfi=payout.bic)
        )
    amount = m.ActiveCurrencyAndAmount(value=payout.amount.quantize(Decimal(1).scaleb(-digits)), ccy=payout.currency)
    ours = m.BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=m.FinancialInstitutionIdentification18(nm=BANK_NAME)
    )
    tx = m.CreditTransferTransaction39(
        pmt_id=m.PaymentIdentification7(end_to_end_id=payout.end_to_end_id, uetr=payout.uetr),
        intr_bk_sttlm_amt=amount,
        chrg_br=m.ChargeBearerType1Code.SLEV,
        dbtr=m.PartyIdentification135(nm=BANK_NAME),
        dbtr_acct=m.CashAccount38(
            id=m.AccountIdentification4Choice(
                othr=m.GenericAccountIdentification1(id=TOKEN_LIABILITY.format(currency=payout.currency))
            )
        ),
        dbtr_agt=ours,
        cdtr_agt=creditor_agent,
        cdtr=m.PartyIdentification135(nm="redeeming holder"),
        cdtr_acct=creditor_account,
    )
    header = m.GroupHeader93(
        msg_id=payout.msg_id,
        cre_dt_tm=XmlDateTime.from_datetime(now),
        nb_of_txs="1",
        sttlm_inf=m.SettlementInstruction7(sttlm_mtd=m.SettlementMethod1Code.CLRG),
    )
    return to_xml(d(fito_ficstmr_cdt_trf=m.FitoFicustomerCreditTransferV08(grp_hdr=header, cdt_trf_tx_inf=[tx])))


def fx_message(booking: FxBooking, digits: dict[str, int], now: dt.datetime) -> bytes:
    """The pacs.009 that books a conversion in the bank's own accounts, both legs in one message (the core
    books both or neither). Raises MessageError when the bindings' rules refuse it."""
    d = document_class(Kind.PACS_009)
    m = _module(d)
    ours = m.BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=m.FinancialInstitutionIdentification18(nm=BANK_NAME)
    )

    def account(name: str) -> Any:
        return m.CashAccount38(id=m.AccountIdentification4Choice(othr=m.GenericAccountIdentification1(id=name)))

    def leg(side: str, amount: Decimal, currency: str, debit: str, credit: str) -> Any:
        return m.CreditTransferTransaction36(
            pmt_id=m.PaymentIdentification7(
                instr_id=f"{side}-{booking.end_to_end_id}"[:MAX_ID],
                end_to_end_id=booking.end_to_end_id,
                uetr=uetr_of(f"{booking.tx_id}:{side}"),
            ),
            intr_bk_sttlm_amt=m.ActiveCurrencyAndAmount(
                value=amount.quantize(Decimal(1).scaleb(-digits[currency])), ccy=currency
            ),
            dbtr=ours,
            dbtr_acct=account(debit.format(currency=currency)),
            cdtr=ours,
            cdtr_acct=account(credit.format(currency=currency)),
        )

    sold, bought = booking.sold_currency, booking.bought_currency
    header = m.GroupHeader93(
        msg_id=booking.msg_id,
        cre_dt_tm=XmlDateTime.from_datetime(now),
        nb_of_txs="2",
        sttlm_inf=m.SettlementInstruction7(sttlm_mtd=m.SettlementMethod1Code.INDA),
    )
    legs = [
        leg("SOLD", booking.sold, sold, TOKEN_LIABILITY, FX_POSITION),
        leg("BOUGHT", booking.bought, bought, FX_POSITION, TOKEN_LIABILITY),
    ]
    return to_xml(d(ficdt_trf=m.FinancialInstitutionCreditTransferV08(grp_hdr=header, cdt_trf_tx_inf=legs)))


def parse_status(xml: bytes) -> PayoutStatus:
    """The core's pacs.002 answer to a pacs.008. Raises MessageError when it is not a pacs.002 with one
    transaction status."""
    statuses = parse_statuses(xml)
    if len(statuses) != 1:
        raise MessageError("/Document/FIToFIPmtStsRpt/TxInfAndSts", "one transaction status per payment")
    return statuses[0]


def parse_statuses(xml: bytes) -> list[PayoutStatus]:
    """Every transaction status of a pacs.002, in order. Raises MessageError when it is no pacs.002, has none,
    or a status is neither ACSC nor RJCT."""
    message = parse(xml, expected=Kind.PACS_002)
    report = message.document.fito_fipmt_sts_rpt
    if not report.tx_inf_and_sts:
        raise MessageError("/Document/FIToFIPmtStsRpt/TxInfAndSts", "no transaction status")
    out = []
    for n, tx in enumerate(report.tx_inf_and_sts, 1):
        status = str(tx.tx_sts or "")
        if status not in ("ACSC", "RJCT"):
            raise MessageError(f"/Document/FIToFIPmtStsRpt/TxInfAndSts[{n}]/TxSts", f"ACSC or RJCT, got {status!r}")
        reason = None
        if status == "RJCT":
            codes = [r.rsn.cd or r.rsn.prtry for r in tx.sts_rsn_inf if r.rsn is not None]
            reason = next((c for c in codes if c), "NARR")
        out.append(PayoutStatus(tx.orgnl_end_to_end_id, tx.orgnl_uetr, status == "ACSC", reason))
    return out


def _module(document: type) -> Any:
    """The generated bindings module of a message: its other classes (the bindings export them untyped)."""
    return sys.modules[document.__module__]
