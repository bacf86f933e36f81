"""Issue 2 on the live network: channel membership, Raft fail-over, catch-up, restart keeps the ledger."""

from __future__ import annotations

import json
import time
from pathlib import Path

from network.network import Network
from tests.e2e.conftest import deposits


def _heights(network: Network) -> list[int | None]:
    return [network.peer_height(org) for org in network.topology.orgs]


def test_up_gives_three_peers_joined_and_three_consenters(network: Network, data_dir: Path) -> None:
    status = json.loads(deposits(data_dir, "network", "status", "--json").stdout)
    assert status["channel"]["members"] == ["AuditorMSP", "BankMSP", "PlatformMSP"]
    assert sorted(status["channel"]["consenters"]) == ["127.0.0.1:7050", "127.0.0.1:8050", "127.0.0.1:9050"]
    assert status["channel"]["raft_leader"] in {o.id for o in network.topology.orderers}
    assert {n["health"] for n in status["nodes"]} == {"OK"}
    peers = [n for n in status["nodes"] if n["kind"] == "peer"]
    assert len(peers) == 3 and all(n["height"] >= 1 for n in peers)


def test_second_up_is_harmless(network: Network, data_dir: Path) -> None:
    pids = {name: network.runtime.pid(name) for name in network.all_service_names()}
    deposits(data_dir, "network", "up")
    assert {name: network.runtime.pid(name) for name in network.all_service_names()} == pids


def test_logs_shows_a_nodes_log(network: Network, data_dir: Path) -> None:
    out = deposits(data_dir, "network", "logs", network.topology.orgs[0].peer.id, "-n", "5").stdout
    assert len(out.splitlines()) == 5


def wait_until(predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"condition not met within {timeout}s")
