"""The connector's durable state: one SQLite file under the data directory, shared by the org's gateway (which
accepts the core's messages into the inbox) and the connector process (which works them off).

    inbox        every message the core sent, by MsgId, with the answer it got (a replay gets the same one)
    fundings     one row per core booking (AcctSvcrRef): pending → minted | parked (the repair queue)
                 | minted_elsewhere (someone already minted against that reference: nothing minted twice)
    payouts      the outbox: one row per redemption: new → sending (the pacs.008 kept, resent as is) →
                 answered (the pacs.002 kept) → closed (settled or rejected on chain); or manual
    fx           the FX outbox: one row per conversion or PvP payment on chain: new → sending (the pacs.009
                 kept, resent as is) → booked | rejected (the pacs.002 kept, with its reason code)
    statements   camt.053 parts, one per (MsgId, currency), with the SHA-256 of the message
    chain        the chain's events the reconciliation needs (mints, settlements, attestations)
    checkpoint   the last block-stream position recorded: the connector resumes from it
    report       the latest reconciliation report
    attest_requests  attestations asked for on demand (`deposits books attest`), with what the connector did

Every change of a row and the checkpoint it came from commit in one SQLite transaction. WAL mode: the gateway
and the connector each hold a connection to the same file.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from books.messages import Inbound, parse_inbound
from gateway import sqlite_db
from gateway.errors import InvalidMessage
from iso_messages import MessageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    msg_id TEXT PRIMARY KEY, kind TEXT NOT NULL, sha256 TEXT NOT NULL, answer TEXT NOT NULL,
    body BLOB NOT NULL, received_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fundings (
    reference TEXT PRIMARY KEY, msg_id TEXT NOT NULL, seq INTEGER NOT NULL, dda TEXT NOT NULL,
    currency TEXT NOT NULL, amount TEXT NOT NULL, status TEXT NOT NULL, detail TEXT,
    account_id TEXT, minor INTEGER, tx_id TEXT);
CREATE TABLE IF NOT EXISTS payouts (
    redemption_id TEXT PRIMARY KEY, block INTEGER NOT NULL, account_id TEXT NOT NULL, currency TEXT NOT NULL,
    minor INTEGER NOT NULL, payout_to TEXT, status TEXT NOT NULL, dda TEXT, msg_id TEXT, message BLOB,
    answer BLOB, accepted INTEGER, reason TEXT, uetr TEXT, end_to_end_id TEXT, tx_id TEXT);
CREATE TABLE IF NOT EXISTS fx (
    tx_id TEXT PRIMARY KEY, block INTEGER NOT NULL, type TEXT NOT NULL, sold_currency TEXT NOT NULL,
    sold_minor INTEGER NOT NULL, bought_currency TEXT NOT NULL, bought_minor INTEGER NOT NULL,
    status TEXT NOT NULL, msg_id TEXT, message BLOB, answer BLOB, reason TEXT, end_to_end_id TEXT);
CREATE TABLE IF NOT EXISTS statements (
    msg_id TEXT NOT NULL, currency TEXT NOT NULL, opening TEXT NOT NULL, closing TEXT NOT NULL,
    sha256 TEXT NOT NULL, entries TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (msg_id, currency));
CREATE TABLE IF NOT EXISTS chain (
    tx_id TEXT PRIMARY KEY, block INTEGER NOT NULL, type TEXT NOT NULL, currency TEXT, minor INTEGER,
    reference TEXT, account_id TEXT, redemption_id TEXT);
CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 1), block INTEGER NOT NULL,
    tx_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS report (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attested (msg_id TEXT NOT NULL, currency TEXT NOT NULL, tx_id TEXT,
    PRIMARY KEY (msg_id, currency));
CREATE TABLE IF NOT EXISTS attest_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, requested_at INTEGER NOT NULL,
    result TEXT);
CREATE TABLE IF NOT EXISTS changes (rev INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, row_id INTEGER NOT NULL);
"""

