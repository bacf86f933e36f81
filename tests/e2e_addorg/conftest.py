"""A network of its own for add-org (its channel grows, so it is not the shared e2e session's network): the
founders come up with the real CLI, the tests add EuroBankOrg, and every process is stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from network.joined import recorded_joined
from network.layout import Layout
from network.network import Network
from tests.e2e.conftest import deposits, port_base, running_network

__all__ = ["port_base"]  # the suite's fixture: a reserved block of ports


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deposits-addorg")


@pytest.fixture(scope="session")
def founders(data_dir: Path, port_base: int) -> Iterator[Network]:
    with running_network(data_dir, port_base) as net:
        yield net


@pytest.fixture(scope="session")
def joined(founders: Network, data_dir: Path) -> Network:
    """The network once EuroBankOrg has joined: by test_add_org's run under load, else here."""
    if "EuroBankOrg" not in recorded_joined(Layout(data_dir)):
        deposits(data_dir, "network", "add-org", "EuroBankOrg")
    return Network.open(Layout(data_dir))
