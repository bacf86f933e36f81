"""pacs.008 and pacs.009 as the connector sends them, built with pyiso20022's dataclasses (test input)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from pyiso20022.pacs.pacs_008_001_08 import pacs_008_001_08 as p008
from pyiso20022.pacs.pacs_009_001_08 import pacs_009_001_08 as p009
from xsdata.models.datatype import XmlDateTime

from iso_messages import to_xml

CREATED = XmlDateTime.from_datetime(dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC))
BANK_BIC = "TKDPUS33XXX"


def uetr_of(end_to_end_id: str) -> str:
    """A version-4-shaped UUID derived from the id (the connector derives it deterministically)."""
    raw = bytearray(uuid.uuid5(uuid.NAMESPACE_URL, end_to_end_id).bytes)
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def _acct(m: Any, account: str | None = None, iban: str | None = None) -> Any:
    if iban is not None:
        return m.CashAccount38(id=m.AccountIdentification4Choice(iban=iban))
    return m.CashAccount38(id=m.AccountIdentification4Choice(othr=m.GenericAccountIdentification1(id=account)))


def _agent(m: Any, bic: str | None) -> Any:
    return m.BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=m.FinancialInstitutionIdentification18(bicfi=bic)
    )


def pacs008(
    msg_id: str,
    end_to_end_id: str,
    amount: str,
    currency: str,
    *,
    dda: str | None = None,
    iban: str | None = None,
    account: str | None = None,
    bic: str = BANK_BIC,
    debtor: str | None = None,
    uetr: str | None = "derive",
) -> bytes:
    """A redemption payout from TOKEN-LIABILITY-<CCY> to a DDA (dda), an IBAN, or another bank's account."""
    creditor_account = _acct(p008, dda if dda is not None else account, iban)
    tx = p008.CreditTransferTransaction39(
        pmt_id=p008.PaymentIdentification7(
            instr_id=end_to_end_id,
            end_to_end_id=end_to_end_id,
            uetr=uetr_of(end_to_end_id) if uetr == "derive" else uetr,
        ),
        intr_bk_sttlm_amt=p008.ActiveCurrencyAndAmount(value=Decimal(amount), ccy=currency),
        chrg_br=p008.ChargeBearerType1Code.SLEV,
        dbtr=p008.PartyIdentification135(nm="Token holder"),
        dbtr_acct=_acct(p008, debtor or f"TOKEN-LIABILITY-{currency}"),
        dbtr_agt=_agent(p008, BANK_BIC),
        cdtr_agt=_agent(p008, bic),
        cdtr=p008.PartyIdentification135(nm="Beneficiary"),
        cdtr_acct=creditor_account,
    )
    doc = p008.Document(
        fito_ficstmr_cdt_trf=p008.FitoFicustomerCreditTransferV08(
            grp_hdr=p008.GroupHeader93(
                msg_id=msg_id,
                cre_dt_tm=CREATED,
                nb_of_txs="1",
                sttlm_inf=p008.SettlementInstruction7(sttlm_mtd=p008.SettlementMethod1Code.INDA),
            ),
            cdt_trf_tx_inf=[tx],
        )
    )
    return to_xml(doc)


def pacs009(msg_id: str, end_to_end_id: str, sold: tuple[str, str], bought: tuple[str, str]) -> bytes:
    """A conversion: sold (amount, ccy) TOKEN-LIABILITY → FX-POSITION; bought FX-POSITION → TOKEN-LIABILITY."""

    def leg(n: int, amount: str, ccy: str, debit: str, credit: str) -> Any:
        return p009.CreditTransferTransaction36(
            pmt_id=p009.PaymentIdentification7(
                instr_id=f"{end_to_end_id}-{n}", end_to_end_id=end_to_end_id, uetr=uetr_of(f"{end_to_end_id}-{n}")
            ),
            intr_bk_sttlm_amt=p009.ActiveCurrencyAndAmount(value=Decimal(amount), ccy=ccy),
            dbtr=_agent(p009, BANK_BIC),
            dbtr_acct=_acct(p009, debit),
            cdtr=_agent(p009, BANK_BIC),
            cdtr_acct=_acct(p009, credit),
        )

    doc = p009.Document(
        ficdt_trf=p009.FinancialInstitutionCreditTransferV08(
            grp_hdr=p009.GroupHeader93(
                msg_id=msg_id,
                cre_dt_tm=CREATED,
                nb_of_txs="2",
                sttlm_inf=p009.SettlementInstruction7(sttlm_mtd=p009.SettlementMethod1Code.INDA),
            ),
            cdt_trf_tx_inf=[
                leg(1, sold[0], sold[1], f"TOKEN-LIABILITY-{sold[1]}", f"FX-POSITION-{sold[1]}"),
                leg(2, bought[0], bought[1], f"FX-POSITION-{bought[1]}", f"TOKEN-LIABILITY-{bought[1]}"),
            ],
        )
    )
    return to_xml(doc)
