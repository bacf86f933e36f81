"""Console sessions: a random id in the cookie, the identity's API key only here, in the server's memory.

Why not the key in the cookie: a cookie is copied into every request, browser profile and proxy log; a
session id can be revoked (sign-out, expiry) and is worthless once the process restarts, while the key is
the identity. The key is held server-side so each request authenticates afresh (a revoked member's
session stops at once), and it is never written to disk, a page, a URL or a log.

Every visitor gets a session (anonymous until signed in) so that the sign-in form, like every other form,
carries a synchronizer CSRF token; signing in issues a NEW session id and token (no session fixation).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

_NS = 1_000_000_000


@dataclass(slots=True)
class Session:
    id: str
    csrf: str
    created_ns: int
    seen_ns: int
    api_key: str | None = field(default=None, repr=False)  # never in a repr, so never in a traceback

    @property
    def signed_in(self) -> bool:
        return self.api_key is not None


class Sessions:
    """In memory, bounded: the oldest sessions go first when `capacity` is reached.

    idle: seconds without a request before a session ends; lifetime: seconds after which it ends anyway.
    """

    def __init__(
        self,
        *,
        idle: int = 15 * 60,
        lifetime: int = 8 * 3600,
        capacity: int = 10_000,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._idle_ns = idle * _NS
        self._lifetime_ns = lifetime * _NS
        self._capacity = capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._by_id: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._by_id)

    def open(self, api_key: str | None = None) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now, api_key)
        with self._lock:
            self._by_id[session.id] = session
            while len(self._by_id) > self._capacity:
                self._by_id.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id (its idle clock restarted), or None."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._by_id.get(session_id)
            if session is None:
                return None
            if now - session.seen_ns > self._idle_ns or now - session.created_ns > self._lifetime_ns:
                del self._by_id[session_id]
                return None
            session.seen_ns = now
            self._by_id.move_to_end(session_id)
            return session

    def sign_in(self, old: Session, api_key: str) -> Session:
        """A new session (new id, new CSRF token) holding the key; the old one ends."""
        self.close(old.id)
        return self.open(api_key)

    def close(self, session_id: str) -> None:
        with self._lock:
            self._by_id.pop(session_id, None)


def csrf_ok(session: Session | None, token: str | None) -> bool:
    """Whether the form's token is the session's (compared in constant time)."""
    if session is None or not token:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode())
