"""A network of its own for add-org (its channel grows, so it is not the shared e2e session's network): the
founders come up with the real CLI, the tests add EuroBankOrg, and every process is stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from network.joined import recorded_joined
from network.layout import Layout
from network.network import Network
from network.ports import reserve_port_block
from network.topology import load_topology
from tests.e2e.conftest import deposits


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deposits-addorg")


@pytest.fixture(scope="session")
def port_base() -> Iterator[int]:
    with reserve_port_block(load_topology()) as base:
        yield base


@pytest.fixture(scope="session")
def founders(data_dir: Path, port_base: int) -> Iterator[Network]:
    net = Network.open(Layout(data_dir), port_base=port_base)
    try:
        result = deposits(data_dir, "network", "up", "--port-base", str(port_base), check=False)
        if result.returncode != 0:
            pytest.fail(f"deposits network up failed:\n{result.stderr[-4000:]}")
        yield net
    finally:
        Network.open(Layout(data_dir)).down()  # the joined network's services too


@pytest.fixture(scope="session")
def joined(founders: Network, data_dir: Path) -> Network:
    """The network once EuroBankOrg has joined: by test_add_org's run under load, else here."""
    if "EuroBankOrg" not in recorded_joined(Layout(data_dir)):
        deposits(data_dir, "network", "add-org", "EuroBankOrg")
    return Network.open(Layout(data_dir))
