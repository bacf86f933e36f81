"""One live Fabric network per test session, started with the real CLI in a temporary data directory.

Every process it starts is stopped at the end of the session, whether tests passed or not.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench import clients as bench_clients
from gateway import fabric
from network.layout import Layout
from network.network import Network
from network.ports import reserve_port_block
from network.topology import Org, load_topology


def deposits(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `deposits` CLI as a user would; with check, a failure shows its stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "deposits", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"deposits {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deposits-network")


@pytest.fixture(scope="session")
def port_base() -> Iterator[int]:
    """A block of ports no other network on this host uses (held for the whole session), so the suite runs
    beside the demo's network or another suite."""
    with reserve_port_block(load_topology()) as base:
        yield base


@contextlib.contextmanager
def running_network(data_dir: Path, port_base: int) -> Iterator[Network]:
    """`deposits network up` on data_dir, and at the end `down` of whatever the data directory then holds
    (an org joined meanwhile included)."""
    net = Network.open(Layout(data_dir), port_base=port_base)
    try:
        result = deposits(data_dir, "network", "up", "--port-base", str(port_base), check=False)
        if result.returncode != 0:
            pytest.fail(f"deposits network up failed:\n{result.stderr[-4000:]}")
        yield net
    finally:
        Network.open(Layout(data_dir)).down()


@pytest.fixture(scope="session")
def network(data_dir: Path, port_base: int) -> Iterator[Network]:
    with running_network(data_dir, port_base) as net:
        yield net


class Api:
    """An HTTP client acting as one dev identity against its org's gateway."""

    def __init__(self, ref: str, url: str, api_key: str) -> None:
        self.ref = ref
        self.url = url
        self.api_key = api_key
        self.http = httpx.Client(base_url=url, timeout=60.0)

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        key: str | None = None,
        auth: str | None = "default",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        h = dict(headers or {})
        if auth == "default":
            h["Authorization"] = f"Bearer {self.api_key}"
        elif auth is not None:
            h["Authorization"] = auth
        if method == "POST":
            h["Idempotency-Key"] = key or uuid.uuid4().hex
        return self.http.request(method, path, json=body, headers=h)

    def post(self, path: str, body: object = None, **kw: Any) -> httpx.Response:
        return self.request("POST", path, body, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def ok(self, method: str, path: str, body: object = None, **kw: Any) -> dict[str, Any]:
        r = self.request(method, path, body, **kw)
        assert r.status_code in (200, 201), f"{self.ref} {method} {path} → {r.status_code} {r.text}"
        data: dict[str, Any] = r.json()
        return data


class Apis(dict[str, Api]):
    """Every dev identity's client; `sync()` waits until all peers have committed the same blocks."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        self.network = network

    def sync(self) -> int:
        """The height every peer has reached."""
        return self.network.wait_peers_in_sync()


@pytest.fixture(scope="session")
def apis(network: Network) -> Iterator[Apis]:
    out = Apis(network)
    for gw in network.gateways_status():
        for ident in gw["identities"]:
            out[ident["ref"]] = Api(ident["ref"], gw["url"], ident["api_key"])
    yield out
    for api in out.values():
        api.http.close()


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def connect_as(network: Network, org: Org, name: str) -> fabric.Gateway:
    """Our Fabric client as org's identity `name`, to org's peer, presenting that identity's TLS client pair."""
    return bench_clients.connect_as(network.layout, org, name)


@pytest.fixture(scope="session")
def contracts(network: Network) -> Iterator[dict[str, fabric.Contract]]:
    """A Fabric Gateway client (our own) per dev identity and org admin, straight to its org's peer."""
    out: dict[str, fabric.Contract] = {}
    gateways = []
    for org in network.topology.orgs:
        for name in ["admin", *(i.name for i in org.identities)]:
            gw = connect_as(network, org, name)
            gateways.append(gw)
            out[f"{org.name}/{name}"] = gw.get_network(network.topology.channel).get_contract(
                network.topology.chaincode.name
            )
    yield out
    for gw in gateways:
        gw.close()
