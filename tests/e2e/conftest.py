"""One live Fabric network per test session, started with the real CLI in a temporary data directory.

Every process it starts is stopped at the end of the session, whether tests passed or not.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from network.layout import Layout
from network.network import Network
from network.topology import load_topology


def deposits(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `deposits` CLI as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "network.cli", "--data-dir", str(data_dir), *args],
        capture_output=True, text=True, check=check, timeout=600,
    )


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deposits-network")


@pytest.fixture(scope="session")
def network(data_dir: Path) -> Iterator[Network]:
    net = Network.open(load_topology(), Layout(data_dir))
    try:
        result = deposits(data_dir, "network", "up", check=False)
        if result.returncode != 0:
            pytest.fail(f"deposits network up failed:\n{result.stderr[-4000:]}")
        yield net
    finally:
        net.down()
