"""The books connector: the core's fundings become mints, redemptions become payouts, and the two sets of
books are reconciled. Exactly once across both systems of record:

- A funding is minted under the treasury identity with `reserve_ref` = the core's booking reference and an
  idempotency key per reference (`gateway.service.WriteService`: the endorsed envelope is kept before it is
  submitted and resubmitted as is after a crash; the contract refuses a second mint of a reference and a
  replayed request id). A crash anywhere between accepting and committing mints once.
- A conversion or PvP payment (from the block stream) enters the FX outbox with the checkpoint past it; its
  pacs.009 (both legs, one MsgId per ledger transaction) is kept before it is sent, so a resend is the same
  message and the core books it once; the pacs.002 is kept with the outcome.
- A redemption (from the block stream) enters the outbox in the same SQLite transaction as the checkpoint
  past it. Its pacs.008 is kept before it is sent, so a crash after sending sends the very same message (same
  MsgId) again and the core answers its first status; the pacs.002 is kept before the settle or reject,
  which is itself an idempotent write.

`KillPoints` (a test-only setting) SIGKILLs the process at a named step, so tests crash it exactly there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from books import reconcile
from books.messages import (
    FundingEntry,
    FxBooking,
    Payout,
    decimal_of,
    fx_message,
    minor_units,
    parse_status,
    parse_statuses,
    payout_message,
)
from books.mirror import BooksMirror
from books.store import BooksStore, ChainRecord, Funding, FxRow, PayoutRow
from chaincode import domain, protocol
from chaincode.errors import ErrorCode
from chaincode.protocol import EventType
from gateway.currencies import CurrencyRegistry
from gateway.directory import Caller
from gateway.errors import ChaincodeRejected, ServiceError
from gateway.ledger import Endorsed, EventStream, Ledger, TxStatus
from gateway.service import WriteService
from iso_messages import MessageError

log = logging.getLogger(__name__)

STEPS = (
    "mint.accepted",  # a funding picked up, before its mint is endorsed
    "mint.endorsed",  # the mint endorsed and kept, before it is submitted (and so before its commit status)
    "mint.committed",  # the mint committed, before the connector records it
    "fx.sent",  # the pacs.009 sent and answered, before the answer is recorded
    "payout.sent",  # the pacs.008 sent and answered, before the answer is recorded
    "payout.answered",  # the pacs.002 recorded, before the settle or reject
    "close.endorsed",  # the settle/reject endorsed, before it is submitted
)


class KillPoints:
    """SIGKILL this process when it reaches `step` (tests only; None: never)."""

    def __init__(self, step: str | None) -> None:
        if step is not None and step not in STEPS:
            raise ValueError(f"unknown kill point {step!r}; one of {', '.join(STEPS)}")
        self.step = step

    def reached(self, step: str) -> None:
        if step == self.step:
            log.warning("kill point %s reached: SIGKILL", step)
            os.kill(os.getpid(), signal.SIGKILL)


class CoreRefused(Exception):
    """The core answered 4xx: it cannot read the message at all (sending it again will not help)."""


class CoreTransport(Protocol):
    def send(self, xml: bytes) -> bytes:
        """POST a pacs.008/pacs.009; the pacs.002 body. Raises CoreRefused (4xx), OSError (unreachable, 5xx)."""
        ...


class KillingLedger:
    """The ledger port, with the connector's kill points around submits (the step named by `operation`)."""

    def __init__(self, inner: Ledger, kill: KillPoints) -> None:
        self._inner = inner
        self._kill = kill
        self.operation = ""

    def endorse(self, caller: Caller, function: str, args: list[bytes]) -> Endorsed:
        return self._inner.endorse(caller, function, args)

    def submit(self, caller: Caller, envelope: bytes, wait: int | None = None) -> TxStatus:
        self._kill.reached(f"{self.operation}.endorsed")
        status = self._inner.submit(caller, envelope, wait)
        self._kill.reached(f"{self.operation}.committed")
        return status

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class Connector:
    def __init__(
        self,
        store: BooksStore,
        ledger: KillingLedger,
        writes: WriteService,
        treasury: Caller,
        reader: Caller,
        core: CoreTransport | None,
        kill: KillPoints,
        *,
        poll_seconds: int = 1,
        mint_workers: int = 16,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.writes = writes
        self.treasury = treasury
        self.reader = reader
        self.core = core
        self.kill = kill
        self.poll_seconds = poll_seconds
        self.mint_workers = mint_workers
        self._stop = threading.Event()
        self._stream: EventStream | None = None  # the block stream `follow` reads now; `stop` closes it
        # The ledger's currency registry (which currencies exist and their digits), read as treasury.
        self.currencies = CurrencyRegistry(ledger, treasury)
        self.mirror = BooksMirror(store)

    # --- the loop -----------------------------------------------------------------------------------------

    def run(self) -> None:
        """Follow the block stream in a thread; work off fundings, payouts, attestations and the report."""
        reader = threading.Thread(target=self.follow, name="books-blocks", daemon=True)
        reader.start()
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.poll_seconds)

    def stop(self) -> None:
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()  # else `follow` would wait in the stream for the next block

    def step(self) -> None:
        """One pass over everything pending; a failure of one item leaves it for the next pass."""
        pending = self.store.fundings("pending")
        if pending:
            # Mints of different bookings commit independently (their keys never conflict): many at once.
            with ThreadPoolExecutor(max_workers=min(self.mint_workers, len(pending))) as pool:
                list(pool.map(self._mint_logged, pending))
        for payout in self.store.payouts("new", "sending", "answered"):
            with _logged(f"payout {payout.redemption_id}"):
                self.pay(payout)
        for fx in self.store.fx("new", "sending"):
            with _logged(f"fx booking {fx.tx_id}"):
                self.book_fx(fx)
        with _logged("reconciliation"):
            self.store.save_report(self.report())
        with _logged("attestation"):
            self.attest()

    # --- fundings → mints ---------------------------------------------------------------------------------

    def _mint_logged(self, funding: Funding) -> None:
        with _logged(f"funding {funding.reference}"):
            self.mint(funding.reference, funding.dda, funding.currency, funding.amount)

    def mint(self, reference: str, dda: str, currency: str, amount_text: str) -> None:
        entry = FundingEntry(reference, dda, currency, _decimal(amount_text))
        parked = self._check(entry)
        if isinstance(parked, str):
            self.store.set_funding(reference, "parked", detail=parked)
            return
        account_id, minor = parked
        self.kill.reached("mint.accepted")
        self.ledger.operation = "mint"
        try:
            outcome = self.writes.write(
                self.treasury,
                f"mint:{reference}",
                lambda rid: protocol.Mint(account_id, currency, minor, reference, rid),
                lambda result, status: {},
            )
        except ChaincodeRejected as exc:
            if exc.code == ErrorCode.DUPLICATE_RESERVE_REF:
                # Someone minted against this booking already: it is backed once, nothing is minted twice.
                self.store.set_funding(
                    reference, "minted_elsewhere", detail=exc.message, account_id=account_id, minor=minor
                )
            else:
                self.store.set_funding(reference, "parked", detail=f"{exc.code}: {exc.message}")
            return
        self.store.set_funding(reference, "minted", account_id=account_id, minor=minor, tx_id=outcome.body["tx_id"])

    def _check(self, entry: FundingEntry) -> tuple[str, int] | str:
        """(account, minor units) to mint, or why the entry goes to the repair queue."""
        try:
            currency = self.currencies.get(entry.currency)
        except ChaincodeRejected as exc:
            if exc.code != ErrorCode.UNKNOWN_CURRENCY:
                raise
            return f"UNKNOWN_CURRENCY: the ledger does not issue {entry.currency}"
        minor = minor_units(entry.amount, currency.minor_digits)
        if minor is None or minor > domain.MAX_AMOUNT:
            return f"INVALID_AMOUNT: {entry.amount} {entry.currency} is no amount of {currency.minor_digits} decimals"
        if protocol.REFERENCE_PATTERN.fullmatch(entry.reference) is None:
            return "INVALID_REFERENCE: the booking reference is no ledger reference (printable ASCII, no spaces)"
        try:
            link = self.read(protocol.GetDdaLink(entry.dda))
        except ChaincodeRejected as exc:
            if exc.code in (ErrorCode.UNKNOWN_DDA, ErrorCode.INVALID_ARGUMENT):
                return f"UNKNOWN_DDA: no token account links to {entry.dda}"
            raise
        return str(link["account_id"]), minor

    def read(self, args: protocol.Args) -> Any:
        import json

        return json.loads(self.ledger.evaluate(self.treasury, args.FUNCTION.value, [args.to_json()]))

    # --- redemptions → payouts ----------------------------------------------------------------------------

    def pay(self, payout: PayoutRow) -> None:
        if payout.status == "new":
            if self.core is None:
                return  # no core to pay through yet: it waits
            self._prepare(payout)
            payout = next(p for p in self.store.payouts() if p.redemption_id == payout.redemption_id)
        if payout.status == "sending":
            assert payout.message is not None and self.core is not None
            try:
                answer = self.core.send(payout.message)
            except CoreRefused as exc:
                self.store.payout_answered(payout.redemption_id, b"", False, None)
                self.store.payout_closed(payout.redemption_id, None)
                log.error("core refused the payout of %s: %s; settle or reject by hand", payout.redemption_id, exc)
                return
            self.kill.reached("payout.sent")
            try:
                status = parse_status(answer)
            except MessageError as exc:
                log.error("core's answer to %s is no pacs.002 (%s); asking again later", payout.redemption_id, exc)
                return
            self.store.payout_answered(payout.redemption_id, answer, status.accepted, status.reason)
            self.kill.reached("payout.answered")
            payout = next(p for p in self.store.payouts() if p.redemption_id == payout.redemption_id)
        if payout.status == "answered":
            self._close(payout)

    def _prepare(self, payout: PayoutRow) -> None:
        currency = self.currencies.get(payout.currency)
        amount = decimal_of(payout.minor, currency.minor_digits)
        target = payout.payout_to or {}
        dda = None
        if not target:
            account = self.read(protocol.GetAccount(payout.account_id))
            dda = account.get("dda")
            if dda is None:
                self.store.payout_manual(payout.redemption_id, "no DDA and no external account: settle by hand")
                return
        message = Payout(payout.redemption_id, payout.currency, amount, dda=dda, **target)
        xml = payout_message(message, currency.minor_digits, dt.datetime.now(dt.UTC))
        self.store.payout_prepared(payout.redemption_id, dda, message.msg_id, xml, message.uetr, message.end_to_end_id)

    def _close(self, payout: PayoutRow) -> None:
        rid = payout.redemption_id
        self.ledger.operation = "close"
        try:
            if payout.accepted:
                assert payout.uetr is not None
                uetr = payout.uetr
                outcome = self.writes.write(
                    self.treasury, f"settle:{rid}", lambda r: protocol.SettleRedemption(rid, uetr, r), _nothing
                )
            else:
                reason = payout.reason or "NARR"
                outcome = self.writes.write(
                    self.treasury, f"reject:{rid}", lambda r: protocol.RejectRedemption(rid, reason, r), _nothing
                )
        except ChaincodeRejected as exc:
            if exc.code != ErrorCode.INVALID_STATE:
                raise
            log.warning("redemption %s was closed by hand meanwhile: %s", rid, exc.message)
            self.store.payout_closed(rid, None)
            return
        self.store.payout_closed(rid, outcome.body["tx_id"])

    # --- conversions → FX bookings ------------------------------------------------------------------------

    def book_fx(self, row: FxRow) -> None:
        """Book a conversion in the core: keep the pacs.009, send it (again, as is, after a crash), keep the
        answer. A rejection is left to reconciliation (a break), never retried with another message."""
        if self.core is None:
            return  # no core to book in yet: it waits
        if row.status == "new":
            digits = {c.code: c.minor_digits for c in self.currencies.all()}
            booking = FxBooking(
                row.tx_id,
                row.sold_currency,
                decimal_of(row.sold_minor, digits[row.sold_currency]),
                row.bought_currency,
                decimal_of(row.bought_minor, digits[row.bought_currency]),
            )
            xml = fx_message(booking, digits, dt.datetime.now(dt.UTC))
            self.store.fx_prepared(row.tx_id, booking.msg_id, xml, booking.end_to_end_id)
            row = next(r for r in self.store.fx() if r.tx_id == row.tx_id)
        assert row.message is not None
        try:
            answer = self.core.send(row.message)
        except CoreRefused as exc:
            self.store.fx_answered(row.tx_id, b"", False, None)
            log.error("core refused the FX booking of %s: %s; book it by hand", row.tx_id, exc)
            return
        self.kill.reached("fx.sent")
        try:
            statuses = parse_statuses(answer)
        except MessageError as exc:
            log.error("core's answer to FX booking %s is no pacs.002 (%s); asking again later", row.tx_id, exc)
            return
        booked = all(s.accepted for s in statuses)
        reason = next((s.reason for s in statuses if not s.accepted), None)
        self.store.fx_answered(row.tx_id, answer, booked, reason)

    # --- the block stream ---------------------------------------------------------------------------------

    def follow(self) -> None:
        """Record the block stream from the checkpoint on, until stopped (reconnecting after a failure)."""
        while not self._stop.is_set():
            position = self.store.checkpoint()
            start, after = (position[0], position[1]) if position else (0, None)
            try:
                stream = self._stream = self.ledger.events(self.reader, start, after)
                if self._stop.is_set():  # stopped while the stream was opening
                    stream.close()
                for e in stream:
                    self._on_event(e.block_number, e.tx_id, e.payload)
                    if self._stop.is_set():
                        break
            except ServiceError as exc:
                log.warning("block stream: %s; resuming from the checkpoint", exc)
            except Exception:
                log.exception("block stream failed; resuming from the checkpoint")
            self._stop.wait(1)

    def _on_event(self, block: int, tx_id: str, payload: bytes) -> None:
        try:
            event = protocol.Event.from_json(payload)
        except Exception:
            self.store.record_event(block, tx_id, None, None)
            return
        record, payout = _meaning(block, event)
        self.store.record_event(block, tx_id, record, payout, _fx_meaning(block, event))

    # --- reconciliation and attestations ------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """The reconciliation as of the checkpoint, from the rows changed since the last pass (books.mirror)."""
        position = self.store.checkpoint()
        digits = {c.code: c.minor_digits for c in self.currencies.all()}
        return self.mirror.report(position[0] if position else 0, digits)

    def attest(self) -> None:
        """After each statement: the books' balance of its currency, on chain, once nothing is in flight. On
        demand (`deposits books attest`): every currency's, as of the report's block, with no statement."""
        for request in self.store.attestation_requests():
            self.store.attestation_answered(request, self._attest_now(request))
        pending = self.store.unattested()
        if not pending:
            return
        report = self.store.report() or self.report()
        digits = {c.code: c.minor_digits for c in self.currencies.all()}
        block = int(report["as_of_block"])
        for part in pending:
            code = part["currency"]
            figures = report["currencies"].get(code)
            if figures is None or report["in_flight"].get(code) or code not in digits:
                continue
            balance = _books_minor(figures, digits[code])
            if balance is None:
                continue
            tx_id = self._write_attestation(f"attest:{part['msg_id']}:{code}", code, balance, block, part["sha256"])
            self.store.mark_attested(part["msg_id"], code, tx_id)

    def _write_attestation(self, key: str, code: str, balance: int, block: int, digest: str | None) -> str:
        """The treasury's attestation, exactly once per key; returns its transaction id."""
        self.ledger.operation = "attest"
        outcome = self.writes.write(
            self.treasury, key, lambda r: protocol.Attest(code, balance, block, digest, r), _nothing
        )
        return str(outcome.body["tx_id"])

    def _attest_now(self, request: int) -> dict[str, str]:
        """Attest each currency of the current report; per currency, the transaction or why not."""
        report = self.report()
        digits = {c.code: c.minor_digits for c in self.currencies.all()}
        block = int(report["as_of_block"])
        done = {}
        for code, figures in sorted(report["currencies"].items()):
            balance = _books_minor(figures, digits[code]) if code in digits else None
            if report["in_flight"].get(code):
                done[code] = "not attested: movements in flight"
            elif balance is None:
                done[code] = "not attested: the books' balance is no amount of the currency"
            else:
                done[code] = self._write_attestation(f"attest-now:{request}:{code}", code, balance, block, None)
        return done


