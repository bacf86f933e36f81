"""The hosts runtime's pure parts: the plan of hosts, endpoints per org, each org's own directory, the
commands a service runs with (no namespace is made here: tests/e2e_hosts does that, as root)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from network import hosts, pki
from network.endpoints import CONTAINERS, NATIVE
from network.layout import Layout
from network.netns import NetnsRuntime
from network.runtime import Service
from network.topology import DEFAULT_TOPOLOGY, TopologyError, load_topology

TOPOLOGY = load_topology()


def test_each_org_gets_an_address_of_the_network_s_own_subnet_and_short_interface_names() -> None:
    plan = hosts.plan(TOPOLOGY)
    assert str(plan.subnet) == "10.77.70.0/24" and plan.host_address == "10.77.70.1"
    assert [h.address for h in plan.orgs] == ["10.77.70.11", "10.77.70.12", "10.77.70.13"]
    moved = hosts.plan(TOPOLOGY.with_port_base(12050))
    assert str(moved.subnet) == "10.77.120.0/24" and moved.prefix != plan.prefix
    for p in (plan, moved):
        names = [p.bridge, *(h.veth for h in p.orgs), *(h.inner_veth for h in p.orgs)]
        assert all(len(n) <= 15 for n in names) and len(set(names)) == len(names)  # Linux's IFNAMSIZ
    bank = plan.host("BankMSP")
    assert plan.host_of("peer0.bank.example.com") is bank and plan.host_of("gateway.bank.example.com") is bank
    assert plan.host_of("something-else") is None


def test_a_topology_without_a_hosts_section_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_TOPOLOGY.read_text())
    del raw["hosts"]
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(TopologyError, match="hosts"):
        hosts.plan(load_topology(path), path)


def test_each_org_listens_on_and_is_reached_at_its_host_address() -> None:
    plan = hosts.plan(TOPOLOGY)
    ep = plan.endpoints()
    bank, platform = TOPOLOGY.org("BankOrg"), TOPOLOGY.org("PlatformOrg")
    assert ep.address(bank.peer.id, bank.peer.port) == f"10.77.70.11:{bank.peer.port}"
    assert ep.host("chaincode.platform.example.com") == "10.77.70.12"
    assert ep.on(platform).listen(platform.gateway_port) == f"10.77.70.12:{platform.gateway_port}"
    assert ep.dials_by_address and CONTAINERS.dials_by_address and not NATIVE.dials_by_address
    assert NATIVE.on(bank) is NATIVE and CONTAINERS.on(bank) is CONTAINERS  # one host: nothing changes


def test_an_org_s_services_see_only_its_own_directory(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "data")
    bank = TOPOLOGY.org("BankOrg")
    own = f"{tmp_path}/data/hosts/BankOrg"
    env = {
        "DIR": str(layout.root),
        "ONE": f"{layout.root}/crypto/BankOrg/tls/server.key",
        "LIST": f"[{layout.root}/crypto/BankOrg/tlsca/ca.pem,{layout.root}/crypto/AuditorOrg/tlsca/ca.pem]",
        "ELSEWHERE": "/usr/bin:/bin",
        "SIBLING": f"{layout.root}-other/x",
    }
    assert hosts.own_env(layout, bank, env) == {
        "DIR": own,
        "ONE": f"{own}/crypto/BankOrg/tls/server.key",
        "LIST": f"[{own}/crypto/BankOrg/tlsca/ca.pem,{own}/crypto/AuditorOrg/tlsca/ca.pem]",
        "ELSEWHERE": "/usr/bin:/bin",
        "SIBLING": f"{layout.root}-other/x",
    }


def test_keys_are_made_on_each_org_s_disk_and_only_public_material_crosses(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    plan = hosts.plan(TOPOLOGY)
    hosts.link_org_dirs(layout, TOPOLOGY)
    pki.generate(layout.crypto, TOPOLOGY, plan.endpoints())
    (layout.root / "config").mkdir()
    hosts.exchange(layout, TOPOLOGY)
    for org in TOPOLOGY.orgs:
        own = hosts.org_layout(layout, org).root
        assert (layout.crypto / org.name).resolve() == own / "crypto" / org.name
        keys = hosts.private_keys(own)
        assert keys and all(p.is_relative_to(own / "crypto" / org.name) for p in keys)
        for other in TOPOLOGY.orgs:
            if other is not org:
                assert (own / "crypto" / other.name / "msp" / "cacerts" / "ca.pem").is_file()
                assert (own / "crypto" / other.name / "users" / "admin" / "msp" / "signcerts" / "cert.pem").is_file()
        # A server's TLS certificate names its host's address (other orgs dial it there).
        cert = x509.load_pem_x509_certificate(pki.OrgCrypto(layout.crypto, org).node_tls(org.peer.id).cert.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert ipaddress.ip_address(plan.host(org.name).address) in sans.get_values_for_type(x509.IPAddress)


def test_a_service_runs_in_its_org_s_namespace_with_its_org_s_paths(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    plan = hosts.plan(TOPOLOGY)
    runtime = NetnsRuntime(layout, TOPOLOGY, plan)
    svc = Service("peer0.auditor.example.com", ["/bin/peer", "node", "start"], {"X": f"{tmp_path}/nodes/p"})
    placed = runtime.on_host(svc)
    assert placed.argv[1:4] == ["netns", "exec", plan.host("AuditorOrg").namespace]
    assert placed.argv[4:] == svc.argv
    assert placed.env == {"X": f"{tmp_path}/hosts/AuditorOrg/nodes/p"}


def test_every_port_of_an_org_is_published_on_the_operator_s_loopback() -> None:
    plan = hosts.plan(TOPOLOGY)
    rules = NetnsRuntime(Layout(Path("/nonexistent")), TOPOLOGY, plan)._rules()
    dnat = [" ".join(rule) for table, rule in rules if table == "nat" and "DNAT" in rule]
    for host in plan.orgs:
        (rule,) = [r for r in dnat if r.endswith(f"--to-destination {host.address}")]
        assert f"--dports {','.join(map(str, host.ports))}" in rule
        assert {host.org.gateway_port, host.org.peer.port, host.org.orderer.admin_port} <= set(host.ports)
    assert all("tokenized-deposits:" + plan.prefix in rule for _, rule in rules)
