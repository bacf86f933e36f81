"""Console sessions: random ids, expiry, rotation at sign-in, CSRF tokens compared exactly."""

from __future__ import annotations

from gateway.console._sessions import Sessions, csrf_ok

S = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


def test_sign_in_rotates_the_id_and_token_and_ends_the_anonymous_session() -> None:
    sessions = Sessions()
    anon = sessions.open()
    signed = sessions.sign_in(anon, "key-1")
    assert signed.id != anon.id and signed.csrf != anon.csrf
    assert sessions.get(anon.id) is None
    assert sessions.get(signed.id) is signed and signed.api_key == "key-1"
    assert "key-1" not in repr(signed)


def test_idle_and_lifetime_expiry() -> None:
    clock = Clock()
    sessions = Sessions(idle=10, lifetime=25, clock=clock)
    s = sessions.open("k")
    clock.now = 9 * S
    assert sessions.get(s.id) is s  # restarts the idle clock
    clock.now = 18 * S
    assert sessions.get(s.id) is s
    clock.now = 26 * S  # within idle, past lifetime
    assert sessions.get(s.id) is None
    t = sessions.open("k")
    clock.now += 11 * S
    assert sessions.get(t.id) is None


def test_capacity_drops_the_oldest() -> None:
    sessions = Sessions(capacity=2)
    a, b, c = sessions.open(), sessions.open(), sessions.open()
    assert sessions.get(a.id) is None and sessions.get(b.id) is b and sessions.get(c.id) is c


def test_csrf() -> None:
    s = Sessions().open()
    assert csrf_ok(s, s.csrf)
    assert not csrf_ok(s, s.csrf[:-1] + ("A" if s.csrf[-1] != "A" else "B"))
    assert not csrf_ok(s, None) and not csrf_ok(s, "") and not csrf_ok(None, s.csrf)
