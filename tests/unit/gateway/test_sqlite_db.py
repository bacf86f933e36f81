"""The shared SQLite opening: private files stay the owner's, a failed write leaves nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from gateway import sqlite_db


def test_a_private_database_and_its_wal_sidecars_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "keys.sqlite3"
    old = os.umask(0o022)  # what a service usually runs with: new files 0644
    try:
        db = sqlite_db.connect(path, sqlite_db.Sync.NORMAL, private=True)
    finally:
        os.umask(old)
    db.execute("CREATE TABLE t (v TEXT)")
    for name in ("keys.sqlite3", "keys.sqlite3-wal", "keys.sqlite3-shm"):
        assert (path.parent / name).stat().st_mode & 0o777 == 0o600, name
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    db.close()


def test_a_write_that_raises_is_rolled_back_and_one_that_returns_is_committed(tmp_path: Path) -> None:
    db = sqlite_db.connect(tmp_path / "s.sqlite3", sqlite_db.Sync.FULL)
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    lock = threading.Lock()
    db.execute("CREATE TABLE t (v TEXT)")
    with pytest.raises(RuntimeError), sqlite_db.write_tx(db, lock) as tx:
        tx.execute("INSERT INTO t VALUES ('lost')")
        raise RuntimeError("half way")
    with sqlite_db.write_tx(db, lock) as tx:
        tx.execute("INSERT INTO t VALUES ('kept')")
    assert [r[0] for r in db.execute("SELECT v FROM t")] == ["kept"]
    assert not lock.locked()
    db.close()