def books_report(store: BooksStore, digits: reconcile.Digits) -> dict[str, Any]:
    """One reconciliation over every row of the store, as of its checkpoint block (what the connector's
    incremental pass, `BooksMirror.report`, must answer too)."""
    position = store.checkpoint()
    return reconcile.report(
        position[0] if position else 0,
        store.fundings(),
        store.payouts(),
        store.statements(),
        store.chain(),
        digits,
        store.fx(),
    )


def _books_minor(figures: dict[str, str], digits: int) -> int | None:
    """The books' balance in minor units (None: not a whole number of them)."""
    books = _decimal(figures["books"])
    return 0 if books == 0 else minor_units(books, digits)


def _nothing(result: dict[str, Any], status: TxStatus) -> dict[str, Any]:
    return {}


def _decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def _meaning(block: int, event: protocol.Event) -> tuple[ChainRecord | None, PayoutRow | None]:
    """What a committed event means to the books: a supply change to reconcile, or a redemption to pay."""
    refs = event.references
    if event.type is EventType.MINTED:
        account = event.accounts[0] if event.accounts else None
        return ChainRecord(
            event.tx_id, block, str(event.type), event.currency, event.amount, refs.get("reserve_ref"), account, None
        ), None
    if event.type is EventType.REDEMPTION_SETTLED:
        return ChainRecord(
            event.tx_id,
            block,
            str(event.type),
            event.currency,
            event.amount,
            refs.get("payout_ref"),
            event.accounts[0] if event.accounts else None,
            refs.get("redemption_id"),
        ), None
    if event.type is EventType.BALANCE_ATTESTED:
        return ChainRecord(
            event.tx_id, block, str(event.type), event.currency, event.amount, refs.get("as_of_block"), None, None
        ), None
    if event.type is EventType.REDEMPTION_REQUESTED and event.currency is not None and event.amount is not None:
        target = {k.removeprefix("payout_"): v for k, v in refs.items() if k.startswith("payout_")}
        return None, PayoutRow(
            refs["redemption_id"],
            block,
            event.accounts[0],
            event.currency,
            event.amount,
            target or None,
            "new",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        )
    return None, None


def _fx_meaning(block: int, event: protocol.Event) -> FxRow | None:
    """A conversion or PvP payment, to book in the core."""
    exchanged = event.exchanged()
    return None if exchanged is None else FxRow(event.tx_id, block, str(event.type), *exchanged)


@contextlib.contextmanager
def _logged(what: str) -> Iterator[None]:
    """A failure of one item is logged and retried on the next pass; it never stops the connector."""
    try:
        yield
    except Exception:
        log.exception("%s: failed; retrying on the next pass", what)
        time.sleep(0)
