"""The core's database: one small repository over SQLAlchemy Core, the same SQL on SQLite and PostgreSQL.

Every change happens inside `Store.transaction()`: a posting, the balances it moves and the outbox row of the
message that reports it commit together or not at all. Writers are serialised per account: PostgreSQL
locks the posting's account rows (`SELECT … FOR UPDATE`, in id order so two postings never deadlock);
SQLite takes its write lock at `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.errors import CoreError
from core.postings import NO_OVERDRAFT, AccountKind, Posting

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.String(34), primary_key=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("balance", sa.BigInteger, nullable=False),
    sa.Column("opened_ms", sa.BigInteger, nullable=False),
)
postings = sa.Table(
    "postings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(35), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("booked_ms", sa.BigInteger, nullable=False),
    sa.Column("business_date", sa.String(10), nullable=False),
    sa.Column("end_to_end_id", sa.String(35)),
    sa.Column("uetr", sa.String(36), index=True),
    sa.Column("msg_id", sa.String(35)),
)
lines = sa.Table(
    "posting_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("posting_id", sa.Integer, sa.ForeignKey("postings.id"), nullable=False, index=True),
    sa.Column("account", sa.String(34), sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
)
# What the core answered to each inbound message, by MsgId: a replay gets these bytes again.
inbox = sa.Table(
    "iso_inbox",
    metadata,
    sa.Column("msg_id", sa.String(35), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("response", sa.LargeBinary, nullable=False),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
)
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("msg_id", sa.String(35), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("status", sa.String(10), nullable=False, index=True),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_ms", sa.BigInteger, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("delivered_ms", sa.BigInteger),
)
# Each camt.053's statement of one currency: the next one starts after `to_line_id`.
statements = sa.Table(
    "statements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("msg_id", sa.String(35), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False, index=True),
    sa.Column("to_line_id", sa.Integer, nullable=False),
    sa.Column("opening", sa.BigInteger, nullable=False),
    sa.Column("closing", sa.BigInteger, nullable=False),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
)
# Operator requests by Idempotency-Key: a retried admin call gets the first answer.
admin_requests = sa.Table(
    "admin_requests",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("response", sa.Text, nullable=False),
)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    currency: str
    kind: AccountKind
    status: str
    balance: int


@dataclass(frozen=True, slots=True)
class BookedLine:
    line_id: int
    posting_id: int
    reference: str
    kind: str
    account: str
    currency: str
    amount: int
    booked_ms: int
    business_date: str
    end_to_end_id: str | None
    uetr: str | None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    msg_id: str
    kind: str
    body: bytes
    status: str
    attempts: int
    next_attempt_ms: int
    last_error: str | None
    created_ms: int
    delivered_ms: int | None


def _account(row: Any) -> Account:
    return Account(row.id, row.currency, AccountKind(row.kind), row.status, int(row.balance))


def _outbox(row: Any) -> OutboxMessage:
    return OutboxMessage(
        row.id,
        row.msg_id,
        row.kind,
        bytes(row.body),
        row.status,
        row.attempts,
        row.next_attempt_ms,
        row.last_error,
        row.created_ms,
        row.delivered_ms,
    )


_LINE_COLUMNS = (
    lines.c.id,
    lines.c.posting_id,
    postings.c.reference,
    postings.c.kind,
    lines.c.account,
    postings.c.currency,
    lines.c.amount,
    postings.c.booked_ms,
    postings.c.business_date,
    postings.c.end_to_end_id,
    postings.c.uetr,
)


def _line(row: Any) -> BookedLine:
    return BookedLine(*row)


class Tx:
    """One database transaction's operations (only valid inside `Store.transaction()`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- accounts ---------------------------------------------------------------------------------
    def account(self, account_id: str) -> Account | None:
        row = self.conn.execute(sa.select(accounts).where(accounts.c.id == account_id)).first()
        return None if row is None else _account(row)

    def open_account(self, account_id: str, currency: str, kind: AccountKind, now_ms: int) -> bool:
        """Create the account unless it exists; True if it was created."""
        if self.account(account_id) is not None:
            return False
        self.conn.execute(
            accounts.insert().values(
                id=account_id, currency=currency, kind=kind.value, status="open", balance=0, opened_ms=now_ms
            )
        )
        return True

    def close_account(self, account_id: str) -> None:
        self.conn.execute(accounts.update().where(accounts.c.id == account_id).values(status="closed"))

    def book(self, posting: Posting, reference: str, now_ms: int, business_date: str) -> int:
        """Book a (balanced, by construction) posting; returns its id.

        Raises CoreError: UNKNOWN_ACCOUNT, ACCOUNT_CLOSED, WRONG_CURRENCY (an account of another currency),
        INSUFFICIENT_FUNDS (a DDA or token liability account that would go below zero).
        """
        ids = sorted(line.account for line in posting.lines)
        rows = self.conn.execute(
            sa.select(accounts).where(accounts.c.id.in_(ids)).order_by(accounts.c.id).with_for_update()
        ).all()
        found = {row.id: _account(row) for row in rows}
        for line in posting.lines:
            acct = found.get(line.account)
            if acct is None:
                raise CoreError("UNKNOWN_ACCOUNT", f"no account {line.account!r}")
            if acct.status != "open":
                raise CoreError("ACCOUNT_CLOSED", f"account {acct.id} is closed")
            if acct.currency != posting.currency:
                raise CoreError("WRONG_CURRENCY", f"account {acct.id} is in {acct.currency}, not {posting.currency}")
            if acct.kind in NO_OVERDRAFT and acct.balance + line.amount < 0:
                raise CoreError(
                    "INSUFFICIENT_FUNDS", f"account {acct.id} holds {acct.balance}, needs {-line.amount} (minor units)"
                )
        posting_id = self.conn.execute(
            postings.insert()
            .values(
                reference=reference,
                kind=posting.kind.value,
                currency=posting.currency,
                booked_ms=now_ms,
                business_date=business_date,
                end_to_end_id=posting.end_to_end_id,
                uetr=posting.uetr,
                msg_id=posting.msg_id,
            )
            .returning(postings.c.id)
        ).scalar_one()
        posting_id = int(posting_id)
        self.conn.execute(
            lines.insert(),
            [{"posting_id": posting_id, "account": ln.account, "amount": ln.amount} for ln in posting.lines],
        )
        for line in posting.lines:
            self.conn.execute(
                accounts.update().where(accounts.c.id == line.account).values(balance=accounts.c.balance + line.amount)
            )
        return posting_id

    def has_payment(
        self, end_to_end_id: str, uetr: str | None, kinds: Sequence[str], same_currency: str | None = None
    ) -> bool:
        """Whether a posting of these kinds carries this UETR (or, without one, this EndToEndId)."""
        match = postings.c.uetr == uetr if uetr is not None else postings.c.end_to_end_id == end_to_end_id
        query = sa.select(postings.c.id).where(match, postings.c.kind.in_(list(kinds)))
        if same_currency is not None:
            query = query.where(postings.c.currency == same_currency)
        return self.conn.execute(query.limit(1)).first() is not None

    # -- account history (statements) --------------------------------------------------------------
    def lines_after(self, account_id: str, after_line_id: int) -> list[BookedLine]:
        query = (
            sa.select(*_LINE_COLUMNS)
            .join(postings, postings.c.id == lines.c.posting_id)
            .where(lines.c.account == account_id, lines.c.id > after_line_id)
            .order_by(lines.c.id)
        )
        return [_line(r) for r in self.conn.execute(query)]

    def last_statement(self, currency: str) -> tuple[int, int] | None:
        """(to_line_id, closing balance) of the currency's latest statement."""
        row = self.conn.execute(
            sa.select(statements.c.to_line_id, statements.c.closing)
            .where(statements.c.currency == currency)
            .order_by(statements.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else (int(row[0]), int(row[1]))

    def add_statement(
        self, msg_id: str, currency: str, to_line_id: int, opening: int, closing: int, entries: int, now_ms: int
    ) -> None:
        self.conn.execute(
            statements.insert().values(
                msg_id=msg_id,
                currency=currency,
                to_line_id=to_line_id,
                opening=opening,
                closing=closing,
                entries=entries,
                created_ms=now_ms,
            )
        )

    def accounts_of_kind(self, kind: AccountKind) -> list[Account]:
        rows = self.conn.execute(sa.select(accounts).where(accounts.c.kind == kind.value).order_by(accounts.c.id))
        return [_account(r) for r in rows]

    # -- inbound messages by MsgId ------------------------------------------------------------------
    def answered(self, msg_id: str) -> bytes | None:
        row = self.conn.execute(sa.select(inbox.c.response).where(inbox.c.msg_id == msg_id)).first()
        return None if row is None else bytes(row[0])

    def record_answer(self, msg_id: str, kind: str, response: bytes, now_ms: int) -> None:
        self.conn.execute(inbox.insert().values(msg_id=msg_id, kind=kind, response=response, received_ms=now_ms))

    # -- outbound messages --------------------------------------------------------------------------
    def enqueue(self, msg_id: str, kind: str, body: bytes, now_ms: int) -> None:
        self.conn.execute(
            outbox.insert().values(
                msg_id=msg_id,
                kind=kind,
                body=body,
                status="pending",
                attempts=0,
                next_attempt_ms=now_ms,
                created_ms=now_ms,
            )
        )

    # -- operator requests by Idempotency-Key ---------------------------------------------------------
    def admin_answer(self, key: str) -> tuple[str, str] | None:
        """(fingerprint, response JSON) stored for the key."""
        row = self.conn.execute(
            sa.select(admin_requests.c.fingerprint, admin_requests.c.response).where(admin_requests.c.key == key)
        ).first()
        return None if row is None else (row[0], row[1])

    def record_admin_answer(self, key: str, fingerprint: str, response: str) -> None:
        self.conn.execute(admin_requests.insert().values(key=key, fingerprint=fingerprint, response=response))


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process crash
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock first: no upgrade deadlock between writers

    return engine


class Store:
    """The core's ledger database (SQLite file or PostgreSQL server), created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _sqlite_engine(url) if url.startswith("sqlite") else sa.create_engine(url, pool_pre_ping=True)
        metadata.create_all(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One database transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as conn:
            yield Tx(conn)

    def close(self) -> None:
        self.engine.dispose()

    # -- reads --------------------------------------------------------------------------------------
    def accounts(self) -> list[Account]:
        with self.engine.connect() as conn:
            return [_account(r) for r in conn.execute(sa.select(accounts).order_by(accounts.c.id))]

    def lines(self, *, after: int = 0, limit: int = 100, account: str | None = None) -> list[BookedLine]:
        query = sa.select(*_LINE_COLUMNS).join(postings, postings.c.id == lines.c.posting_id).where(lines.c.id > after)
        if account is not None:
            query = query.where(lines.c.account == account)
        with self.engine.connect() as conn:
            return [_line(r) for r in conn.execute(query.order_by(lines.c.id).limit(limit))]

    def posting_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(postings)).scalar_one())

    def outbox(self, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        query = sa.select(outbox).order_by(outbox.c.id).limit(limit)
        if status is not None:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [_outbox(r) for r in conn.execute(query)]

    def oldest_pending(self) -> OutboxMessage | None:
        """The first message still to deliver (messages go out in the order they were queued)."""
        query = sa.select(outbox).where(outbox.c.status == "pending").order_by(outbox.c.id).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _outbox(row)

    def mark_delivered(self, outbox_id: int, now_ms: int) -> None:
        self._update_outbox(
            outbox_id, status="delivered", delivered_ms=now_ms, attempts=outbox.c.attempts + 1, last_error=None
        )

    def mark_failed(self, outbox_id: int, error: str) -> None:
        self._update_outbox(outbox_id, status="failed", attempts=outbox.c.attempts + 1, last_error=error[:2000])

    def mark_retry(self, outbox_id: int, error: str, next_attempt_ms: int) -> None:
        self._update_outbox(
            outbox_id, attempts=outbox.c.attempts + 1, last_error=error[:2000], next_attempt_ms=next_attempt_ms
        )

    def requeue(self, outbox_id: int, now_ms: int) -> bool:
        """Send a failed message again (after the receiver was fixed); True if it was failed."""
        return self._update_outbox(outbox_id, outbox.c.status == "failed", status="pending", next_attempt_ms=now_ms) > 0

    def _update_outbox(self, outbox_id: int, *conditions: Any, **values: Any) -> int:
        """Set `values` on the message, if it meets `conditions`; how many rows changed (0 or 1)."""
        with self.transaction() as tx:
            result = tx.conn.execute(outbox.update().where(outbox.c.id == outbox_id, *conditions).values(**values))
            return int(result.rowcount)
