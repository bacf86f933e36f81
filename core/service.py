"""The core's use cases: open and fund DDAs, close the day, answer payments. Each runs in one database
transaction with the outbox row of the message it sends (`core.store`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from core import payments, postings, reports
from core.errors import CoreError
from core.money import Currencies
from core.postings import AccountKind, PostingKind, bank_account
from core.schemas import (
    AccountPublic,
    BalancesPublic,
    CloseDayPublic,
    DdaPublic,
    EntryPublic,
    FundingItem,
    FundingPublic,
    StatementPublic,
)
from core.store import BookedLine, Store, Tx
from iso_messages import Kind, Message, parse, to_xml

Clock = Callable[[], dt.datetime]
_M = TypeVar("_M", bound=BaseModel)

PAYMENT_KINDS = (Kind.PACS_008, Kind.PACS_009)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_ms(when: dt.datetime) -> int:
    """Milliseconds since the epoch, in integers (timedelta floor division, no float)."""
    return (when - _EPOCH) // dt.timedelta(milliseconds=1)


def from_ms(ms: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=ms)


def new_id(prefix: str) -> str:
    """A message id or booking reference: unique across restarts and database resets (ISO Max35Text)."""
    return f"{prefix}{uuid.uuid4().hex[:24].upper()}"


def _fingerprint(data: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


class CoreService:
    def __init__(
        self, store: Store, currencies: Currencies, *, bic: str, clock: Clock = utc_now, notify: Callable[[], None]
    ) -> None:
        """notify: called after a transaction that queued a message commits (wakes the outbox's sender)."""
        self.store = store
        self.currencies = currencies
        self.bic = bic
        self.clock = clock
        self.notify = notify

    # -- helpers ----------------------------------------------------------------------------------
    def _now(self) -> tuple[dt.datetime, int, str]:
        now = self.clock()
        return now, to_ms(now), now.date().isoformat()

    def _ensure_bank_accounts(self, tx: Tx, currency: str, now_ms: int) -> None:
        for kind in postings.BANK_KINDS:
            tx.open_account(bank_account(kind, currency), currency, kind, now_ms)

    def _fmt(self, minor: int, currency: str) -> str:
        return self.currencies.format(minor, currency)

    # -- operator use cases -----------------------------------------------------------------------
    def open_dda(self, dda: str, currency: str, balance: str, idempotency_key: str | None = None) -> DdaPublic:
        """Open a customer's DDA with its opening balance (booked against OPENING-<CCY>).

        Raises CoreError: INVALID_DDA, UNKNOWN_CURRENCY, INVALID_AMOUNT, DDA_EXISTS, IDEMPOTENCY_KEY_REUSED.
        """
        postings.check_dda_id(dda)
        amount = self.currencies.parse(balance, currency)
        request = {"op": "open-dda", "dda": dda, "currency": currency, "balance": balance}
        _, now_ms, day = self._now()
        with self.store.transaction() as tx:
            if (replay := _replayed(tx, idempotency_key, request, DdaPublic)) is not None:
                return replay
            if tx.account(dda) is not None:
                raise CoreError("DDA_EXISTS", f"account {dda} exists")
            self._ensure_bank_accounts(tx, currency, now_ms)
            tx.open_account(dda, currency, AccountKind.DDA, now_ms)
            reference = None
            if amount > 0:
                reference = new_id("OP")
                tx.book(postings.opening(dda, currency, amount), reference, now_ms, day)
            out = DdaPublic(
                dda=dda,
                currency=currency,
                status="open",
                balance=self._fmt(amount, currency),
                opening_reference=reference,
            )
            _remember(tx, idempotency_key, request, out)
            return out

    def close_dda(self, dda: str) -> DdaPublic:
        """Close a DDA: payments to it are rejected (AC04). Raises CoreError(UNKNOWN_ACCOUNT)."""
        with self.store.transaction() as tx:
            acct = tx.account(dda)
            if acct is None or acct.kind is not AccountKind.DDA:
                raise CoreError("UNKNOWN_ACCOUNT", f"no DDA {dda!r}")
            tx.close_account(dda)
            return DdaPublic(
                dda=dda, currency=acct.currency, status="closed", balance=self._fmt(acct.balance, acct.currency)
            )

    def fund(self, items: Sequence[FundingItem], idempotency_key: str | None = None) -> FundingPublic:
        """Book each funding (debit the DDA, credit TOKEN-LIABILITY-<CCY>) and queue one camt.054 with every
        entry, all in one transaction: either all are booked and reported, or none.

        Raises CoreError: UNKNOWN_ACCOUNT, ACCOUNT_CLOSED, INSUFFICIENT_FUNDS, INVALID_AMOUNT,
        IDEMPOTENCY_KEY_REUSED.
        """
        if not items:
            raise CoreError("INVALID_AMOUNT", "no funding given")
        request = {"op": "fund", "items": [i.model_dump() for i in items]}
        now, now_ms, day = self._now()
        with self.store.transaction() as tx:
            if (replay := _replayed(tx, idempotency_key, request, FundingPublic)) is not None:
                return replay
            msg_id = new_id("C054")
            booked: list[tuple[str, reports.Booking]] = []
            entries = []
            for item in items:
                acct = tx.account(item.dda)
                if acct is None or acct.kind is not AccountKind.DDA:
                    raise CoreError("UNKNOWN_ACCOUNT", f"no DDA {item.dda!r}")
                amount = self.currencies.parse(item.amount, acct.currency)
                reference = new_id("BK")
                tx.book(postings.funding(item.dda, acct.currency, amount, msg_id=msg_id), reference, now_ms, day)
                booked.append((item.dda, reports.Booking(reference, -amount, acct.currency, now, now.date())))
                entries.append(
                    EntryPublic(reference=reference, dda=item.dda, currency=acct.currency, amount=item.amount)
                )
            xml = to_xml(reports.debit_notification(msg_id, now, booked, self.currencies))
            tx.enqueue(msg_id, Kind.CAMT_054.value, xml, now_ms)
            out = FundingPublic(message_id=msg_id, entries=entries)
            _remember(tx, idempotency_key, request, out)
        self.notify()
        return out

    def close_day(self) -> CloseDayPublic:
        """Queue a camt.053 with one statement per currency of TOKEN-LIABILITY-<CCY>: the booked balance at
        the previous statement (OPBD), now (CLBD), and every entry between. Nothing to state: no message."""
        now, now_ms, _ = self._now()
        with self.store.transaction() as tx:
            msg_id = new_id("C053")
            stmts: list[reports.Statement] = []
            rows = []
            for acct in tx.accounts_of_kind(AccountKind.TOKEN_LIABILITY):
                last = tx.last_statement(acct.currency)
                after, opening = last if last is not None else (0, 0)
                booked = tx.lines_after(acct.id, after)
                to_line = booked[-1].line_id if booked else after
                stmts.append(
                    reports.Statement(
                        acct.id, acct.currency, opening, acct.balance, tuple(_booking(b) for b in booked), now.date()
                    )
                )
                rows.append((acct.currency, to_line, opening, acct.balance, len(booked)))
            if not stmts:
                return CloseDayPublic(message_id=None, statements=[])
            xml = to_xml(reports.statement_message(msg_id, now, stmts, self.currencies))
            tx.enqueue(msg_id, Kind.CAMT_053.value, xml, now_ms)
            for currency, to_line, opening, closing, count in rows:
                tx.add_statement(msg_id, currency, to_line, opening, closing, count, now_ms)
        self.notify()
        return CloseDayPublic(
            message_id=msg_id,
            statements=[
                StatementPublic(
                    currency=s.currency,
                    account=s.account,
                    opening=self._fmt(s.opening, s.currency),
                    closing=self._fmt(s.closing, s.currency),
                    entries=len(s.bookings),
                )
                for s in stmts
            ],
        )

    def balances(self) -> BalancesPublic:
        accts = self.store.accounts()
        totals: dict[str, int] = {}
        for a in accts:
            totals[a.currency] = totals.get(a.currency, 0) + a.balance
        return BalancesPublic(
            accounts=[
                AccountPublic(
                    account=a.id,
                    kind=a.kind.value,
                    currency=a.currency,
                    status=a.status,
                    balance=self._fmt(a.balance, a.currency),
                )
                for a in accts
            ],
            totals={c: self._fmt(v, c) for c, v in sorted(totals.items())},
        )

    # -- the ISO 20022 endpoint -------------------------------------------------------------------
    def answer(self, xml: bytes) -> bytes:
        """The pacs.002 answering a pacs.008 or pacs.009: booked (ACSC) or rejected (RJCT with an ISO reason
        code). The same MsgId again gets the first answer, byte for byte, and books nothing.

        Raises MessageError (XML that does not parse or break the schema's rules) and
        CoreError(UNSUPPORTED_MESSAGE) for a message the core does not take.
        """
        message = parse(xml)
        if message.kind not in PAYMENT_KINDS:
            raise CoreError("UNSUPPORTED_MESSAGE", f"the core takes pacs.008 and pacs.009, not {message.kind.value}")
        try:
            return self._answer(message)
        except sa.exc.IntegrityError:
            # Another request with this MsgId committed first (PostgreSQL): its answer is the answer.
            with self.store.transaction() as tx:
                first = tx.answered(message.msg_id)
            if first is None:
                raise
            return first

    def _answer(self, message: Message) -> bytes:
        now, now_ms, day = self._now()
        with self.store.transaction() as tx:
            first = tx.answered(message.msg_id)
            if first is not None:
                return first
            if message.kind is Kind.PACS_008:
                transfers = payments.customer_transfers(message.document, self.bic)
                statuses = [self._payout(tx, t, message.msg_id, now_ms, day) for t in transfers]
            else:
                statuses = self._conversion(tx, payments.institution_transfers(message.document), message, now_ms, day)
            report = payments.status_report(new_id("P002"), now, message.msg_id, message.kind, statuses)
            body = to_xml(report)
            tx.record_answer(message.msg_id, message.kind.value, body, now_ms)
            return body

    def _amount(self, tx: Tx, t: payments.Transfer, now_ms: int) -> int:
        amount = self.currencies.from_decimal(t.amount, t.currency)
        if amount == 0:
            raise CoreError("INVALID_AMOUNT", "a payment of zero")
        self._ensure_bank_accounts(tx, t.currency, now_ms)
        return amount

    def _payout(self, tx: Tx, t: payments.Transfer, msg_id: str, now_ms: int, day: str) -> payments.TxStatus:
        """Book one redemption payout, or say why not (nothing booked)."""
        try:
            amount = self._amount(tx, t, now_ms)
            liability = bank_account(AccountKind.TOKEN_LIABILITY, t.currency)
            if t.debtor_account != liability:
                raise CoreError("INVALID_DEBTOR_ACCOUNT", f"a payout is paid from {liability}, not {t.debtor_account}")
            if t.creditor is None:
                raise CoreError("INVALID_CREDITOR_ACCOUNT", "no creditor account (IBAN or Othr/Id)")
            if tx.has_payment(t.end_to_end_id, t.uetr, (PostingKind.PAYOUT_BOOK, PostingKind.PAYOUT_EXTERNAL)):
                raise CoreError("DUPLICATE_PAYMENT", f"payment {t.uetr or t.end_to_end_id} is already booked")
            e2e, uetr = t.end_to_end_id, t.uetr
            if t.creditor.dda is not None:
                acct = tx.account(t.creditor.dda)
                if acct is None or acct.kind is not AccountKind.DDA:
                    raise CoreError("UNKNOWN_ACCOUNT", f"no DDA {t.creditor.dda!r}")
                posting = postings.payout_to_dda(
                    t.creditor.dda, t.currency, amount, end_to_end_id=e2e, uetr=uetr, msg_id=msg_id
                )
            else:
                posting = postings.payout_external(t.currency, amount, end_to_end_id=e2e, uetr=uetr, msg_id=msg_id)
            reference = new_id("BK")
            with tx.conn.begin_nested():
                tx.book(posting, reference, now_ms, day)
        except CoreError as exc:
            return payments.TxStatus(t, accepted=False, reason=exc.iso_reason, detail=exc.detail)
        return payments.TxStatus(t, accepted=True, reference=reference)

    def _conversion(
        self, tx: Tx, legs: list[payments.Transfer], message: Message, now_ms: int, day: str
    ) -> list[payments.TxStatus]:
        """Book every leg of a conversion, or none (a savepoint): each leg moves one currency between
        TOKEN-LIABILITY-<CCY> and FX-POSITION-<CCY>."""
        references: list[str] = []
        try:
            with tx.conn.begin_nested():
                for t in legs:
                    amount = self._amount(tx, t, now_ms)
                    if tx.has_payment(t.end_to_end_id, t.uetr, (PostingKind.FX_LEG,), same_currency=t.currency):
                        raise CoreError("DUPLICATE_PAYMENT", f"conversion {t.end_to_end_id} is already booked")
                    posting = postings.fx_leg(
                        t.debtor_account or "",
                        t.creditor_account or "",
                        t.currency,
                        amount,
                        end_to_end_id=t.end_to_end_id,
                        uetr=t.uetr,
                        msg_id=message.msg_id,
                    )
                    references.append(new_id("BK"))
                    tx.book(posting, references[-1], now_ms, day)
        except CoreError as exc:
            return [payments.TxStatus(t, accepted=False, reason=exc.iso_reason, detail=exc.detail) for t in legs]
        return [payments.TxStatus(t, accepted=True, reference=r) for t, r in zip(legs, references, strict=True)]


def _booking(b: BookedLine) -> reports.Booking:
    booked = from_ms(b.booked_ms)
    return reports.Booking(
        b.reference, b.amount, b.currency, booked, dt.date.fromisoformat(b.business_date), b.end_to_end_id, b.uetr
    )


def _replayed(tx: Tx, key: str | None, request: Mapping[str, object], model: type[_M]) -> _M | None:
    """The stored answer of an operator request retried with the same Idempotency-Key, else None.
    Raises CoreError(IDEMPOTENCY_KEY_REUSED) when the key came with another request."""
    if key is None:
        return None
    found = tx.admin_answer(key)
    if found is None:
        return None
    fingerprint, response = found
    if fingerprint != _fingerprint(request):
        raise CoreError("IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used for another request")
    return model.model_validate_json(response)


def _remember(tx: Tx, key: str | None, request: Mapping[str, object], out: BaseModel) -> None:
    if key is not None:
        tx.record_admin_answer(key, _fingerprint(request), out.model_dump_json())
