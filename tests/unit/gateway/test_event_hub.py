"""The event hub: one peer stream for every subscriber, resumption, and each caller's own frames."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaincode import protocol
from gateway.api.events import frame
from gateway.directory import Caller, Directory
from gateway.event_hub import LOST, EventHub, HubEvent
from network import pki
from network.layout import Layout
from network.topology import load_topology
from tests.unit.gateway.fake_ledger import FakeLedger


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Directory]:
    layout = Layout(tmp_path_factory.mktemp("data"))
    topo = load_topology()
    pki.generate(layout.crypto, topo)
    return {org.name: Directory(topo, layout, org) for org in topo.orgs}


def caller(directories: dict[str, Directory], ref: str) -> Caller:
    org, name = ref.split("/")
    return next(c for c in directories[org].callers if c.name == name)


class World:
    def __init__(self, directories: dict[str, Directory]) -> None:
        self.d = directories
        self.ledger = FakeLedger()
        self.n = 0

    def write(self, ref: str, args: protocol.Args) -> None:
        who = caller(self.d, ref)
        endorsed = self.ledger.endorse(who, args.FUNCTION.value, [args.to_json()])
        self.ledger.submit(who, endorsed.envelope)

    def rid(self) -> str:
        self.n += 1
        return f"r{self.n}"

    def open(self, account: str, holder: str) -> None:
        msp, subject = self.d["BankOrg"].holder(holder) or ("", "")
        self.write("BankOrg/issuer", protocol.OpenAccount(account, msp, subject, "K", self.rid()))

    def mint(self, account: str, amount: int) -> None:
        self.write("BankOrg/issuer", protocol.Mint(account, "USD", amount, f"RES-{self.rid()}", self.rid()))

    def pay(self, holder: str, src: str, dst: str, amount: int) -> None:
        self.write(holder, protocol.Transfer(src, dst, "USD", amount, "INV", self.rid()))


@pytest.fixture
def world(directories: dict[str, Directory]) -> World:
    w = World(directories)
    w.open("acme", "PlatformOrg/buyer-us")
    w.open("shen", "PlatformOrg/seller-cn")
    w.mint("acme", 1000)
    return w


@pytest.fixture
def hub(world: World) -> Iterator[EventHub]:
    h = EventHub(world.ledger, world.d["PlatformOrg"].service, capacity=50)
    h.start()
    assert h.wait_started()
    yield h
    h.close()


async def take(sub: AsyncGenerator[HubEvent | str, None], n: int) -> list[HubEvent | str]:
    out: list[HubEvent | str] = []
    try:
        async with asyncio.timeout(5):
            while len(out) < n:
                out.append(await anext(sub))
    finally:
        await sub.aclose()
    return out


def tx_ids(items: list[HubEvent | str]) -> list[str]:
    return [i.ledger.tx_id for i in items if isinstance(i, HubEvent)]


def test_every_subscriber_reads_the_one_stream(world: World, hub: EventHub) -> None:
    async def scenario() -> list[list[HubEvent | str]]:
        subs = [hub.subscribe() for _ in range(20)]
        tasks = [asyncio.create_task(take(s, 3)) for s in subs]
        await asyncio.sleep(0.05)
        for _ in range(3):
            await asyncio.to_thread(world.pay, "PlatformOrg/buyer-us", "acme", "shen", 1)
        return await asyncio.gather(*tasks)

    seen = asyncio.run(scenario())
    assert all(tx_ids(s) == tx_ids(seen[0]) and len(tx_ids(s)) == 3 for s in seen)
    # One peer stream, opened by the gateway's service identity, for all twenty subscribers.
    assert world.ledger.event_readers == ["PlatformOrg/gateway"]
    assert hub.subscribers == 0


def test_resuming_inside_the_buffer_needs_no_peer_stream(world: World, hub: EventHub) -> None:
    async def scenario() -> tuple[list[HubEvent | str], list[HubEvent | str]]:
        live = asyncio.create_task(take(hub.subscribe(), 4))
        await asyncio.sleep(0.05)
        for _ in range(4):
            await asyncio.to_thread(world.pay, "PlatformOrg/buyer-us", "acme", "shen", 1)
        first = await live
        second = first[1]
        assert isinstance(second, HubEvent)
        return first, await take(hub.subscribe(after=second.key), 2)

    first, resumed = asyncio.run(scenario())
    assert tx_ids(resumed) == tx_ids(first)[2:]
    assert world.ledger.event_readers == ["PlatformOrg/gateway"]


def test_an_old_position_is_caught_up_from_the_peer_then_joins_the_buffer(world: World, hub: EventHub) -> None:
    history = [e.tx_id for e in world.ledger.world.events]  # committed before the hub started

    async def scenario() -> list[HubEvent | str]:
        sub = hub.subscribe(start_block=0)
        task = asyncio.create_task(take(sub, len(history) + 2))
        await asyncio.sleep(0.2)
        for _ in range(2):
            await asyncio.to_thread(world.pay, "PlatformOrg/buyer-us", "acme", "shen", 1)
        return await task

    items = asyncio.run(scenario())
    all_ids = [e.tx_id for e in world.ledger.world.events]
    assert tx_ids(items) == all_ids  # every event once, in order, across the hand-over
    assert world.ledger.event_readers == ["PlatformOrg/gateway", "PlatformOrg/gateway"]


def test_a_subscriber_that_falls_out_of_the_buffer_is_told(world: World, directories: dict[str, Directory]) -> None:
    hub = EventHub(world.ledger, directories["PlatformOrg"].service, capacity=2)
    hub.start()
    assert hub.wait_started()

    async def scenario() -> list[HubEvent | str]:
        sub = hub.subscribe()
        first = asyncio.create_task(anext(sub))
        await asyncio.sleep(0.05)
        for _ in range(5):
            await asyncio.to_thread(world.pay, "PlatformOrg/buyer-us", "acme", "shen", 1)
        await asyncio.sleep(0.1)
        items: list[HubEvent | str] = [await first]
        async with asyncio.timeout(5):
            async for item in sub:  # it reads one page, then finds it fell behind and ends
                items.append(item)
        return items

    try:
        items = asyncio.run(scenario())
    finally:
        hub.close()
    assert items[-1] == LOST


def frames_for(items: list[HubEvent | str], directories: dict[str, Directory], ref: str) -> list[dict[str, Any]]:
    org = ref.split("/")[0]
    viewer = directories[org].viewer(caller(directories, ref))
    out = []
    for item in items:
        assert isinstance(item, HubEvent)
        text = frame(item, viewer)
        if text is not None:
            out.append(json.loads(text.split("data: ", 1)[1]))
    return out


def test_each_caller_gets_its_own_events(world: World, hub: EventHub, directories: dict[str, Directory]) -> None:
    world.open("hooli", "PlatformOrg/seller-cn")

    async def scenario() -> list[HubEvent | str]:
        task = asyncio.create_task(take(hub.subscribe(start_block=0), len(world.ledger.world.events) + 1))
        await asyncio.sleep(0.1)
        await asyncio.to_thread(world.pay, "PlatformOrg/buyer-us", "acme", "shen", 5)
        return await task

    items = asyncio.run(scenario())
    everything = frames_for(items, directories, "AuditorOrg/auditor")
    assert [f["type"] for f in everything] == [
        "AccountOpened",
        "AccountOpened",
        "Minted",
        "AccountOpened",
        "Transferred",
    ]
    assert frames_for(items, directories, "BankOrg/issuer") == everything
    assert frames_for(items, directories, "PlatformOrg/operator") == everything
    buyer = frames_for(items, directories, "PlatformOrg/buyer-us")
    seller = frames_for(items, directories, "PlatformOrg/seller-cn")
    assert [(f["type"], f["payload"]["accounts"]) for f in buyer] == [
        ("AccountOpened", ["acme"]),
        ("Minted", ["acme"]),
        ("Transferred", ["acme", "shen"]),
    ]
    assert [(f["type"], f["payload"]["accounts"]) for f in seller] == [
        ("AccountOpened", ["shen"]),
        ("AccountOpened", ["hooli"]),
        ("Transferred", ["acme", "shen"]),
    ]


def test_an_unknown_payload_is_for_the_see_all_roles(directories: dict[str, Directory]) -> None:
    from gateway.ledger import LedgerEvent

    item = HubEvent(0, LedgerEvent(3, "t" * 64, "Other", b"not json"), None)
    assert frames_for([item], directories, "AuditorOrg/auditor")[0]["payload"] is None
    assert frames_for([item], directories, "PlatformOrg/buyer-us") == []
    assert frames_for([item], directories, "PlatformOrg/operator") == []


def test_the_service_identity_is_a_gateway_client(directories: dict[str, Directory]) -> None:
    from cryptography import x509

    service = directories["BankOrg"].service
    cert = x509.load_pem_x509_certificate((service.msp_dir / "signcerts" / "cert.pem").read_bytes())
    ous = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert ous == ["client", "gateway"]
    assert directories["BankOrg"].authenticate("gateway") is None
    assert Path(service.msp_dir).is_dir()
