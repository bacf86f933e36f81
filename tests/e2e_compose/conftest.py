"""One network in containers per test session (`deposits network up --runtime compose`), removed at the end.

A separate, slower target: `pytest tests/e2e_compose`. Without a Docker engine the tests are skipped, unless
DEPOSITS_COMPOSE_TESTS=1 (as in CI, which installs and starts the engine first), where a missing engine
fails them. The topology is the default one with every port moved up by PORT_OFFSET, so this suite never
collides with a native network on the default ports; containers still publish each port on 127.0.0.1
under its own number.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from network.compose import ComposeError, project_name
from network.compose._engine import compose_cli, connect, remove_project
from network.layout import Layout
from network.network import Network
from network.topology import DEFAULT_TOPOLOGY

PORT_OFFSET = 10000
REQUIRED = os.environ.get("DEPOSITS_COMPOSE_TESTS") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e_compose" in str(item.path):
            item.add_marker(pytest.mark.compose)


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Skip (or, with DEPOSITS_COMPOSE_TESTS=1, fail) unless a Docker engine and the compose CLI answer."""
    try:
        compose_cli()
        connect().close()
    except ComposeError as exc:
        if REQUIRED:
            pytest.fail(f"DEPOSITS_COMPOSE_TESTS=1 but Docker is not usable: {exc}")
        pytest.skip(
            "no Docker engine (run scripts/docker-setup.sh as root; DEPOSITS_COMPOSE_TESTS=1 makes this a failure): "
            + str(exc).splitlines()[0]
        )


def deposits(data_dir: Path, topology: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the `deposits` CLI as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "deposits", "--data-dir", str(data_dir), "--topology", str(topology), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=900,
    )


@pytest.fixture(scope="session")
def topology_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = yaml.safe_load(DEFAULT_TOPOLOGY.read_text())
    for org in raw["orgs"]:
        for node in ("orderer", "peer"):
            org[node] = {k: v + PORT_OFFSET if k.endswith("port") else v for k, v in org[node].items()}
        org["chaincode_server_port"] += PORT_OFFSET
        org["gateway_port"] += PORT_OFFSET
    path = tmp_path_factory.mktemp("topology") / "topology.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deposits-compose")


def remove_everything(layout: Layout) -> None:
    """Whatever `down` may have missed: every container and network labelled with the data dir's project."""
    client = connect()
    try:
        remove_project(client, project_name(layout))
    finally:
        client.close()


@pytest.fixture(scope="session")
def network(docker_engine: None, data_dir: Path, topology_file: Path) -> Iterator[Network]:
    layout = Layout(data_dir)
    try:
        result = deposits(data_dir, topology_file, "network", "up", "--runtime", "compose", check=False)
        if result.returncode != 0:
            pytest.fail(f"deposits network up --runtime compose failed:\n{result.stderr[-6000:]}")
        yield Network.open(layout, topology_file)
    finally:
        deposits(data_dir, topology_file, "network", "down", check=False)
        remove_everything(layout)