# The tables the reconciliation reads, with the order it reads them in. Every insert or update of one of
# their rows is logged in `changes` (by trigger, whichever process writes), so the connector's copy of them
# (books.mirror) reads only the rows changed since its last pass.
RECONCILED = {
    "fundings": "seq, reference",
    "payouts": "block, redemption_id",
    "fx": "block, tx_id",
    "statements": "seq, currency",
    "chain": "block, tx_id",
}
_TRIGGERS = "".join(
    f"CREATE TRIGGER IF NOT EXISTS {table}_{op.lower()} AFTER {op} ON {table} BEGIN "
    f"INSERT INTO changes (tbl, row_id) VALUES ('{table}', NEW.rowid); END;\n"
    for table in RECONCILED
    for op in ("INSERT", "UPDATE")
)
# What the reconciliation reads of each table: the messages kept in the outboxes it never needs.
_COLUMNS = {
    "fundings": "reference, msg_id, dda, currency, amount, status, detail, account_id, minor, tx_id",
    "payouts": "redemption_id, block, account_id, currency, minor, payout_to, status, dda, msg_id, NULL AS message, "
    "NULL AS answer, accepted, reason, uetr, end_to_end_id, tx_id",
    "fx": "tx_id, block, type, sold_currency, sold_minor, bought_currency, bought_minor, status, msg_id, "
    "NULL AS message, NULL AS answer, reason, end_to_end_id",
    "statements": "*",
    "chain": "*",
}
Row = Any  # a Funding, PayoutRow, FxRow, ChainRecord, or a statement part (dict)


@dataclass(frozen=True, slots=True)
class Funding:
    reference: str
    msg_id: str
    dda: str
    currency: str
    amount: str  # the decimal as the core wrote it
    status: str
    detail: str | None
    account_id: str | None
    minor: int | None
    tx_id: str | None


@dataclass(frozen=True, slots=True)
class PayoutRow:
    redemption_id: str
    block: int
    account_id: str
    currency: str
    minor: int
    payout_to: dict[str, str] | None
    status: str
    dda: str | None
    msg_id: str | None
    message: bytes | None
    answer: bytes | None
    accepted: bool | None
    reason: str | None
    uetr: str | None
    end_to_end_id: str | None
    tx_id: str | None


@dataclass(frozen=True, slots=True)
class FxRow:
    """A conversion (Converted) or PvP payment (Transferred under a quote): what the bank bought and sold."""

    tx_id: str
    block: int
    type: str
    sold_currency: str
    sold_minor: int
    bought_currency: str
    bought_minor: int
    status: str = "new"
    msg_id: str | None = None
    message: bytes | None = None
    answer: bytes | None = None
    reason: str | None = None
    end_to_end_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChainRecord:
    """A committed event the books care about: Minted, RedemptionSettled or BalanceAttested."""

    tx_id: str
    block: int
    type: str
    currency: str | None
    minor: int | None
    reference: str | None  # reserve_ref of a mint; payout_ref of a settlement; statement digest of an attestation
    account_id: str | None
    redemption_id: str | None


