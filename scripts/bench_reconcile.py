"""The reconciliation at scale (issue 17): a books store holding N core entries (100,000 by default) written the
way the connector writes them — fundings accepted from camt.054s and minted, redemptions recorded from the
block stream, paid by pacs.008 and answered by pacs.002, a camt.053 per day listing that day's entries, an
attestation per statement — then one reconciliation pass of the connector (`books.connector.books_report`)
and the auditor's check from the chain alone (`gateway.chain_reconciliation.chain_report`, over an in-memory
stream of the same events), each timed with its peak memory. No network: the chain's events are recorded
into the store as the connector's block reader records them.

    .venv/bin/python scripts/bench_reconcile.py [--entries 100000] [--days 10] [--passes 3]

Every 10th entry is a redemption paid back into its DDA; the rest are fundings of 1,000 customers' DDAs. The
last day is in no statement yet (the "since the last camt.053" path). The report must come out clean: no
break, no difference (else the data set is wrong and the script exits 1).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from books.connector import books_report
from books.messages import Payout, payout_message
from books.mirror import BooksMirror
from books.store import BooksStore, ChainRecord, PayoutRow
from chaincode import protocol
from chaincode.protocol import EventType
from gateway.chain_reconciliation import SupplyTally, chain_report
from gateway.currencies import CurrencyRegistry
from gateway.directory import Caller
from gateway.ledger import Ledger, LedgerEvent
from tests.fake_core import Line, camt053_xml, camt054_xml, pacs002_xml

CUSTOMERS = 1000
PER_BLOCK = 10  # transactions per block, about what the network cuts under load
PER_MESSAGE = 900  # entries per camt.054
DIGITS = {"USD": 2}
T = TypeVar("T")


class ChainLog:
    """The events the data set commits, block by block, as the auditor's gateway would stream them."""

    def __init__(self) -> None:
        self.events: list[LedgerEvent] = []
        self.attestations: list[dict[str, Any]] = []
        self.n = 0
        self.supply = 0  # minor units outstanding after the newest event

    def next_tx(self) -> tuple[int, str]:
        self.n += 1
        return 1 + self.n // PER_BLOCK, f"{self.n:064x}"

    def add(self, event: protocol.Event, block: int) -> None:
        self.events.append(LedgerEvent(block, event.tx_id, str(event.type), event.to_json()))
        if event.type in (EventType.MINTED, EventType.REDEMPTION_SETTLED) and event.amount is not None:
            self.supply += event.amount if event.type is EventType.MINTED else -event.amount

    def attest(self) -> None:
        """The treasury's attestation of the supply as of the newest block, committed in the next one."""
        as_of = 1 + self.n // PER_BLOCK
        self.n = (self.n // PER_BLOCK + 1) * PER_BLOCK - 1
        block, tx = self.next_tx()
        refs = {"as_of_block": str(as_of)}
        self.add(protocol.Event(EventType.BALANCE_ATTESTED, tx, f"a{tx}", (), "USD", self.supply, refs), block)
        self.attestations.append(
            {
                "currency": "USD",
                "balance": self.supply,
                "as_of_block": as_of,
                "statement_sha256": None,
                "tx_id": tx,
                "timestamp": "",
            }
        )


class StubLedger:
    """The two reads the auditor's check makes (attestations, currencies) and the block stream from 0."""

    def __init__(self, chain: ChainLog) -> None:
        self.chain = chain

    def evaluate(self, caller: Caller, function: str, args: list[bytes]) -> bytes:
        if function == protocol.Function.LIST_ATTESTATIONS.value:
            return json.dumps({"attestations": self.chain.attestations}).encode()
        return json.dumps([{"code": c, "minor_digits": d} for c, d in DIGITS.items()]).encode()

    def events(self, caller: Caller, start_block: int | None, after_tx_id: str | None) -> Any:
        """From `start_block`, after `after_tx_id` (the block stream's resume position)."""
        events = self.chain.events
        at = bisect.bisect_left([e.block_number for e in events], start_block or 0)
        if after_tx_id is not None:
            while at < len(events) and events[at].block_number == start_block:
                at += 1
                if events[at - 1].tx_id == after_tx_id:
                    break
        return _Stream(iter(events[at:]))


class _Stream:
    def __init__(self, it: Iterator[LedgerEvent]) -> None:
        self._it = it

    def __iter__(self) -> Iterator[LedgerEvent]:
        return self._it

    def close(self) -> None:
        pass


def fund(
    store: BooksStore, chain: ChainLog, tag: str, fundings: list[tuple[str, str, str]], lines: list[Line]
) -> Decimal:
    """Accept camt.054s of (reference, DDA, amount) and mint each entry; the total funded."""
    total = Decimal(0)
    for m in range(0, len(fundings), PER_MESSAGE):
        part = fundings[m : m + PER_MESSAGE]
        dda = part[0][1]  # one DDA per notification: its entries all go to that customer
        store.accept(camt054_xml(f"{tag}-{m}", dda, "USD", [(ref, amt) for ref, _, amt in part]))
        for ref, _, amt in part:
            block, tx = chain.next_tx()
            minor = int(Decimal(amt).scaleb(2))
            account = f"acct-{int(dda[4:]):04d}"
            chain.add(
                protocol.Event(EventType.MINTED, tx, f"m-{ref}", (account,), "USD", minor, {"reserve_ref": ref}), block
            )
            store.record_event(block, tx, ChainRecord(tx, block, "Minted", "USD", minor, ref, account, None), None)
            store.set_funding(ref, "minted", account_id=account, minor=minor, tx_id=tx)
            total += Decimal(amt)
            lines.append(Line(ref, amt, True))
    return total


def build(store: BooksStore, entries: int, days: int) -> ChainLog:
    """Write `entries` core entries into `store` as the connector would have; the chain's events alongside."""
    chain = ChainLog()
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    balance = Decimal(0)
    per_day = entries // days
    seq = 0
    for day in range(days):
        lines: list[Line] = []
        opening = balance
        fundings: list[tuple[str, str, str]] = []  # (reference, dda, amount)
        for _ in range(per_day):
            seq += 1
            customer = seq % CUSTOMERS
            amount = Decimal(100 + seq % 997).scaleb(-2)
            if seq % 10:
                fundings.append((f"BK-{seq:08d}", f"DDA-{customer:04d}", f"{amount:f}"))
                continue
            block, tx = chain.next_tx()
            rid = tx
            minor = int(amount.scaleb(2))
            account = f"acct-{customer:04d}"
            requested = protocol.Event(
                EventType.REDEMPTION_REQUESTED, tx, f"r{seq}", (account,), "USD", minor, {"redemption_id": rid}
            )
            chain.add(requested, block)
            store.record_event(
                block,
                tx,
                None,
                PayoutRow(rid, block, account, "USD", minor, None, "new", *([None] * 9)),
            )
            payout = Payout(rid, "USD", amount, dda=f"DDA-{customer:04d}")
            store.payout_prepared(
                rid, payout.dda, payout.msg_id, payout_message(payout, 2, now), payout.uetr, payout.end_to_end_id
            )
            store.payout_answered(
                rid, pacs002_xml(payout.msg_id, (payout.end_to_end_id, payout.uetr, None)), True, None
            )
            block, settle_tx = chain.next_tx()
            settled = protocol.Event(
                EventType.REDEMPTION_SETTLED,
                settle_tx,
                f"s{seq}",
                (account,),
                "USD",
                minor,
                {"redemption_id": rid, "payout_ref": payout.uetr},
            )
            chain.add(settled, block)
            store.record_event(
                block,
                settle_tx,
                ChainRecord(settle_tx, block, "RedemptionSettled", "USD", minor, payout.uetr, account, rid),
                None,
            )
            store.payout_closed(rid, settle_tx)
            balance -= amount
            lines.append(Line(payout.end_to_end_id, f"{amount:f}", False))
        balance += fund(store, chain, f"N-{day}", fundings, lines)
        if day == days - 1:
            break  # the last day: in no statement yet
        msg = f"STMT-{day}"
        store.accept(camt053_xml(msg, "USD", f"{opening:f}", f"{balance:f}", lines))
        chain.attest()
        a = chain.attestations[-1]
        tx, block = a["tx_id"], chain.events[-1].block_number
        record = ChainRecord(tx, block, "BalanceAttested", "USD", a["balance"], str(a["as_of_block"]), None, None)
        store.record_event(block, tx, record, None)
        store.mark_attested(msg, "USD", tx)
    return chain


def measure(what: str, passes: int, run: Callable[[], T], prepare: Callable[[], object] = lambda: None) -> T:
    """`prepare` then `run`, `passes` times (plus one to warm up, and one traced for memory); print the median
    and the worst wall time of `run` and its peak traced memory."""
    times = []
    prepare()
    result = run()  # warm: the first pass also fills SQLite's page cache
    for _ in range(passes):
        prepare()
        started = time.perf_counter_ns()
        result = run()
        times.append(time.perf_counter_ns() - started)
    prepare()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times.sort()
    ms = [t // 1_000_000 for t in times]
    print(f"  {what}: median {ms[len(ms) // 2]} ms, worst {ms[-1]} ms over {passes}; peak {peak >> 20} MiB traced")
    return result


def first_pass(what: str, run: Callable[[], object]) -> None:
    """A pass that happens once (a fresh copy): its time, then, on another fresh copy, its memory (and what
    that copy holds once the pass is over)."""
    started = time.perf_counter_ns()
    run()
    took = (time.perf_counter_ns() - started) // 1_000_000
    tracemalloc.start()
    kept = run()
    held, peak = tracemalloc.get_traced_memory()
    del kept
    tracemalloc.stop()
    print(f"  {what}: {took} ms; peak {peak >> 20} MiB traced, {held >> 20} MiB held after")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--entries", type=int, default=100_000)
    p.add_argument("--days", type=int, default=10)
    p.add_argument("--passes", type=int, default=5)
    p.add_argument("--per-pass", type=int, default=26, help="new mints between two passes (26/s measured)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = BooksStore(Path(tmp, "books.sqlite3"))
        started = time.monotonic_ns()
        chain = build(store, args.entries, args.days)
        size = Path(tmp, "books.sqlite3").stat().st_size + Path(tmp, "books.sqlite3-wal").stat().st_size
        print(
            f"data set: {args.entries} core entries over {args.days} days, {len(chain.events)} chain events in "
            f"{chain.events[-1].block_number} blocks, {len(chain.attestations)} statements and attestations; "
            f"store {size >> 20} MiB; built in {(time.monotonic_ns() - started) // 1_000_000_000} s"
        )
        batches = iter(range(1_000_000))

        def traffic() -> None:
            """About a second of the connector's work: a camt.054 of --per-pass entries, each minted."""
            n = next(batches)
            refs = [(f"BK-NEW-{n}-{i}", "DDA-0007", "1.00") for i in range(args.per_pass)]
            fund(store, chain, f"NEW-{n}", refs, [])

        def as_of() -> int:
            position = store.checkpoint()
            return position[0] if position else 0

        print("connector, before (every row read and reconciled on each pass, books.connector.books_report):")
        measure("a pass", args.passes, lambda: books_report(store, DIGITS), traffic)
        print("connector, after (books.mirror: the rows changed since the last pass):")

        def fresh_mirror() -> BooksMirror:
            m = BooksMirror(store)
            m.report(as_of(), DIGITS)
            return m

        first_pass("first pass (reads every row once)", fresh_mirror)
        mirror = BooksMirror(store)
        mirror.report(as_of(), DIGITS)
        measure(f"a pass after {args.per_pass} new mints", args.passes, lambda: mirror.report(as_of(), DIGITS), traffic)
        measure("a pass with nothing new", args.passes, lambda: mirror.report(as_of(), DIGITS))
        report = mirror.report(as_of(), DIGITS)
        same = report == books_report(store, DIGITS)
        print(f"  the incremental report is the full one: {same}")

        ledger = StubLedger(chain)
        caller = cast(Caller, None)  # the stub ledger asks nobody
        currencies = CurrencyRegistry(cast(Ledger, ledger), caller)

        def check(tally: SupplyTally | None) -> dict[str, Any]:
            return chain_report(cast(Ledger, ledger), caller, caller, currencies, tally)

        print("auditor's attestation check, before (every event from block 0 on each check):")
        audit = measure("a check", args.passes, lambda: check(None))
        print("auditor's attestation check, after (gateway.chain_reconciliation.SupplyTally):")

        def fresh_tally() -> SupplyTally:
            t = SupplyTally()
            check(t)
            return t

        first_pass("first check (reads every event once)", fresh_tally)
        tally = SupplyTally()
        check(tally)

        def attest_more() -> None:
            """Another day's work on chain: new mints, then an attestation of the supply after them."""
            traffic()
            chain.attest()

        measure("a check after a new attestation", args.passes, lambda: check(tally), attest_more)
        audit = check(None)
        measure("a check with nothing new", args.passes, lambda: check(tally))
        same_audit = check(tally) == audit
        print(f"  the kept tally's check is the full one: {same_audit}")
        store.close()
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MiB")
    clean = not report["breaks"] and all(c["difference"] == "0.00" for c in report["currencies"].values())
    print(f"connector: {json.dumps(report['currencies'])}, {len(report['breaks'])} breaks")
    print(f"auditor: {json.dumps(audit['currencies'])}, {len(audit['breaks'])} breaks")
    if not (clean and same and same_audit) or audit["breaks"]:
        print("the data set does not reconcile: " + json.dumps(report["breaks"][:3] + audit["breaks"][:3]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
