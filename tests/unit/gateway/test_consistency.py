"""`Min-Block`: a request acts once this org's peer has the block its client saw, or answers 503 LEDGER_BEHIND."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi.testclient import TestClient

from gateway.consistency import MAX_AHEAD, BlockWait, await_block
from gateway.directory import Caller
from gateway.errors import LedgerBehind
from gateway.ledger import Ledger
from network.layout import Layout
from tests.unit.gateway.fake_gateways import BLOCK_WAIT, FakeGateways, dev_layout


class Heights:
    """A ledger whose peer reports the given heights, one per question (the last one from then on)."""

    def __init__(self, *heights: int) -> None:
        self.heights = list(heights)
        self.asked = 0

    def height(self, caller: Caller) -> int:
        self.asked += 1
        return self.heights.pop(0) if len(self.heights) > 1 else self.heights[0]


class Clock:
    def __init__(self) -> None:
        self.ns = 0
        self.sleeps: list[float] = []

    def now(self) -> int:
        return self.ns

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.ns += int(seconds * 1_000_000_000)


def wait_for(heights: Heights, block: int, clock: Clock) -> int:
    # Only `height` is asked of the ledger, and the reader is passed through to it unread.
    ledger, reader = cast(Ledger, heights), cast(Caller, object())
    return await_block(ledger, reader, block, BlockWait(within_ms=200, every_ms=50), clock=clock.now, sleep=clock.sleep)


def test_a_block_the_peer_has_is_not_waited_for() -> None:
    clock = Clock()
    assert wait_for(Heights(8), 7, clock) == 8
    assert clock.sleeps == []


def test_the_wait_ends_when_the_peer_commits_the_block() -> None:
    clock, ledger = Clock(), Heights(7, 7, 8)
    assert wait_for(ledger, 7, clock) == 8
    assert (ledger.asked, clock.sleeps) == (3, [0.05, 0.05])


def test_a_block_that_does_not_come_within_the_wait_is_503_ledger_behind() -> None:
    clock, ledger = Clock(), Heights(7)
    with pytest.raises(LedgerBehind, match="blocks up to 6, not yet block 7") as raised:
        wait_for(ledger, 7, clock)
    assert (raised.value.status, raised.value.code, raised.value.headers()) == (
        503,
        "LEDGER_BEHIND",
        {"Retry-After": "1"},
    )
    assert sum(clock.sleeps) == pytest.approx(0.2) and ledger.asked == 5


def test_a_block_far_past_the_peer_is_refused_without_waiting() -> None:
    clock = Clock()
    with pytest.raises(LedgerBehind):
        wait_for(Heights(7), 7 + MAX_AHEAD, clock)
    assert clock.sleeps == []


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture
def gateways(layout: Layout, tmp_path: Path) -> Iterator[FakeGateways]:
    gws = FakeGateways(layout, tmp_path)
    yield gws
    gws.close()


def test_the_api_takes_min_block_on_reads_and_writes(gateways: FakeGateways) -> None:
    auditor = {"Authorization": f"Bearer {gateways.keys['AuditorOrg/auditor']}"}
    issuer = {"Authorization": f"Bearer {gateways.keys['BankOrg/issuer']}"}
    with TestClient(gateways.apps["AuditorOrg"]) as audit, TestClient(gateways.apps["BankOrg"]) as bank:
        opened = bank.post(
            "/v1/accounts",
            json={"id": "mb-1", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K"},
            headers={**issuer, "Idempotency-Key": "mb-1"},
        )
        assert opened.status_code == 201, opened.text
        seen = opened.json()["block_number"]
        read = audit.get("/v1/accounts/mb-1", headers={**auditor, "Min-Block": str(seen)})
        assert read.status_code == 200 and read.json()["id"] == "mb-1"
        ahead = audit.get("/v1/supply", headers={**auditor, "Min-Block": str(seen + 1)})
        assert (ahead.status_code, ahead.json()["code"], ahead.headers["Retry-After"]) == (503, "LEDGER_BEHIND", "1")
        for bad in ("-1", "x", "1.5"):
            refused = audit.get("/v1/supply", headers={**auditor, "Min-Block": bad})
            assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_ARGUMENT"), bad
        write = bank.post(
            "/v1/accounts",
            json={"id": "mb-2", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K"},
            headers={**issuer, "Idempotency-Key": "mb-2", "Min-Block": str(seen + MAX_AHEAD)},
        )
        assert (write.status_code, write.json()["code"]) == (503, "LEDGER_BEHIND")
    assert BLOCK_WAIT.within_ms <= 100  # the fuzz sends blocks the fake has not reached: they wait this long
