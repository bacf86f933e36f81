"""Idempotency records, persisted in SQLite before anything is submitted.

A record is keyed by (caller, Idempotency-Key) and holds the request's fingerprint, the endorsed
envelope and result once endorsed (written BEFORE submit, so a gateway that crashes between submit
and commit can ask for — or resubmit — exactly that transaction after a restart), and the final answer.

Bounded: a record lives `retention` seconds (24 h by default, as bank payment APIs keep idempotency keys)
and is then swept; a finished record drops its envelope (only a retry of an unanswered request needs it).
Past the window a retry with the same key makes a new record, and the ledger's own duplicate guard (the
request id derived from caller and key) still refuses a second effect.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway import sqlite_db

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    tx_id TEXT,
    envelope BLOB,
    result BLOB,
    status INTEGER,
    body TEXT,
    created_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (caller, key)
)
"""
# Sweeping is a range delete on this index; it runs at most once per SWEEP_EVERY seconds, from create().
_INDEX = "CREATE INDEX IF NOT EXISTS requests_created_at ON requests (created_at)"
SWEEP_EVERY = 60
DAY = 86_400


@dataclass(frozen=True, slots=True)
class Record:
    caller: str
    key: str
    fingerprint: str
    tx_id: str | None
    envelope: bytes | None
    result: bytes | None
    status: int | None
    body: str | None

    @property
    def done(self) -> bool:
        return self.status is not None


class IdempotencyStore:
    def __init__(
        self, path: Path, *, retention: int = DAY, clock: Callable[[], int] = lambda: time.time_ns() // 1_000_000_000
    ) -> None:
        """retention: seconds a record is kept; clock: whole wall-clock seconds (a test passes a fake one)."""
        self._db = sqlite_db.connect(path, sqlite_db.Sync.FULL)  # an endorsed envelope survives a power cut
        self._db.execute(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(requests)")}
        if "created_at" not in columns:  # a store made before records expired: its rows go at the first sweep
            self._db.execute("ALTER TABLE requests ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0")
        self._db.execute(_INDEX)
        self._retention = retention
        self._clock = clock
        self._swept_at = 0
        self._db_lock = threading.Lock()
        # (caller, key) → [lock, holders]; an entry lives only while someone holds or waits for it.
        self._key_locks: dict[tuple[str, str], list[Any]] = {}
        self._locks_lock = threading.Lock()

    def _now(self) -> int:
        return self._clock()

    @contextmanager
    def exclusive(self, caller: str, key: str) -> Iterator[None]:
        """Serialise work on one (caller, key): two racing identical requests produce one effect."""
        with self._locks_lock:
            entry = self._key_locks.setdefault((caller, key), [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._locks_lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._key_locks[(caller, key)]

    def get(self, caller: str, key: str) -> Record | None:
        with self._db_lock:
            row = self._db.execute(
                "SELECT caller, key, fingerprint, tx_id, envelope, result, status, body FROM requests "
                "WHERE caller = ? AND key = ?",
                (caller, key),
            ).fetchone()
        return Record(*row) if row else None

    def create(self, caller: str, key: str, fingerprint: str) -> None:
        now = self._now()
        if now - self._swept_at >= SWEEP_EVERY:
            self.sweep()
        with self._db_lock:
            self._db.execute(
                "INSERT OR IGNORE INTO requests (caller, key, fingerprint, created_at) VALUES (?, ?, ?, ?)",
                (caller, key, fingerprint, now),
            )

    def sweep(self) -> int:
        """Delete every record older than the retention window; returns how many went."""
        now = self._now()
        self._swept_at = now
        with self._db_lock:
            return int(self._db.execute("DELETE FROM requests WHERE created_at < ?", (now - self._retention,)).rowcount)

    def discard(self, caller: str, key: str) -> None:
        """Drop a record whatever its state (a request without an Idempotency-Key, once it has its answer)."""
        with self._db_lock:
            self._db.execute("DELETE FROM requests WHERE caller = ? AND key = ?", (caller, key))

    def count(self) -> int:
        with self._db_lock:
            return int(self._db.execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    def endorsed(self, caller: str, key: str, tx_id: str, envelope: bytes, result: bytes) -> None:
        with self._db_lock:
            self._db.execute(
                "UPDATE requests SET tx_id = ?, envelope = ?, result = ? WHERE caller = ? AND key = ?",
                (tx_id, envelope, result, caller, key),
            )

    def finish(self, caller: str, key: str, status: int, body: str) -> None:
        """Record the final answer; the envelope and result are no longer needed (nothing will resubmit)."""
        with self._db_lock:
            self._db.execute(
                "UPDATE requests SET status = ?, body = ?, envelope = NULL, result = NULL WHERE caller = ? AND key = ?",
                (status, body, caller, key),
            )

    def forget(self, caller: str, key: str) -> None:
        """Drop an unfinished record (nothing was endorsed), so the same key can be tried again."""
        with self._db_lock:
            self._db.execute(
                "DELETE FROM requests WHERE caller = ? AND key = ? AND status IS NULL AND tx_id IS NULL", (caller, key)
            )

    def close(self) -> None:
        with self._db_lock:
            self._db.close()
