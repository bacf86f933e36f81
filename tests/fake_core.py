"""A small fake of the bank's core for the books connector's tests: it speaks the messages of docs/books.md
(it writes camt.054/camt.053, answers pacs.008 with pacs.002, the first answer again for a MsgId it has seen)
and keeps just enough books to answer: the token liability per currency and the payments it booked.
`serve()` puts it on 127.0.0.1 for a live connector; `send` is the same thing as a `CoreTransport`."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pyiso20022.camt import camt_053_001_08 as camt053
from pyiso20022.camt import camt_054_001_08 as camt054
from pyiso20022.pacs import pacs_002_001_10 as pacs002
from xsdata.models.datatype import XmlDateTime

from iso_messages import Kind, MessageError, parse, to_xml

NOW = XmlDateTime.from_string("2026-12-01T10:00:00Z")


def camt054_xml(msg_id: str, dda: str, currency: str, entries: list[tuple[str, str]]) -> bytes:
    """A debit notification of `dda`: one booked entry per (reference, amount)."""
    ntry = [
        camt054.ReportEntry10(
            amt=camt054.ActiveOrHistoricCurrencyAndAmount(value=Decimal(amount), ccy=currency),
            cdt_dbt_ind=camt054.CreditDebitCode.DBIT,
            sts=camt054.EntryStatus1Choice(cd="BOOK"),
            acct_svcr_ref=ref,
            bk_tx_cd=camt054.BankTransactionCodeStructure4(
                prtry=camt054.ProprietaryBankTransactionCodeStructure1(cd="TOKENIZE")
            ),
        )
        for ref, amount in entries
    ]
    acct = camt054.CashAccount39(
        id=camt054.AccountIdentification4Choice(othr=camt054.GenericAccountIdentification1(id=dda)), ccy=currency
    )
    return to_xml(
        camt054.Document(
            bk_to_cstmr_dbt_cdt_ntfctn=camt054.BankToCustomerDebitCreditNotificationV08(
                grp_hdr=camt054.GroupHeader81(msg_id=msg_id, cre_dt_tm=NOW),
                ntfctn=[camt054.AccountNotification17(id=f"N-{msg_id}"[:35], acct=acct, ntry=ntry)],
            )
        )
    )


@dataclass(frozen=True)
class Line:
    """A statement entry: a funding (credit, by AcctSvcrRef) or a payout (debit, by EndToEndId)."""

    reference: str
    amount: str
    credit: bool


def camt053_xml(msg_id: str, currency: str, opening: str, closing: str, lines: list[Line]) -> bytes:
    def balance(code: str, amount: str) -> camt053.CashBalance8:
        value = Decimal(amount)
        return camt053.CashBalance8(
            tp=camt053.BalanceType13(cd_or_prtry=camt053.BalanceType10Choice(cd=code)),
            amt=camt053.ActiveOrHistoricCurrencyAndAmount(value=abs(value), ccy=currency),
            cdt_dbt_ind=camt053.CreditDebitCode.CRDT if value >= 0 else camt053.CreditDebitCode.DBIT,
            dt=camt053.DateAndDateTime2Choice(dt_tm=NOW),
        )

    def entry(line: Line) -> camt053.ReportEntry10:
        refs = None if line.credit else camt053.TransactionReferences6(end_to_end_id=line.reference)
        return camt053.ReportEntry10(
            amt=camt053.ActiveOrHistoricCurrencyAndAmount(value=Decimal(line.amount), ccy=currency),
            cdt_dbt_ind=camt053.CreditDebitCode.CRDT if line.credit else camt053.CreditDebitCode.DBIT,
            sts=camt053.EntryStatus1Choice(cd="BOOK"),
            acct_svcr_ref=line.reference if line.credit else None,
            bk_tx_cd=camt053.BankTransactionCodeStructure4(
                prtry=camt053.ProprietaryBankTransactionCodeStructure1(cd="TOKENS")
            ),
            ntry_dtls=[] if refs is None else [camt053.EntryDetails9(tx_dtls=[camt053.EntryTransaction10(refs=refs)])],
        )

    stmt = camt053.AccountStatement9(
        id=f"S-{msg_id}"[:35],
        acct=camt053.CashAccount39(
            id=camt053.AccountIdentification4Choice(
                othr=camt053.GenericAccountIdentification1(id=f"TOKEN-LIABILITY-{currency}")
            ),
            ccy=currency,
        ),
        bal=[balance("OPBD", opening), balance("CLBD", closing)],
        ntry=[entry(line) for line in lines],
    )
    return to_xml(
        camt053.Document(
            bk_to_cstmr_stmt=camt053.BankToCustomerStatementV08(
                grp_hdr=camt053.GroupHeader81(msg_id=msg_id, cre_dt_tm=NOW), stmt=[stmt]
            )
        )
    )


def pacs002_xml(msg_id: str, *statuses: tuple[str, str | None, str | None]) -> bytes:
    """One TxInfAndSts per (end-to-end id, UETR, reason code or None for ACSC)."""
    txs = [
        pacs002.PaymentTransaction110(
            orgnl_end_to_end_id=end_to_end_id,
            orgnl_uetr=uetr,
            tx_sts="RJCT" if reason else "ACSC",
            sts_rsn_inf=[]
            if reason is None
            else [pacs002.StatusReasonInformation12(rsn=pacs002.StatusReason6Choice(cd=reason))],
        )
        for end_to_end_id, uetr, reason in statuses
    ]
    return to_xml(
        pacs002.Document(
            fito_fipmt_sts_rpt=pacs002.FitoFipaymentStatusReportV10(
                grp_hdr=pacs002.GroupHeader91(msg_id=f"ST-{msg_id}"[:35], cre_dt_tm=NOW), tx_inf_and_sts=txs
            )
        )
    )


@dataclass
class FakeCore:
    """Rejects payments to the accounts in `rejects` (creditor account id or IBAN → ISO reason code)."""

    rejects: dict[str, str] = field(default_factory=dict)
    answers: dict[str, bytes] = field(default_factory=dict)
    received: Counter[str] = field(default_factory=Counter)  # MsgId → times received
    booked: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (end-to-end id, currency, amount)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, xml: bytes) -> bytes:
        """The core's ISO 20022 endpoint: a pacs.008 (payout) or pacs.009 (FX booking, every leg booked).
        Raises MessageError for what it cannot read."""
        message = parse(xml)
        if message.kind not in (Kind.PACS_008, Kind.PACS_009):
            raise MessageError("/Document", f"{message.kind} is no payment")
        with self._lock:
            self.received[message.msg_id] += 1
            if message.msg_id in self.answers:
                return self.answers[message.msg_id]
            if message.kind is Kind.PACS_009:
                legs = message.document.ficdt_trf.cdt_trf_tx_inf
                for leg in legs:
                    amount = leg.intr_bk_sttlm_amt
                    self.booked.append((leg.pmt_id.end_to_end_id, amount.ccy, amount.value))
                statuses = [(leg.pmt_id.end_to_end_id, leg.pmt_id.uetr, None) for leg in legs]
                answer = pacs002_xml(message.msg_id, *statuses)
                self.answers[message.msg_id] = answer
                return answer
            tx = message.document.fito_ficstmr_cdt_trf.cdt_trf_tx_inf[0]
            account = tx.cdtr_acct.id.iban or tx.cdtr_acct.id.othr.id
            reason = self.rejects.get(account)
            if reason is None:
                self.booked.append((tx.pmt_id.end_to_end_id, tx.intr_bk_sttlm_amt.ccy, tx.intr_bk_sttlm_amt.value))
            answer = pacs002_xml(message.msg_id, (tx.pmt_id.end_to_end_id, tx.pmt_id.uetr, reason))
            self.answers[message.msg_id] = answer
            return answer

    @contextmanager
    def serve(self) -> Iterator[str]:
        """The fake on 127.0.0.1 (an ephemeral port); yields its base URL; stopped on exit."""
        core = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    status, out, kind = 200, core.send(body), "application/xml"
                except MessageError as exc:
                    status, out, kind = (
                        400,
                        f'{{"code":"INVALID_MESSAGE","detail":"{exc.path}"}}'.encode(),
                        "application/json",
                    )
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
