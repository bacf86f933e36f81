"""The compose runtime's pure parts: the generated file, the runtime seam, the engine error, runtime.json."""

from __future__ import annotations

import json
from pathlib import Path

import docker.errors
import pytest
import yaml

from network import configtx
from network.chaincode_deploy import ChaincodeDeployer
from network.compose import ComposeCommandError, DockerUnavailableError
from network.compose._engine import connect, remove_project
from network.compose.examples import EXAMPLE_DATA_DIR, EXAMPLE_FILE, example_compose_file
from network.endpoints import CONTAINERS, NATIVE
from network.fabric_cli import FabricTools
from network.layout import Layout
from network.network import Network
from network.nodes import peer_env
from network.runtime import RuntimeMismatchError, record_runtime, recorded_runtime
from network.topology import load_topology


def test_the_committed_example_is_what_the_generator_writes() -> None:
    assert EXAMPLE_FILE.read_text() == example_compose_file(), (
        "network/compose/examples/docker-compose.yaml is stale: regenerate it with "
        "`deposits network compose-file --example > network/compose/examples/docker-compose.yaml`"
    )


def test_every_service_publishes_its_ports_on_loopback_only_under_the_same_numbers() -> None:
    topo = load_topology()
    doc = yaml.safe_load(example_compose_file())
    services = doc["services"]
    expected = {o.orderer.id for o in topo.orgs} | {o.peer.id for o in topo.orgs}
    expected |= {f"chaincode.{o.domain}" for o in topo.orgs} | {f"gateway.{o.domain}" for o in topo.orgs}
    expected |= {f"core.{o.domain}" for o in topo.orgs if o.core_port is not None}
    expected |= {f"books.{o.domain}" for o in topo.orgs if any(i.role == "treasury" for i in o.identities)}
    assert set(services) == expected
    published = []
    for svc in services.values():
        for spec in svc["ports"]:
            host, outside, inside = spec.split(":")
            assert host == "127.0.0.1" and outside == inside
            published.append(int(inside))
        assert f"{EXAMPLE_DATA_DIR}:{EXAMPLE_DATA_DIR}" in svc["volumes"]
        assert all(v.endswith(":ro") for v in svc["volumes"][1:])
        assert svc["networks"] == ["deposits"]
    assert sorted(published) == sorted(p for _, p in topo.ports())


def test_images_are_chosen_by_program_and_left_to_the_env_file() -> None:
    services = yaml.safe_load(example_compose_file())["services"]
    assert services["orderer0.bank.example.com"]["image"] == "${DEPOSITS_ORDERER_IMAGE}"
    assert services["peer0.bank.example.com"]["command"] == ["peer", "node", "start"]
    assert services["chaincode.bank.example.com"]["command"] == ["python", "-m", "chaincode.server"]
    assert services["gateway.bank.example.com"]["image"] == "${DEPOSITS_PYTHON_IMAGE}"


def test_in_containers_nodes_listen_everywhere_and_are_reached_by_name(tmp_path: Path) -> None:
    topo = load_topology()
    bank = topo.org("BankOrg")
    env = peer_env(Layout(tmp_path), topo, bank, tmp_path, CONTAINERS)
    assert env["CORE_PEER_LISTENADDRESS"] == "0.0.0.0:7051"
    assert env["CORE_PEER_ADDRESS"] == env["CORE_PEER_GOSSIP_EXTERNALENDPOINT"] == "peer0.bank.example.com:7051"
    assert env["CORE_OPERATIONS_LISTENADDRESS"] == "0.0.0.0:7444"
    native = peer_env(Layout(tmp_path), topo, bank, tmp_path, NATIVE)
    assert native["CORE_PEER_ADDRESS"] == native["CORE_PEER_LISTENADDRESS"] == "127.0.0.1:7051"

    doc = configtx.render(topo, tmp_path, CONTAINERS)["Profiles"][configtx.PROFILE]
    consenters = doc["Orderer"]["EtcdRaft"]["Consenters"]
    assert [(c["Host"], c["Port"]) for c in consenters] == [(o.id, o.port) for o in topo.orderers]
    assert doc["Orderer"]["Addresses"] == [f"{o.id}:{o.port}" for o in topo.orderers]
    orgs = doc["Application"]["Organizations"]
    assert [o["AnchorPeers"] for o in orgs] == [[{"Host": p.id, "Port": p.port}] for p in topo.peers]
    assert [o["OrdererEndpoints"] for o in orgs] == [[f"{o.id}:{o.port}"] for o in topo.orderers]


