"""Idempotency records, persisted in SQLite before anything is submitted.

A record is keyed by (caller, Idempotency-Key) and holds the request's fingerprint, the endorsed
envelope and result once endorsed (written BEFORE submit, so a gateway that crashes between submit
and commit can ask for — or resubmit — exactly that transaction after a restart), and the final answer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    PRIMARY KEY (caller, key)
)
"""


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
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._db_lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}
        self._locks_lock = threading.Lock()

    @contextmanager
    def exclusive(self, caller: str, key: str) -> Iterator[None]:
        """Serialise work on one (caller, key): two racing identical requests produce one effect."""
        with self._locks_lock:
            lock = self._key_locks.setdefault((caller, key), threading.Lock())
        with lock:
            yield

    def get(self, caller: str, key: str) -> Record | None:
        with self._db_lock:
            row = self._db.execute(
                "SELECT caller, key, fingerprint, tx_id, envelope, result, status, body FROM requests "
                "WHERE caller = ? AND key = ?",
                (caller, key),
            ).fetchone()
        return Record(*row) if row else None

    def create(self, caller: str, key: str, fingerprint: str) -> None:
        with self._db_lock:
            self._db.execute(
                "INSERT OR IGNORE INTO requests (caller, key, fingerprint) VALUES (?, ?, ?)", (caller, key, fingerprint)
            )

    def endorsed(self, caller: str, key: str, tx_id: str, envelope: bytes, result: bytes) -> None:
        with self._db_lock:
            self._db.execute(
                "UPDATE requests SET tx_id = ?, envelope = ?, result = ? WHERE caller = ? AND key = ?",
                (tx_id, envelope, result, caller, key),
            )

    def finish(self, caller: str, key: str, status: int, body: str) -> None:
        with self._db_lock:
            self._db.execute(
                "UPDATE requests SET status = ?, body = ? WHERE caller = ? AND key = ?", (status, body, caller, key)
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
