"""One network across hosts per test session (`deposits network up --hosts netns`), removed at the end.

A separate target: `DEPOSITS_HOSTS_TESTS=1 pytest tests/e2e_hosts` (run by .ci/run after the main suite). It
needs root (network namespaces, veth pairs, a bridge, NAT rules); without the variable the tests are skipped.
At the end every process is stopped and every namespace, link and rule the network made is removed, whether
the tests passed or not; a leftover fails the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from network.layout import Layout
from network.netns import NetnsRuntime
from network.network import Network
from network.ports import reserve_port_block
from network.topology import load_topology
from tests.e2e.conftest import Api, deposits

REQUIRED = os.environ.get("DEPOSITS_HOSTS_TESTS") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e_hosts" in str(item.path):
            item.add_marker(pytest.mark.hosts)
            if not REQUIRED:
                item.add_marker(pytest.mark.skip(reason="multi-host tests need root: set DEPOSITS_HOSTS_TESTS=1"))


@pytest.fixture(scope="session")
def port_base() -> Iterator[int]:
    with reserve_port_block(load_topology()) as base:
        yield base


@pytest.fixture(scope="session")
def network(tmp_path_factory: pytest.TempPathFactory, port_base: int) -> Iterator[Network]:
    if os.geteuid() != 0:
        pytest.fail("DEPOSITS_HOSTS_TESTS=1 but not root: network namespaces need root")
    data_dir: Path = tmp_path_factory.mktemp("deposits-hosts")
    net = Network.open(Layout(data_dir), runtime="hosts", port_base=port_base)
    assert isinstance(net.runtime, NetnsRuntime)
    try:
        result = deposits(data_dir, "network", "up", "--hosts", "netns", "--port-base", str(port_base), check=False)
        if result.returncode != 0:
            pytest.fail(f"deposits network up --hosts netns failed:\n{result.stderr[-4000:]}")
        yield net
    finally:
        deposits(data_dir, "network", "down", check=False)
        # By pid file and by what the data directory recorded: an org joined meanwhile is counted too.
        left = [n for n in net.runtime.names() if net.runtime.running(n)]
        made = net.runtime.made()
        net.down()  # whatever the CLI's `down` left: our processes by pid file, then namespaces and rules
        assert not left and not made, f"left after `down`: processes {left}, on the machine {made}"


@pytest.fixture(scope="session")
def netns_runtime(network: Network) -> NetnsRuntime:
    assert isinstance(network.runtime, NetnsRuntime)
    return network.runtime


@pytest.fixture(scope="session")
def apis(network: Network) -> Iterator[dict[str, Api]]:
    out = {
        i["ref"]: Api(i["ref"], gw["url"], i["api_key"]) for gw in network.gateways_status() for i in gw["identities"]
    }
    yield out
    for api in out.values():
        api.http.close()
