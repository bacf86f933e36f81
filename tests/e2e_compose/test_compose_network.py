"""The consortium in containers: the same checks as the native runtime, on `--runtime compose`.

Membership and consenters, the chaincode committed, the demo's payment flow through the gateways, Raft
fail-over and catch-up, idempotent `up`, logs, and `down` leaving no container or network behind.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from network.compose._engine import PROJECT_LABEL, connect
from network.compose._runtime import project_name
from network.network import Network
from tests.e2e_compose.conftest import deposits

NODE_KEYS = {"name", "kind", "org", "msp_id", "address", "running", "pid", "health", "height"}


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"condition not met within {timeout}s")


def heights(network: Network) -> list[int | None]:
    return [network.peer_height(org) for org in network.topology.orgs]


def probe_transaction(network: Network) -> None:
    """Commit one transaction that needs no chaincode function: BankOrg approves a throwaway definition for
    the next sequence (a lifecycle write; `approveformyorg` waits until its peer has committed it)."""
    committed = network.chaincode.committed()
    assert committed is not None
    cc = network.topology.chaincode
    network.tools.peer_retrying(
        network.topology.orgs[0],
        "lifecycle", "chaincode", "approveformyorg",
        "-C", network.topology.channel, "-n", cc.name,
        "--version", f"probe-{uuid.uuid4().hex[:8]}", "--sequence", str(committed.sequence + 1),
        "--package-id", network.chaincode.package_id(network.topology.orgs[0]),
        "--signature-policy", cc.endorsement_policy,
        *orderer_args(network),
    )  # fmt: skip


def orderer_args(network: Network) -> list[str]:
    """`-o` and mutual TLS flags, as the first org's admin, for an orderer that is running (the first org's
    may be the one stopped)."""
    org = next(o for o in network.topology.orgs if network.runtime.running(o.orderer.id))
    return network.tools.orderer_tls_args(network.topology.orgs[0], org)


def test_status_reports_three_joined_peers_and_three_consenters_by_container_name(
    network: Network, data_dir: Path, topology_file: Path
) -> None:
    status = json.loads(deposits(data_dir, topology_file, "network", "status", "--json").stdout)
    assert status["runtime"] == "compose"
    assert set(status) == {
        "runtime",
        "data_dir",
        "fabric_version",
        "channel",
        "nodes",
        "chaincode",
        "gateways",
        "cores",
    }
    assert status["channel"]["members"] == ["AuditorMSP", "BankMSP", "PlatformMSP"]
    assert sorted(status["channel"]["consenters"]) == sorted(f"{o.id}:{o.port}" for o in network.topology.orderers)
    assert status["channel"]["raft_leader"] in {o.id for o in network.topology.orderers}
    for node in status["nodes"]:
        assert set(node) == NODE_KEYS
        assert node["running"] and node["health"] == "OK" and isinstance(node["pid"], int)
    peers = [n for n in status["nodes"] if n["kind"] == "peer"]
    assert len(peers) == 3 and all(n["height"] >= 1 for n in peers)
    assert all(gw["running"] for gw in status["gateways"])
    assert [c["org"] for c in status["cores"]] == ["BankOrg"] and all(c["running"] for c in status["cores"])
    assert status["chaincode"]["current_code"] and all(status["chaincode"]["servers"].values())


def test_the_chaincode_is_committed_with_the_current_sources(network: Network) -> None:
    committed = network.chaincode.committed()
    assert committed is not None and committed.version == network.chaincode.wanted_version()


def test_the_payment_flow_runs_through_the_gateways_in_containers(
    network: Network, data_dir: Path, topology_file: Path
) -> None:
    before = heights(network)
    result = deposits(data_dir, topology_file, "demo", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = heights(network)
    assert all(b is not None and a is not None and a > b for a, b in zip(after, before, strict=True))


def test_raft_survives_losing_its_leader_and_the_leader_catches_up(network: Network) -> None:
    leader = network.wait_for_leader()
    assert network.stop_service(leader)
    try:
        wait_until(lambda: network.raft_leader() not in (None, leader))
        probe_transaction(network)
    finally:
        network.start_service(leader)
    org = next(o for o in network.topology.orgs if o.orderer.id == leader)
    others = [o for o in network.topology.orgs if o is not org]
    wait_until(lambda: network.orderer_height(org) == network.orderer_height(others[0]))
    probe_transaction(network)
    wait_until(lambda: len({network.orderer_height(o) for o in network.topology.orgs}) == 1)


def test_second_up_is_harmless(network: Network, data_dir: Path, topology_file: Path) -> None:
    pids = {name: network.runtime.pid(name) for name in network.all_service_names()}
    deposits(data_dir, topology_file, "network", "up")
    assert {name: network.runtime.pid(name) for name in network.all_service_names()} == pids


def test_logs_come_from_the_container(network: Network, data_dir: Path, topology_file: Path) -> None:
    out = deposits(data_dir, topology_file, "network", "logs", network.topology.orgs[0].peer.id, "-n", "5").stdout
    assert len(out.splitlines()) == 5


def test_zz_down_removes_every_container_and_the_network(network: Network, data_dir: Path, topology_file: Path) -> None:
    deposits(data_dir, topology_file, "network", "down")
    label = f"{PROJECT_LABEL}={project_name(network.layout)}"
    client = connect()
    try:
        assert client.containers.list(all=True, filters={"label": label}) == []
        assert client.networks.list(filters={"label": label}) == []
    finally:
        client.close()
    assert (data_dir / "channel").is_dir()  # data stays
