"""The network's pure parts: topology validation, PKI shapes, configtx, packages, the port check."""

from __future__ import annotations

import dataclasses
import gc
import json
import socket
import time
import warnings
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from network import configtx, pki, ports
from network.add_org import catch_up_lines
from network.chaincode_deploy import ChaincodeDeployer
from network.fabric_cli import FabricTools
from network.layout import Layout
from network.native import NativeRuntime, PortInUseError, Service
from network.nodes import peer_env
from network.topology import DEFAULT_TOPOLOGY, TopologyError, load_topology


def test_topology_names_three_orgs_each_with_an_orderer_and_a_peer() -> None:
    topo = load_topology()
    assert [o.msp_id for o in topo.orgs] == ["BankMSP", "PlatformMSP", "AuditorMSP"]
    assert len(topo.orderers) == 3 and len(topo.peers) == 3
    assert topo.org("BankOrg") is topo.org("BankMSP")


def test_topology_rejects_a_port_used_twice(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_TOPOLOGY.read_text())
    raw["orgs"][1]["peer"]["port"] = raw["orgs"][0]["peer"]["port"]
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ValueError, match="port 7051"):
        load_topology(path)


def test_each_peer_runs_under_the_topologys_memory_limit_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    topo = load_topology()
    bank = topo.org("BankOrg")
    assert topo.peer_memory_limit is not None
    assert peer_env(Layout(tmp_path), topo, bank, tmp_path)["GOMEMLIMIT"] == topo.peer_memory_limit
    unlimited = dataclasses.replace(topo, peer_memory_limit=None)
    assert "GOMEMLIMIT" not in peer_env(Layout(tmp_path), unlimited, bank, tmp_path)

    raw = yaml.safe_load(DEFAULT_TOPOLOGY.read_text())
    for bad in ("256MB", "0MiB", 256, "lots"):
        raw["peer_memory_limit"] = bad
        path = tmp_path / "t.yaml"
        path.write_text(yaml.safe_dump(raw))
        with pytest.raises(TopologyError, match="peer_memory_limit"):
            load_topology(path)


def test_pki_puts_the_role_in_the_certificate_and_keeps_existing_material(tmp_path: Path) -> None:
    topo = load_topology()
    pki.generate(tmp_path, topo)
    bank = topo.org("BankOrg")
    cert_path = pki.OrgCrypto(tmp_path, bank).user_msp("issuer") / "signcerts" / "cert.pem"
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ext = cert.extensions.get_extension_for_oid(pki.ATTRIBUTE_OID).value
    assert isinstance(ext, x509.UnrecognizedExtension)
    assert json.loads(ext.value) == {"attrs": {"role": "issuer"}}
    ous = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert ous == ["client"]
    admin = pki.OrgCrypto(tmp_path, bank).admin_msp() / "signcerts" / "cert.pem"
    assert "OU=admin" in x509.load_pem_x509_certificate(admin.read_bytes()).subject.rfc4514_string()
    before = cert_path.read_bytes()
    pki.generate(tmp_path, topo)
    assert cert_path.read_bytes() == before


def test_configtx_lists_every_orderer_as_consenter_and_every_org_with_an_anchor_peer(tmp_path: Path) -> None:
    topo = load_topology()
    doc = configtx.render(topo, tmp_path)["Profiles"][configtx.PROFILE]
    consenters = doc["Orderer"]["EtcdRaft"]["Consenters"]
    assert [(c["Host"], c["Port"]) for c in consenters] == [("127.0.0.1", o.port) for o in topo.orderers]
    anchors = [o["AnchorPeers"][0]["Port"] for o in doc["Application"]["Organizations"]]
    assert anchors == [p.port for p in topo.peers]


def test_chaincode_packages_are_reproducible_and_distinct_per_org(tmp_path: Path) -> None:
    topo = load_topology()
    layout = Layout(tmp_path)
    deployer = ChaincodeDeployer(topo, layout, FabricTools(tmp_path, tmp_path, layout, topo))
    _, first = deployer.package(topo.orgs[0])
    _, again = deployer.package(topo.orgs[0])
    _, other = deployer.package(topo.orgs[1])
    assert first == again != other
    assert first.startswith("deposits_1.0:")


