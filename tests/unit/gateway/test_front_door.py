"""The front door over the in-memory app: who before what, caps, rate limits, stream caps, admission."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.api.deps import Components
from gateway.api.front_door import FrontDoorLimits, TokenBucket
from gateway.directory import Caller, Directory, ensure_api_keys
from gateway.event_hub import EventHub
from gateway.idempotency import IdempotencyStore
from gateway.service import WriteService
from network import pki
from network.layout import Layout
from network.topology import load_topology
from tests.unit.gateway.fake_ledger import FakeLedger

TRANSFER = {"from": "a-1", "to": "b-1", "currency": "USD", "amount": "1.00", "reference": "INV-1"}


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    layout = Layout(tmp_path_factory.mktemp("data"))
    pki.generate(layout.crypto, load_topology())
    return layout


def platform(layout: Layout, tmp: Path, limits: FrontDoorLimits) -> tuple[TestClient, dict[str, str]]:
    topo = load_topology()
    org = topo.org("PlatformOrg")
    ledger = FakeLedger()
    writes = WriteService(ledger, IdempotencyStore(tmp / "idem.sqlite3"))
    directory = Directory(topo, layout, org)
    components = Components(directory, ledger, writes, EventHub(ledger, directory.service))
    app = create_app(components, org=org.name, limits=limits)
    keys = ensure_api_keys(layout, org)
    return TestClient(app), {"Authorization": f"Bearer {keys['buyer-us']}"}


@pytest.fixture
def default(layout: Layout, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    client, auth = platform(layout, tmp_path, FrontDoorLimits(body_limit=1000))
    yield client, auth
    client.close()


def test_an_unknown_caller_is_refused_before_its_body_is_read(default: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = default
    read = []

    def body() -> Iterator[bytes]:
        for _ in range(100):
            read.append(1)
            yield b"x" * 10_000

    r = client.post("/v1/transfers", content=body(), headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"
    assert len(read) < 100  # the app answered without consuming the body


def test_an_oversized_body_is_413_by_its_length_or_by_its_bytes(default: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = default
    r = client.post("/v1/transfers", content=b"x" * 1001, headers={**auth, "Content-Type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "BODY_TOO_LARGE")
    chunked = client.post("/v1/transfers", content=iter([b"x" * 600, b"x" * 600]), headers=auth)
    assert (chunked.status_code, chunked.json()["code"]) == (413, "BODY_TOO_LARGE")
    fits = client.post("/v1/transfers", json=TRANSFER, headers={**auth, "Idempotency-Key": "k"})
    assert fits.status_code == 404  # past the door: the contract answers (no such account)


def test_each_key_has_a_rate_limit(layout: Layout, tmp_path: Path) -> None:
    client, auth = platform(layout, tmp_path, FrontDoorLimits(rate_per_key=1, burst_per_key=3))
    with client:
        statuses = [client.get("/v1/supply", headers=auth).status_code for _ in range(5)]
        limited = client.get("/v1/supply", headers=auth)
    assert statuses[:3] != [429] * 3 and statuses.count(429) >= 1
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1


def test_event_streams_per_key_are_capped(layout: Layout, tmp_path: Path) -> None:
    client, auth = platform(layout, tmp_path, FrontDoorLimits(streams_per_key=0))
    with client:
        r = client.get("/v1/events", headers=auth)
    assert (r.status_code, r.json()["code"]) == (429, "TOO_MANY_STREAMS") and r.headers["Retry-After"]


def test_writes_past_capacity_are_shed_with_503(layout: Layout, tmp_path: Path) -> None:
    client, auth = platform(layout, tmp_path, FrontDoorLimits(max_in_flight_writes=0, queue_timeout=1))
    with client:
        r = client.post("/v1/transfers", json=TRANSFER, headers={**auth, "Idempotency-Key": "k"})
        read = client.get("/v1/supply", headers=auth)
    assert (r.status_code, r.json()["code"]) == (503, "OVERLOADED") and r.headers["Retry-After"] == "1"
    assert read.status_code != 503  # reads are not queued behind writes


def test_the_token_bucket_refills_at_its_rate() -> None:
    now = [0]
    bucket = TokenBucket(rate=2, burst=2, clock=lambda: now[0])
    assert [bucket.take(), bucket.take()] == [0, 0]
    assert bucket.take() == 1
    now[0] += 500_000_000  # half a second: one token back
    assert bucket.take() == 0 and bucket.take() == 1


def test_a_request_looks_its_key_up_once(layout: Layout, tmp_path: Path) -> None:
    """The route takes the caller the front door authenticated, rather than a second lookup of the same key."""
    topo = load_topology()
    org = topo.org("PlatformOrg")
    looked_up: list[str] = []

    class Counting(Directory):
        def authenticate(self, api_key: str) -> Caller | None:
            looked_up.append(api_key)
            return super().authenticate(api_key)

    ledger = FakeLedger()
    directory = Counting(topo, layout, org)
    writes = WriteService(ledger, IdempotencyStore(tmp_path / "idem.sqlite3"))
    app = create_app(Components(directory, ledger, writes, EventHub(ledger, directory.service)), org=org.name)
    auth = {"Authorization": f"Bearer {ensure_api_keys(layout, org)['buyer-us']}"}
    with TestClient(app) as client:
        me = client.get("/v1/me", headers=auth)
        paid = client.post("/v1/transfers", json=TRANSFER, headers={**auth, "Idempotency-Key": "once"})
    assert me.status_code == 200 and me.json()["name"] == "buyer-us"
    assert paid.status_code == 404  # authenticated and past the door: the contract answers
    assert len(looked_up) == 2
