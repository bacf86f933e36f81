"""Payments the connector sends the core (pacs.008, pacs.009) and the core's answer (pacs.002): the one place
these messages are mapped to and from the core's terms. No booking here (see `core.service`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pyiso20022.pacs.pacs_002_001_10 import pacs_002_001_10 as p002
from xsdata.models.datatype import XmlDateTime

from iso_messages import Kind


@dataclass(frozen=True, slots=True)
class Creditor:
    """Where a payout goes: a DDA of this bank (a book transfer) or an account at another bank."""

    dda: str | None = None
    iban: str | None = None
    account: str | None = None  # Othr/Id at another bank
    bic: str | None = None

    @property
    def external(self) -> bool:
        return self.dda is None


@dataclass(frozen=True, slots=True)
class Transfer:
    """One CdtTrfTxInf: the fields the ledger relies on."""

    end_to_end_id: str
    uetr: str | None
    instr_id: str | None
    tx_id: str | None
    amount: Decimal
    currency: str
    debtor_account: str | None
    creditor_account: str | None  # pacs.009: the bank's account credited
    creditor: Creditor | None  # pacs.008: whom it pays


def _account_id(acct: Any) -> str | None:
    if acct is None:
        return None
    if acct.id.iban is not None:
        return str(acct.id.iban)
    return None if acct.id.othr is None else str(acct.id.othr.id)


def _creditor(tx: Any, own_bic: str) -> Creditor | None:
    acct = tx.cdtr_acct
    if acct is None:
        return None
    if acct.id.iban is not None:
        return Creditor(iban=acct.id.iban, bic=tx.cdtr_agt.fin_instn_id.bicfi)
    if acct.id.othr is None:
        return None
    bic = tx.cdtr_agt.fin_instn_id.bicfi if tx.cdtr_agt is not None else None
    # Without another bank's BIC the account is one of ours: a book transfer to that DDA.
    if bic is None or bic == own_bic or bic[:8] == own_bic[:8]:
        return Creditor(dda=acct.id.othr.id)
    return Creditor(account=acct.id.othr.id, bic=bic)


def _transfer(tx: Any, creditor: Creditor | None) -> Transfer:
    return Transfer(
        end_to_end_id=tx.pmt_id.end_to_end_id,
        uetr=tx.pmt_id.uetr,
        instr_id=tx.pmt_id.instr_id,
        tx_id=tx.pmt_id.tx_id,
        amount=tx.intr_bk_sttlm_amt.value,
        currency=tx.intr_bk_sttlm_amt.ccy,
        debtor_account=_account_id(tx.dbtr_acct),
        creditor_account=_account_id(tx.cdtr_acct),
        creditor=creditor,
    )


def customer_transfers(document: Any, own_bic: str) -> list[Transfer]:
    """The transactions of a pacs.008.001.08 document."""
    return [_transfer(tx, _creditor(tx, own_bic)) for tx in document.fito_ficstmr_cdt_trf.cdt_trf_tx_inf]


def institution_transfers(document: Any) -> list[Transfer]:
    """The transactions (legs) of a pacs.009.001.08 document."""
    return [_transfer(tx, None) for tx in document.ficdt_trf.cdt_trf_tx_inf]


@dataclass(frozen=True, slots=True)
class TxStatus:
    """The outcome of one transaction: ACSC with the booking reference, or RJCT with an ISO reason code."""

    transfer: Transfer
    accepted: bool
    reference: str | None = None
    reason: str | None = None
    detail: str | None = None


def status_report(
    msg_id: str, created: dt.datetime, original_msg_id: str, original_kind: Kind, statuses: list[TxStatus]
) -> Any:
    """The pacs.002.001.10 document answering a message: a group status and one TxInfAndSts per transaction."""
    accepted = sum(1 for s in statuses if s.accepted)
    group = "ACSC" if accepted == len(statuses) else "RJCT" if accepted == 0 else "PART"
    txs = []
    for s in statuses:
        t = s.transfer
        reasons = []
        if not s.accepted:
            reasons = [
                p002.StatusReasonInformation12(
                    rsn=p002.StatusReason6Choice(cd=s.reason),
                    addtl_inf=[s.detail[:105]] if s.detail else [],
                )
            ]
        txs.append(
            p002.PaymentTransaction110(
                orgnl_instr_id=t.instr_id,
                orgnl_end_to_end_id=t.end_to_end_id,
                orgnl_tx_id=t.tx_id,
                orgnl_uetr=t.uetr,
                tx_sts="ACSC" if s.accepted else "RJCT",
                sts_rsn_inf=reasons,
                acct_svcr_ref=s.reference,
            )
        )
    return p002.Document(
        fito_fipmt_sts_rpt=p002.FitoFipaymentStatusReportV10(
            grp_hdr=p002.GroupHeader91(msg_id=msg_id, cre_dt_tm=XmlDateTime.from_datetime(created)),
            orgnl_grp_inf_and_sts=[
                p002.OriginalGroupHeader17(
                    orgnl_msg_id=original_msg_id,
                    orgnl_msg_nm_id=original_kind.value,
                    orgnl_nb_of_txs=str(len(statuses)),
                    grp_sts=group,
                )
            ],
            tx_inf_and_sts=txs,
        )
    )