def test_the_chaincode_package_points_at_the_server_by_name_in_containers(tmp_path: Path) -> None:
    topo = load_topology()
    bank = topo.org("BankOrg")
    layout = Layout(tmp_path)
    tools = FabricTools(tmp_path, tmp_path, layout, topo)
    native, contained = ChaincodeDeployer(topo, layout, tools), ChaincodeDeployer(topo, layout, tools, CONTAINERS)
    assert native.package_id(bank) != contained.package_id(bank)
    svc = contained.server_service(bank)
    assert svc.env["CHAINCODE_SERVER_ADDRESS"] == "0.0.0.0:7060"
    assert svc.env["CHAINCODE_ID"] == contained.package_id(bank)


def test_gateways_in_containers_are_told_their_peer_by_name(tmp_path: Path) -> None:
    topo = load_topology()
    layout = Layout(tmp_path)
    bank = topo.org("BankOrg")
    contained = Network(topo, layout, tmp_path, tmp_path, runtime="compose").gateway_service(bank)
    assert contained.env["DEPOSITS_GATEWAY_PEER_ADDRESS"] == "peer0.bank.example.com:7051"
    assert contained.env["DEPOSITS_GATEWAY_HOST"] == "0.0.0.0"
    native = Network(topo, layout, tmp_path, tmp_path).gateway_service(bank)
    assert "DEPOSITS_GATEWAY_PEER_ADDRESS" not in native.env and "DEPOSITS_GATEWAY_HOST" not in native.env


def test_the_runtime_is_remembered_and_a_switch_is_refused(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "data")
    assert recorded_runtime(layout) is None
    record_runtime(layout, "compose")
    assert json.loads(layout.runtime_file.read_text()) == {"runtime": "compose"}
    record_runtime(layout, "compose")
    with pytest.raises(RuntimeMismatchError, match="network clean"):
        record_runtime(layout, "native")


def test_a_missing_engine_says_how_to_install_and_start_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    with pytest.raises(DockerUnavailableError) as info:
        connect()
    message = str(info.value)
    assert "apt-get install -y docker.io docker-compose" in message
    assert "daemon.json" in message and "dockerd" in message


class _Response:
    status_code = 409
    reason = "Conflict"
    url = "http+docker://localhost/containers/x"


class _Removing:
    """A container the engine is already removing: a second removal is a 409 until it is gone."""

    def __init__(self, engine: _Engine) -> None:
        self.engine, self.name, self.id = engine, "peer0", "x"

    def remove(self, force: bool) -> None:
        self.engine.removals += 1
        if self.engine.removals >= 2:
            self.engine.listed = []
        raise docker.errors.APIError(
            "conflict", response=_Response(), explanation="removal of container x is already in progress"
        )


class _Engine:
    def __init__(self) -> None:
        self.removals = 0
        self.listed: list[object] = [_Removing(self)]
        self.containers, self.networks = self, _Networks()

    def list(self, all: bool, filters: object) -> list[object]:
        return list(self.listed)


class _Networks:
    def __init__(self) -> None:
        self.removed = 0

    def list(self, filters: object) -> list[_Networks]:
        return [self] if not self.removed else []

    def remove(self) -> None:
        self.removed += 1


def test_a_removal_already_in_progress_is_waited_for_not_a_failure() -> None:
    engine = _Engine()
    remove_project(engine, "p", wait_s=5)  # type: ignore[arg-type]
    assert engine.removals == 2 and engine.listed == [] and engine.networks.removed == 1


def test_a_container_that_never_goes_away_fails_down_with_its_name() -> None:
    engine = _Engine()
    engine.removals = -(10**9)  # never reaches the removal that makes it vanish
    with pytest.raises(ComposeCommandError, match="peer0"):
        remove_project(engine, "p", wait_s=0.6)  # type: ignore[arg-type]
