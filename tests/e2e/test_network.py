"""Issue 2 on the live network: channel membership, Raft fail-over, catch-up, restart keeps the ledger."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml

from chaincode import protocol
from gateway import fabric
from gateway.directory import Directory
from network.network import Network
from network.topology import DEFAULT_TOPOLOGY
from tests.e2e.conftest import Apis, deposits


def _heights(network: Network) -> list[int | None]:
    return [network.peer_height(org) for org in network.topology.orgs]


def test_up_gives_three_peers_joined_and_three_consenters(network: Network, data_dir: Path) -> None:
    status = json.loads(deposits(data_dir, "network", "status", "--json").stdout)
    assert status["channel"]["members"] == ["AuditorMSP", "BankMSP", "PlatformMSP"]
    assert sorted(status["channel"]["consenters"]) == sorted(o.address for o in network.topology.orderers)
    assert status["channel"]["raft_leader"] in {o.id for o in network.topology.orderers}
    assert {n["health"] for n in status["nodes"]} == {"OK"}
    peers = [n for n in status["nodes"] if n["kind"] == "peer"]
    assert len(peers) == 3 and all(n["height"] >= 1 for n in peers)
    cc = status["chaincode"]
    assert cc["sequence"] >= 1 and cc["current_code"] is True
    assert cc["servers"] == {"BankOrg": True, "PlatformOrg": True, "AuditorOrg": True}
    assert [g["org"] for g in status["gateways"]] == ["BankOrg", "PlatformOrg", "AuditorOrg"]
    assert all(i["api_key"] and i["role"] for g in status["gateways"] for i in g["identities"])


def test_second_up_is_harmless(network: Network, data_dir: Path) -> None:
    pids = {name: network.runtime.pid(name) for name in network.all_service_names()}
    deposits(data_dir, "network", "up")
    assert {name: network.runtime.pid(name) for name in network.all_service_names()} == pids


def test_every_peer_runs_under_the_topologys_memory_limit(network: Network) -> None:
    assert network.topology.peer_memory_limit is not None
    for org in network.topology.orgs:
        pid = network.runtime.pid(org.peer.id)
        assert pid is not None, org.peer.id
        env = dict(v.split("=", 1) for v in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in v)
        assert env.get("GOMEMLIMIT") == network.topology.peer_memory_limit, org.peer.id


def test_logs_shows_a_nodes_log(network: Network, data_dir: Path) -> None:
    out = deposits(data_dir, "network", "logs", network.topology.orgs[0].peer.id, "-n", "5").stdout
    assert len(out.splitlines()) == 5


def wait_until(
    predicate: Callable[[], bool], timeout: float = 30.0, state: Callable[[], object] = lambda: None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"condition not met within {timeout}s; state: {state()}")


def _commit_one(network: Network, contracts: dict[str, fabric.Contract]) -> int:
    """Open an account through the chaincode; returns the block it committed in."""
    holder = Directory(network.topology, network.layout, network.topology.orgs[1]).holder("PlatformOrg/buyer-us")
    assert holder is not None
    args = protocol.OpenAccount(f"net-{uuid.uuid4().hex[:10]}", *holder, "KYC-NET", uuid.uuid4().hex)
    return contracts["BankOrg/issuer"].submit_transaction(args.FUNCTION.value, [args.to_json()]).block_number


def test_a_block_commits_on_every_peer(network: Network, contracts: dict[str, fabric.Contract]) -> None:
    block = _commit_one(network, contracts)
    wait_until(lambda: all(h is not None and h > block for h in _heights(network)))


def test_raft_survives_losing_its_leader_and_the_old_leader_catches_up(
    network: Network, contracts: dict[str, fabric.Contract]
) -> None:
    leader = network.wait_for_leader()
    leader_org = next(o for o in network.topology.orgs if o.orderer.id == leader)
    network.stop_service(leader)
    try:
        wait_until(lambda: network.raft_leader() not in (None, leader))
        for _ in range(3):
            block = _commit_one(network, contracts)
        wait_until(lambda: all(h is not None and h > block for h in _heights(network)))
    finally:
        network.start_service(leader)
    # Traffic goes on after the restart; the old leader must catch up to the same height as the others.
    block = _commit_one(network, contracts)
    orderer_heights = lambda: [network.orderer_height(o) for o in network.topology.orgs]  # noqa: E731
    wait_until(lambda: orderer_heights() == [block + 1] * 3, state=lambda: (leader, block, orderer_heights()))
    assert leader_org.orderer.id == leader


def test_an_unreachable_peer_is_a_503_with_retry_after(network: Network, apis: Apis) -> None:
    org = network.topology.org("PlatformOrg")
    network.stop_service(org.peer.id)
    try:
        r = apis["PlatformOrg/operator"].get("/v1/supply")
        assert (r.status_code, r.json()["code"]) == (503, "LEDGER_UNAVAILABLE")
        assert int(r.headers["Retry-After"]) > 0
    finally:
        network.start_service(org.peer.id)
        network.wait_for_gossip()
    wait_until(lambda: apis["PlatformOrg/operator"].get("/v1/supply").status_code == 200)


def test_down_then_up_keeps_the_ledger(network: Network, contracts: dict[str, fabric.Contract], data_dir: Path) -> None:
    _commit_one(network, contracts)
    wait_until(lambda: len(set(_heights(network))) == 1)
    before = _heights(network)[0]
    assert before is not None
    deposits(data_dir, "network", "down")
    assert [n for n in network.all_service_names() if network.runtime.running(n)] == []
    deposits(data_dir, "network", "up")
    assert _heights(network) == [before] * 3
    block = _commit_one(network, contracts)
    assert block == before


def test_chaincode_upgrade_commits_the_next_sequence(
    network: Network, contracts: dict[str, fabric.Contract], data_dir: Path, tmp_path: Path
) -> None:
    before = network.chaincode.committed()
    assert before is not None
    raw = yaml.safe_load(DEFAULT_TOPOLOGY.read_text())
    raw["chaincode"]["version"] = "1.1"
    topology = tmp_path / "topology.yaml"
    topology.write_text(yaml.safe_dump(raw))
    deposits(data_dir, "--topology", str(topology), "chaincode", "upgrade")
    after = network.chaincode.committed()
    assert after is not None
    assert after.sequence == before.sequence + 1 and after.version.startswith("1.1+")
    _commit_one(network, contracts)  # the upgraded servers serve transactions
    deposits(data_dir, "network", "up")  # back to the topology's own definition: one more sequence
    restored = network.chaincode.committed()
    assert restored == type(before)(before.version, before.sequence + 2)
    _commit_one(network, contracts)


def test_a_taken_port_is_named_before_anything_starts(network: Network, tmp_path: Path) -> None:
    # The session's network holds every port; a second network in another data directory must refuse.
    other = tmp_path / "other"
    base = network.topology.port_base
    result = deposits(other, "network", "up", "--port-base", str(base), check=False)
    assert result.returncode == 1
    assert f"port {base} needed by orderer0.bank.example.com is already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (other / "pids").exists() and not (other / "crypto").exists()


def test_a_network_keeps_its_port_base(network: Network, data_dir: Path) -> None:
    # The genesis block names the orderers' ports: the session's data directory refuses another base.
    result = deposits(data_dir, "network", "up", "--port-base", str(network.topology.port_base + 100), check=False)
    assert result.returncode == 1
    assert f"holds a network on port base {network.topology.port_base}" in result.stderr
    assert "Traceback" not in result.stderr
    assert [n for n in network.all_service_names() if not network.runtime.running(n)] == []
