"""Members of this gateway's org: enrolled at runtime by the org's CA, holding API keys, revocable.

Everything is kept in SQLite (`<data>/gateways/<Org>/members.sqlite3`, mode 0600): the member, its
certificate, its API keys as SHA-256 digests (a unique index: authentication is one indexed lookup, whatever
the number of keys), and a custodial member's private key encrypted with AES-256-GCM under the gateway's
member key (settings), bound to the member's name. A member that brought its own key (a CSR) has none here.

The topology's dev identities are members too, imported at the gateway's first start with the certificate
and API key that `network.pki` and `gateway.directory` wrote (their files stay: the peer CLI, the benchmark
and the tests' own Fabric clients use them).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway import sqlite_db

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS members (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        legal_name TEXT NOT NULL,
        country TEXT NOT NULL,
        cert_pem BLOB NOT NULL,
        serial TEXT NOT NULL,
        key_sealed BLOB,
        source TEXT NOT NULL,
        revoked_reason TEXT,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id TEXT PRIMARY KEY,
        member TEXT NOT NULL REFERENCES members (name),
        digest BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS api_keys_digest ON api_keys (digest)",
    "CREATE INDEX IF NOT EXISTS api_keys_member ON api_keys (member)",
)

# Where a member's key lives: in this database (sealed), in the topology's MSP folder, or with the member.
CUSTODIAL = "custodial"
TOPOLOGY = "topology"
OWN_KEY = "own-key"


def key_digest(api_key: str) -> bytes:
    return hashlib.sha256(api_key.encode()).digest()


def new_api_key(org: str) -> tuple[str, str]:
    """(key id, API key): the id is public (it names the key in the API), the rest is the secret."""
    key_id = secrets.token_hex(8)
    return key_id, f"{org.lower()}-{key_id}-{secrets.token_urlsafe(24)}"


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    created_at: int
    revoked_at: int | None


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    role: str
    legal_name: str
    country: str
    cert_pem: bytes
    serial: str
    source: str
    created_at: int
    revoked_reason: str | None
    revoked_at: int | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def serial_number(self) -> int:
        return int(self.serial, 16)


class Sealer:
    """AES-256-GCM under the gateway's member key; the member's name is the associated data, so a sealed
    key copied onto another member's row does not open."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the member key must be 32 bytes")
        self._aead = AESGCM(key)

    @staticmethod
    def load_or_create(path: Path) -> bytes:
        """The key in path (base64, mode 0600), created when missing."""
        if path.exists():
            return base64.b64decode(path.read_text().strip())
        path.parent.mkdir(parents=True, exist_ok=True)
        key = AESGCM.generate_key(bit_length=256)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(key).decode() + "\n")
        return key

    def seal(self, name: str, private_key: ec.EllipticCurvePrivateKey) -> bytes:
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        nonce = secrets.token_bytes(12)
        return nonce + self._aead.encrypt(nonce, pem, name.encode())

    def open(self, name: str, sealed: bytes) -> bytes:
        """The PEM private key. Raises cryptography's InvalidTag when sealed is not this member's."""
        return self._aead.decrypt(sealed[:12], sealed[12:], name.encode())


class MemberStore:
    """The members table and its API keys. Thread-safe (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite_db.connect(path, sqlite_db.Sync.NORMAL, private=True)  # key digests, sealed keys
        self._lock = threading.Lock()
        for statement in _SCHEMA:
            self._db.execute(statement)

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return sqlite_db.write_tx(self._db, self._lock)

    def close(self) -> None:
        self._db.close()

    def add(
        self,
        member: Member,
        key_sealed: bytes | None,
        key_id: str,
        api_key_digest: bytes,
    ) -> bool:
        """Insert the member with its first key; False (nothing written) when the name is taken."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM members WHERE name = ?", (member.name,)).fetchone():
                return False
            db.execute(
                "INSERT INTO members (name, role, legal_name, country, cert_pem, serial, key_sealed, source,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    member.name,
                    member.role,
                    member.legal_name,
                    member.country,
                    member.cert_pem,
                    member.serial,
                    key_sealed,
                    member.source,
                    member.created_at,
                ),
            )
            db.execute(
                "INSERT INTO api_keys (key_id, member, digest, created_at) VALUES (?, ?, ?, ?)",
                (key_id, member.name, api_key_digest, member.created_at),
            )
        return True

    def get(self, name: str) -> Member | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_MEMBER_COLUMNS} FROM members WHERE name = ?", (name,)).fetchone()
        return _member(row) if row else None

    def sealed_key(self, name: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT key_sealed FROM members WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def page(self, after: str | None, limit: int) -> list[Member]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE name > ? ORDER BY name LIMIT ?", (after or "", limit)
            ).fetchall()
        return [_member(r) for r in rows]

    def keys(self, name: str) -> list[ApiKey]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key_id, created_at, revoked_at FROM api_keys WHERE member = ? ORDER BY created_at, key_id",
                (name,),
            ).fetchall()
        return [ApiKey(*r) for r in rows]

    def member_of_key(self, api_key_digest: bytes) -> str | None:
        """The member holding this (unrevoked) key, by one lookup on the digest index; None if none."""
        with self._lock:
            row = self._db.execute(
                "SELECT k.member FROM api_keys k JOIN members m ON m.name = k.member"
                " WHERE k.digest = ? AND k.revoked_at IS NULL AND m.revoked_at IS NULL",
                (api_key_digest,),
            ).fetchone()
        return row[0] if row else None

    def add_key(self, name: str, key_id: str, api_key_digest: bytes) -> bool:
        """A further key for an unrevoked member; False when there is no such member (or it is revoked)."""
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM members WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone():
                return False
            db.execute(
                "INSERT INTO api_keys (key_id, member, digest, created_at) VALUES (?, ?, ?, ?)",
                (key_id, name, api_key_digest, int(time.time())),
            )
        return True

    def revoke_key(self, name: str, key_id: str) -> bool:
        """Revoke one key; False when the member has no such key (revoking twice is not an error)."""
        with self._tx() as db:
            found = db.execute("SELECT 1 FROM api_keys WHERE member = ? AND key_id = ?", (name, key_id)).fetchone()
            db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE member = ? AND key_id = ? AND revoked_at IS NULL",
                (int(time.time()), name, key_id),
            )
        return found is not None

    def revoke(self, name: str, reason: str) -> bool:
        """Revoke the member and every key of it; False when there is no such member. Idempotent."""
        now = int(time.time())
        with self._tx() as db:
            if not db.execute("SELECT 1 FROM members WHERE name = ?", (name,)).fetchone():
                return False
            db.execute(
                "UPDATE members SET revoked_at = ?, revoked_reason = ? WHERE name = ? AND revoked_at IS NULL",
                (now, reason, name),
            )
            db.execute("UPDATE api_keys SET revoked_at = ? WHERE member = ? AND revoked_at IS NULL", (now, name))
        return True

    def revoked(self) -> list[Member]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE revoked_at IS NOT NULL ORDER BY name"
            ).fetchall()
        return [_member(r) for r in rows]

    def count(self) -> int:
        with self._lock:
            n: int = self._db.execute("SELECT count(*) FROM members").fetchone()[0]
        return n


_MEMBER_COLUMNS = "name, role, legal_name, country, cert_pem, serial, source, created_at, revoked_reason, revoked_at"


def _member(row: tuple[str, str, str, str, bytes, str, str, int, str | None, int | None]) -> Member:
    return Member(*row)


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")