class BooksStore:
    def __init__(self, path: Path) -> None:
        # An accepted message survives a power cut; the gateway's process and the connector's share the file.
        self._db = sqlite_db.connect(path, sqlite_db.Sync.FULL, busy_timeout_s=30)
        self._lock = threading.RLock()
        self._db.executescript(_SCHEMA + _TRIGGERS)

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_db.write_tx(self._db, self._lock)

    def _rows(self, sql: str, *args: object) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._db.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # --- the inbox (the gateway's side) -------------------------------------------------------------------

    def accept(self, xml: bytes) -> dict[str, Any]:
        """Durably accept a camt.054 or camt.053; the answer `{message_id, kind, entries}`. The same MsgId
        again answers the first answer and records nothing. Raises InvalidMessage."""
        try:
            message = parse_inbound(xml)
        except MessageError as exc:
            raise InvalidMessage(f"{exc.path}: {exc.reason}") from exc
        with self._tx() as db:
            found = db.execute("SELECT answer FROM inbox WHERE msg_id = ?", (message.msg_id,)).fetchone()
            if found is not None:
                answer: dict[str, Any] = json.loads(found[0])
                return answer
            answer = self._record(db, message, xml)
        return answer

    def _record(self, db: sqlite3.Connection, message: Inbound, xml: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(xml).hexdigest()
        seq = int(db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0]) + 1
        for f in message.fundings:
            # A booking reference seen before (another MsgId carrying the same booking) is kept once.
            db.execute(
                "INSERT OR IGNORE INTO fundings (reference, msg_id, seq, dda, currency, amount, status) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                (f.reference, message.msg_id, seq, f.dda, f.currency, str(f.amount)),
            )
        for part in message.statements:
            entries = [
                {
                    "reference": e.reference,
                    "credit": e.credit,
                    "currency": e.currency,
                    "amount": str(e.amount),
                    "end_to_end_id": e.end_to_end_id,
                }
                for e in part.entries
            ]
            db.execute(
                "INSERT OR REPLACE INTO statements VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message.msg_id, part.currency, str(part.opening), str(part.closing), digest, json.dumps(entries), seq),
            )
        count = len(message.fundings) or sum(len(p.entries) for p in message.statements)
        answer = {"message_id": message.msg_id, "kind": str(message.kind), "entries": count}
        db.execute(
            "INSERT INTO inbox VALUES (?, ?, ?, ?, ?, ?)",
            (message.msg_id, str(message.kind), digest, json.dumps(answer, sort_keys=True), xml, int(time.time())),
        )
        return answer

    def exceptions(self) -> list[dict[str, Any]]:
        """The repair queue: fundings parked with their reason, oldest first."""
        return self._rows(
            "SELECT reference, msg_id, dda, currency, amount, detail AS reason FROM fundings "
            "WHERE status = 'parked' ORDER BY seq, reference"
        )

    def statements(self) -> list[dict[str, Any]]:
        return [_statement(r) for r in self._rows("SELECT * FROM statements ORDER BY seq, currency")]

    def report(self) -> dict[str, Any] | None:
        rows = self._rows("SELECT body FROM report WHERE id = 1")
        return json.loads(rows[0]["body"]) if rows else None

    # --- fundings (the connector's side) ------------------------------------------------------------------

    def fundings(self, status: str | None = None) -> list[Funding]:
        sql = "SELECT reference, msg_id, dda, currency, amount, status, detail, account_id, minor, tx_id FROM fundings"
        rows = self._rows(
            sql + (" WHERE status = ?" if status else "") + " ORDER BY seq, reference", *((status,) if status else ())
        )
        return [Funding(**r) for r in rows]

    def set_funding(
        self,
        reference: str,
        status: str,
        *,
        detail: str | None = None,
        account_id: str | None = None,
        minor: int | None = None,
        tx_id: str | None = None,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE fundings SET status = ?, detail = ?, account_id = COALESCE(?, account_id), "
                "minor = COALESCE(?, minor), tx_id = COALESCE(?, tx_id) WHERE reference = ?",
                (status, detail, account_id, minor, tx_id, reference),
            )

    # --- the block stream ---------------------------------------------------------------------------------

    def checkpoint(self) -> tuple[int, str] | None:
        rows = self._rows("SELECT block, tx_id FROM checkpoint WHERE id = 1")
        return (int(rows[0]["block"]), str(rows[0]["tx_id"])) if rows else None

    def record_event(
        self, block: int, tx_id: str, record: ChainRecord | None, payout: PayoutRow | None, fx: FxRow | None = None
    ) -> None:
        """What one committed event means to the books, and the checkpoint past it, in one transaction."""
        with self._tx() as db:
            if fx is not None:
                db.execute(
                    "INSERT OR IGNORE INTO fx (tx_id, block, type, sold_currency, sold_minor, bought_currency, "
                    "bought_minor, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'new')",
                    (fx.tx_id, fx.block, fx.type, fx.sold_currency, fx.sold_minor, fx.bought_currency, fx.bought_minor),
                )
            if record is not None:
                db.execute(
                    "INSERT OR IGNORE INTO chain VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.tx_id,
                        record.block,
                        record.type,
                        record.currency,
                        record.minor,
                        record.reference,
                        record.account_id,
                        record.redemption_id,
                    ),
                )
            if payout is not None:
                db.execute(
                    "INSERT OR IGNORE INTO payouts (redemption_id, block, account_id, currency, minor, payout_to, "
                    "status) VALUES (?, ?, ?, ?, ?, ?, 'new')",
                    (
                        payout.redemption_id,
                        payout.block,
                        payout.account_id,
                        payout.currency,
                        payout.minor,
                        None if payout.payout_to is None else json.dumps(payout.payout_to, sort_keys=True),
                    ),
                )
            db.execute("INSERT OR REPLACE INTO checkpoint VALUES (1, ?, ?)", (block, tx_id))

    def chain(self) -> list[ChainRecord]:
        return [ChainRecord(**r) for r in self._rows("SELECT * FROM chain ORDER BY block, tx_id")]

    # --- the outbox ---------------------------------------------------------------------------------------

    def payouts(self, *statuses: str) -> list[PayoutRow]:
        marks = ",".join("?" * len(statuses))
        where = f" WHERE status IN ({marks})" if statuses else ""
        rows = self._rows(f"SELECT * FROM payouts{where} ORDER BY block, redemption_id", *statuses)
        return [_payout(r) for r in rows]

    def payout_prepared(
        self, redemption_id: str, dda: str | None, msg_id: str, message: bytes, uetr: str, end_to_end_id: str
    ) -> None:
        """The pacs.008 is kept before it is sent: after a crash the same bytes (same MsgId) go again."""
        with self._tx() as db:
            db.execute(
                "UPDATE payouts SET status = 'sending', dda = ?, msg_id = ?, message = ?, uetr = ?, "
                "end_to_end_id = ? WHERE redemption_id = ? AND status = 'new'",
                (dda, msg_id, message, uetr, end_to_end_id, redemption_id),
            )

    def payout_manual(self, redemption_id: str, reason: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE payouts SET status = 'manual', reason = ? WHERE redemption_id = ? AND status = 'new'",
                (reason, redemption_id),
            )

    def payout_answered(self, redemption_id: str, answer: bytes, accepted: bool, reason: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE payouts SET status = 'answered', answer = ?, accepted = ?, reason = ? "
                "WHERE redemption_id = ? AND status = 'sending'",
                (answer, int(accepted), reason, redemption_id),
            )

    def payout_closed(self, redemption_id: str, tx_id: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE payouts SET status = 'closed', tx_id = ? WHERE redemption_id = ?", (tx_id, redemption_id)
            )

    # --- the FX outbox ------------------------------------------------------------------------------------

    def fx(self, *statuses: str) -> list[FxRow]:
        marks = ",".join("?" * len(statuses))
        where = f" WHERE status IN ({marks})" if statuses else ""
        return [FxRow(**r) for r in self._rows(f"SELECT * FROM fx{where} ORDER BY block, tx_id", *statuses)]

    def fx_prepared(self, tx_id: str, msg_id: str, message: bytes, end_to_end_id: str) -> None:
        """The pacs.009 is kept before it is sent: after a crash the same bytes (same MsgId) go again."""
        with self._tx() as db:
            db.execute(
                "UPDATE fx SET status = 'sending', msg_id = ?, message = ?, end_to_end_id = ? "
                "WHERE tx_id = ? AND status = 'new'",
                (msg_id, message, end_to_end_id, tx_id),
            )

    def fx_answered(self, tx_id: str, answer: bytes, booked: bool, reason: str | None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE fx SET status = ?, answer = ?, reason = ? WHERE tx_id = ? AND status = 'sending'",
                ("booked" if booked else "rejected", answer, reason, tx_id),
            )

    # --- the report ---------------------------------------------------------------------------------------

    def save_report(self, report: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO report VALUES (1, ?)", (json.dumps(report, sort_keys=True),))

    def unattested(self) -> list[dict[str, Any]]:
        """Statement parts not yet attested on chain, oldest first."""
        return self._rows(
            "SELECT s.msg_id, s.currency, s.sha256 FROM statements s LEFT JOIN attested a "
            "ON a.msg_id = s.msg_id AND a.currency = s.currency WHERE a.msg_id IS NULL ORDER BY s.seq"
        )

    def mark_attested(self, msg_id: str, currency: str, tx_id: str | None) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO attested VALUES (?, ?, ?)", (msg_id, currency, tx_id))

    # --- what changed (for the connector's copy of the rows the reconciliation reads) ----------------------

    def revision(self) -> int:
        """The last change logged (0: none kept)."""
        return int(self._rows("SELECT COALESCE(MAX(rev), 0) AS n FROM changes")[0]["n"])

    def changed_since(self, rev: int) -> tuple[int, dict[str, list[int]]]:
        """The last change logged, and the rowids of each reconciled table changed after `rev`."""
        out: dict[str, list[int]] = {}
        last = rev
        for r in self._rows("SELECT rev, tbl, row_id FROM changes WHERE rev > ? ORDER BY rev", rev):
            out.setdefault(r["tbl"], []).append(int(r["row_id"]))
            last = int(r["rev"])
        return last, out

    def forget_changes(self, rev: int) -> None:
        """Drop the log up to `rev` (read by the one process that follows it)."""
        with self._tx() as db:
            db.execute("DELETE FROM changes WHERE rev <= ?", (rev,))

    def reconciled_rows(self, table: str, row_ids: list[int] | None = None) -> list[tuple[tuple[Any, ...], Row]]:
        """(order, row) of each row of `table` the reconciliation reads — all, or those with `row_ids` — in the
        reconciliation's order, without the outboxes' kept messages."""
        order = RECONCILED[table]
        names = [n.strip() for n in order.split(",")]
        sql = f"SELECT {', '.join(f'{n} AS _o{i}' for i, n in enumerate(names))}, {_COLUMNS[table]} FROM {table}"
        if row_ids is None:
            found = self._rows(f"{sql} ORDER BY {order}")
        else:
            found = []
            ids = sorted(set(row_ids))
            for n in range(0, len(ids), 500):
                chunk = ids[n : n + 500]
                found += self._rows(f"{sql} WHERE rowid IN ({','.join('?' * len(chunk))})", *chunk)
        out = []
        for r in found:
            key = tuple(r.pop(f"_o{i}") for i in range(len(names)))
            out.append((key, _TYPED[table](r)))
        return sorted(out, key=lambda pair: pair[0]) if row_ids is not None else out

    def request_attestation(self) -> int:
        """Ask the connector to attest the books' balances now (`deposits books attest`): the request's id."""
        with self._tx() as db:
            cur = db.execute("INSERT INTO attest_requests (requested_at) VALUES (?)", (int(time.time()),))
            return int(cur.lastrowid or 0)

    def attestation_requests(self) -> list[int]:
        """The requests the connector has not answered yet, oldest first."""
        return [int(r["id"]) for r in self._rows("SELECT id FROM attest_requests WHERE result IS NULL ORDER BY id")]

    def attestation_answered(self, request: int, result: dict[str, str]) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE attest_requests SET result = ? WHERE id = ?", (json.dumps(result, sort_keys=True), request)
            )

    def attestation_result(self, request: int) -> dict[str, str] | None:
        """Per currency: the attestation's transaction id, or why none was made; None while unanswered."""
        rows = self._rows("SELECT result FROM attest_requests WHERE id = ?", request)
        return None if not rows or rows[0]["result"] is None else dict(json.loads(rows[0]["result"]))

    def counts(self) -> dict[str, dict[str, int]]:
        """How many fundings and payouts are in each status (for `deposits books status`)."""
        out: dict[str, dict[str, int]] = {"fundings": {}, "payouts": {}, "fx": {}}
        for table in out:
            for r in self._rows(f"SELECT status, COUNT(*) AS n FROM {table} GROUP BY status"):
                out[table][r["status"]] = int(r["n"])
        out["inbox"] = {"messages": int(self._rows("SELECT COUNT(*) AS n FROM inbox")[0]["n"])}
        return out


def _payout(r: dict[str, Any]) -> PayoutRow:
    r["payout_to"] = None if r["payout_to"] is None else json.loads(r["payout_to"])
    r["accepted"] = None if r["accepted"] is None else bool(r["accepted"])
    return PayoutRow(**r)


def _statement(r: dict[str, Any]) -> dict[str, Any]:
    return {**r, "entries": json.loads(r["entries"])}


_TYPED: dict[str, Callable[[dict[str, Any]], Row]] = {
    "fundings": lambda r: Funding(**r),
    "payouts": _payout,
    "fx": lambda r: FxRow(**r),
    "statements": _statement,
    "chain": lambda r: ChainRecord(**r),
}
