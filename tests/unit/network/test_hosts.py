"""The hosts runtime's pure parts: the plan of hosts, endpoints per org, each org's own directory, the
commands a service runs with (no namespace is made here: tests/e2e_hosts does that, as root)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from network import hosts, pki
from network.add_org import OrgJoin
from network.endpoints import CONTAINERS, NATIVE
from network.joined import record_joined, recorded_joined
from network.layout import Layout
from network.netns import NetnsRuntime
from network.network import Network
from network.runtime import Service
from network.topology import DEFAULT_TOPOLOGY, Topology, TopologyError, load_topology

TOPOLOGY = load_topology()
JOINED = TOPOLOGY.with_joined(["EuroBankOrg"])


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


def _assert_own_keys_and_the_others_public_material(layout: Layout, topology: Topology, plan: hosts.HostPlan) -> None:
    for org in topology.orgs:
        own = hosts.org_layout(layout, org).root
        assert (layout.crypto / org.name).resolve() == own / "crypto" / org.name
        keys = hosts.private_keys(own)
        assert keys and all(p.is_relative_to(own / "crypto" / org.name) for p in keys)
        for other in topology.orgs:
            if other is not org:
                assert (own / "crypto" / other.name / "msp" / "cacerts" / "ca.pem").is_file()
                assert (own / "crypto" / other.name / "users" / "admin" / "msp" / "signcerts" / "cert.pem").is_file()
        # A server's TLS certificate names its host's address (other orgs dial it there).
        cert = x509.load_pem_x509_certificate(pki.OrgCrypto(layout.crypto, org).node_tls(org.peer.id).cert.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert ipaddress.ip_address(plan.host(org.name).address) in sans.get_values_for_type(x509.IPAddress)


def test_keys_are_made_on_each_org_s_disk_and_only_public_material_crosses(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    plan = hosts.plan(TOPOLOGY)
    hosts.link_org_dirs(layout, TOPOLOGY)
    pki.generate(layout.crypto, TOPOLOGY, plan.endpoints())
    (layout.root / "config").mkdir()
    hosts.exchange(layout, TOPOLOGY)
    _assert_own_keys_and_the_others_public_material(layout, TOPOLOGY, plan)


def test_an_org_that_joins_later_takes_the_next_host_number_and_link() -> None:
    founders, joined = hosts.plan(TOPOLOGY), hosts.plan(JOINED)
    assert joined.orgs[:3] == founders.orgs and founders.of(JOINED) == joined
    euro = joined.host("EuroBankOrg")
    assert (euro.address, euro.namespace, euro.veth) == ("10.77.70.14", "td7050-eurobankorg", "td7050v3")
    names = [joined.bridge, *(h.veth for h in joined.orgs), *(h.inner_veth for h in joined.orgs)]
    assert all(len(n) <= 15 for n in names) and len(set(names)) == len(names)
    assert joined.endpoints().host("peer0.eurobank.example.com") == "10.77.70.14"


def test_a_joining_org_s_keys_are_made_on_its_own_disk_and_public_material_crosses_both_ways(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    founders = Network(TOPOLOGY, layout, tmp_path, tmp_path, runtime=hosts.HOSTS)
    founders.make_crypto()
    (layout.root / "config").mkdir()
    hosts.exchange(layout, TOPOLOGY)
    founders_keys = {p: p.read_bytes() for p in hosts.private_keys(layout.root / hosts.HOSTS)}
    copy = hosts.org_layout(layout, TOPOLOGY.org("BankOrg")).crypto / "AuditorOrg" / "tlsca" / "ca.pem"
    inode = copy.stat().st_ino
    # What add-org does across hosts: the joined view makes the new org's keys, then the runtime exchanges.
    founders.with_topology(JOINED).make_crypto()
    record_joined(layout, "EuroBankOrg")
    hosts.exchange(layout, JOINED)
    assert copy.stat().st_ino == inode  # unchanged files are left alone while the founders' services read them
    _assert_own_keys_and_the_others_public_material(layout, JOINED, hosts.plan(JOINED))
    new = {p for p in hosts.private_keys(layout.root / hosts.HOSTS) if p not in founders_keys}
    assert new and all(p.is_relative_to(tmp_path / "hosts" / "EuroBankOrg" / "crypto" / "EuroBankOrg") for p in new)
    assert all(p.read_bytes() == key for p, key in founders_keys.items())  # nothing of the founders' changed
    for org in JOINED.orgs:  # every org's own services read the same members as the operator
        assert recorded_joined(hosts.org_layout(layout, org)) == ["EuroBankOrg"]
    assert not list((tmp_path / "hosts").rglob(".exchange-*"))


def test_add_org_across_hosts_names_and_runs_the_new_org_on_its_own_host(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    join = OrgJoin(Network(TOPOLOGY, layout, tmp_path, tmp_path, runtime=hosts.HOSTS), "EuroBankOrg")
    euro = JOINED.org("EuroBankOrg")
    assert join._consenter() == ("10.77.70.14", euro.orderer.port)
    runtime = join.joined.runtime
    assert isinstance(runtime, NetnsRuntime)
    peer = runtime.on_host(join.joined.peer_service(euro))
    assert peer.argv[1:4] == ["netns", "exec", "td7050-eurobankorg"]
    assert peer.env["CORE_PEER_LISTENADDRESS"] == f"10.77.70.14:{euro.peer.port}"
    assert peer.env["CORE_PEER_MSPCONFIGPATH"].startswith(f"{tmp_path}/hosts/EuroBankOrg/")
    # On one host nothing changes: the new orderer is a consenter at 127.0.0.1.
    native = OrgJoin(Network(TOPOLOGY, layout, tmp_path, tmp_path), "EuroBankOrg")
    assert native._consenter() == ("127.0.0.1", euro.orderer.port)


def test_down_through_the_founders_view_removes_a_joined_org_s_host_too(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    runtime = NetnsRuntime(layout, TOPOLOGY, hosts.plan(TOPOLOGY))
    assert [h.org.name for h in runtime.hosts_made()] == ["BankOrg", "PlatformOrg", "AuditorOrg"]
    record_joined(layout, "EuroBankOrg")
    assert runtime.hosts_made() == hosts.plan(JOINED).orgs


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