def test_port_in_use_is_reported_with_the_service_and_port(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        runtime = NativeRuntime(Layout(tmp_path))
        with pytest.raises(PortInUseError, match=f"port {port} needed by peer0.test"):
            runtime.check_ports([Service("peer0.test", ["true"], {}, ports=(port,))])


def test_native_runtime_starts_and_stops_a_process(tmp_path: Path) -> None:
    runtime = NativeRuntime(Layout(tmp_path))
    pid = runtime.start(Service("sleeper", ["sleep", "30"], {}))
    assert runtime.pid("sleeper") == pid
    assert runtime.start(Service("sleeper", ["sleep", "30"], {})) == pid  # idempotent
    assert runtime.stop("sleeper")
    assert runtime.pid("sleeper") is None
    assert not runtime.stop("sleeper")


def test_a_node_outlives_the_runtime_object_that_started_it_without_a_warning(tmp_path: Path) -> None:
    # Tests make a Network (and a runtime) per step; the pytest session fails on a Popen collected
    # while its child runs, or after it exited unreaped.
    first = NativeRuntime(Layout(tmp_path))
    running = first.start(Service("sleeper", ["sleep", "30"], {}))
    first.start(Service("quitter", ["true"], {}))
    del first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gc.collect()
        later = NativeRuntime(Layout(tmp_path))
        assert later.pid("sleeper") == running
        deadline = time.monotonic() + 10
        while later.pid("quitter") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert later.pid("quitter") is None
        assert later.stop("sleeper")
        gc.collect()
    assert later.pid("sleeper") is None


def test_a_port_base_moves_every_port_by_the_same_offset() -> None:
    topo = load_topology()
    moved = topo.with_port_base(20050)
    assert moved.port_base == 20050 and moved.port_span == topo.port_span
    assert [p - 13000 for _, p in moved.ports()] == [p for _, p in topo.ports()]
    assert moved.org("PlatformOrg").peer.address == f"127.0.0.1:{topo.org('PlatformOrg').peer.port + 13000}"
    assert moved.org("BankOrg").core_port == 7090 + 13000  # the reference core's port moves too
    assert moved.org("PlatformOrg").core_port is None  # only BankOrg runs a core
    assert topo.with_port_base(None) is topo
    with pytest.raises(ValueError, match=r"outside 1024\.\.65535"):
        topo.with_port_base(64000)


def test_a_data_directory_remembers_its_port_base(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    ports.record_port_base(layout, load_topology().with_port_base(20050))
    assert ports.topology_for(layout).port_base == 20050
    with pytest.raises(ports.PortBaseMismatchError, match="port base 20050"):
        ports.record_port_base(layout, load_topology())


def test_reserved_port_blocks_are_free_and_never_shared(tmp_path: Path) -> None:
    topo = load_topology()
    with ports.reserve_port_block(topo, tmp_path) as first, ports.reserve_port_block(topo, tmp_path) as second:
        assert first != second
        assert abs(first - second) >= topo.port_span
        for base in (first, second):
            for _, port in topo.with_port_base(base).ports():
                with socket.socket() as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Fabric's and uvicorn's listeners
                    s.bind(("127.0.0.1", port))


def test_a_node_that_does_not_catch_up_is_reported_with_its_block_lines_only() -> None:
    def line(n: int, logger: str, text: str) -> str:
        return (
            f"\x1b[34m2026-12-03 18:31:12.{n:03d} UTC 006{n % 10} INFO\x1b[0m [{logger}] \x1b[34;1mrun\x1b[0m -> {text}"
        )

    log = "\n".join(
        [
            line(1, "orderer.consensus.etcdraft", "4 switched to configuration voters=()"),
            line(2, "comm.grpc.server", "streaming call completed"),
            line(3, "orderer.commmon.follower", "Onboarding finished successfully"),
            line(4, "orderer.consensus.etcdraft", "4 switched to configuration voters=(1)"),
            line(5, "orderer.common.broadcast", "Rejecting broadcast: no Raft leader"),
        ]
    )
    told = catch_up_lines(log, keep=2).splitlines()
    assert [t.split(" -> ")[1] for t in told] == [
        "Onboarding finished successfully",
        "4 switched to configuration voters=(1)",
    ]
    assert "\x1b" not in "".join(told) and told[1].startswith("2026-12-03 18:31:12.004 UTC")
    assert catch_up_lines("") == ""
