"""How the gateway's and the books connector's SQLite files are opened and written: WAL (readers never wait
for the writer), autocommit with explicit `BEGIN IMMEDIATE … COMMIT` per write (no implicit deferred BEGIN
that could fail half way), one connection shared by the owner's threads under the owner's lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

_MEMORY = ":memory:"


class Sync(StrEnum):
    """What a committed write survives: FULL a power cut (an fsync per commit), NORMAL a crash of the process."""

    FULL = "FULL"
    NORMAL = "NORMAL"


def connect(path: Path | str, sync: Sync, *, busy_timeout_s: int = 5, private: bool = False) -> sqlite3.Connection:
    """Open (creating its folder) the database at `path`; `busy_timeout_s`: how long a write waits for another
    process's; `private`: the file and its WAL sidecars are the owner's alone (mode 0600: they hold secrets)."""
    file = None if str(path) == _MEMORY else Path(path)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        if private:
            file.touch(mode=0o600, exist_ok=True)
            file.chmod(0o600)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=busy_timeout_s)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={sync}")
    if file is not None and private:
        db.execute("SELECT count(*) FROM sqlite_master").fetchall()  # creates the -wal and -shm files now
        for side in (file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
            if side.exists():
                side.chmod(0o600)
    return db


@contextmanager
def write_tx(db: sqlite3.Connection, lock: threading.Lock | threading.RLock) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE (takes the write lock up front, so two processes never
    interleave half-done changes), COMMIT, or ROLLBACK on any exception."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
