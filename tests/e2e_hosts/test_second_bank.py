"""A second issuing bank joins the consortium across hosts, under load.

`deposits network add-org EuroBankOrg` on the network `up --hosts netns` made, while payers pay through
PlatformOrg's gateway: EuroBankOrg gets a host of its own (a namespace, the next address on the bridge, a link,
its ports published on the operator's 127.0.0.1), a data directory holding only its own private keys, and its
orderer, peer, chaincode server and gateway there. No request is lost; its issuer mints `EUR@EuroBankMSP`
through its own gateway with its own peer among the endorsers; a mint endorsed without that peer is refused at
validation. Runs after the partitions (files run in name order) and before test_zz_resume, which then takes
all four hosts down and brings them up again.
"""

from __future__ import annotations

import ipaddress
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from network.clients import connect_as
from network.endpoints import chaincode_server_name, gateway_name
from network.hosts import OrgHost
from network.netns import NetnsRuntime
from network.network import Network
from network.pki import OrgCrypto
from tests.e2e.conftest import new_id
from tests.e2e_addorg.joining import (
    EUROBANK_EUR,
    JOINING,
    JoinUnderLoad,
    apis_of,
    assert_endorsed_by,
    assert_joined,
    assert_no_request_lost,
    assert_refused_without_the_issuers_peer,
    contract_of,
    join_under_load,
)
from tests.e2e_hosts.checks import netns_of, own_keys_only, sees_only_its_own_directory

WORKERS = 2  # a bounded load: two payers, for as long as the join runs (and 2 s either side)


@pytest.fixture(scope="module")
def run(network: Network) -> JoinUnderLoad:
    return join_under_load(network, WORKERS, give_up_after=90)


@pytest.fixture(scope="module")
def joined(run: JoinUnderLoad, network: Network) -> Network:
    assert_joined(run)
    return Network.open(network.layout)


@pytest.fixture(scope="module")
def runtime(joined: Network) -> NetnsRuntime:
    assert isinstance(joined.runtime, NetnsRuntime)
    return joined.runtime


@pytest.fixture(scope="module")
def euro_host(runtime: NetnsRuntime) -> OrgHost:
    return runtime.plan.host(JOINING)


@pytest.fixture(scope="module")
def account(joined: Network) -> Iterator[str]:
    """A holder's account opened for this module, by the founding bank's issuer."""
    apis = apis_of(joined)
    try:
        acct = new_id("second-bank")
        body = {"id": acct, "holder": "PlatformOrg/buyer-us", "kyc_ref": f"KYC-{acct}"}
        apis["BankOrg/issuer"].ok("POST", "/v1/accounts", body)
    finally:
        for api in apis.values():
            api.http.close()
    yield acct


def _address(hex_address: str) -> str:
    """An address as /proc/net/tcp{,6} print it (32-bit words in host order); IPv4-mapped IPv6 as IPv4."""
    raw = b"".join(struct.pack("<I", int(hex_address[i : i + 8], 16)) for i in range(0, len(hex_address), 8))
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    v6 = ipaddress.IPv6Address(raw)
    return str(v6.ipv4_mapped or v6)


def _listening(pid: int) -> set[tuple[str, int]]:
    """Every (address, port) listening in pid's network namespace (its /proc view of TCP sockets): a server
    may take an IPv6 socket for an IPv4 address (gRPC's Python server does)."""
    out = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":  # LISTEN
                address, port = local.split(":")
                out.add((_address(address), int(port, 16)))
    return out


def test_a_second_bank_joins_across_hosts_under_load_and_no_request_is_lost(
    run: JoinUnderLoad, joined: Network, runtime: NetnsRuntime, euro_host: OrgHost
) -> None:
    status = joined.status()
    assert status["channel"]["members"] == ["AuditorMSP", "BankMSP", "EuroBankMSP", "PlatformMSP"]
    # Four consenters, each at its host's address (the new one at its own).
    at_hosts = sorted(f"{h.address}:{h.org.orderer.port}" for h in runtime.plan.orgs)
    assert sorted(status["channel"]["consenters"]) == at_hosts
    assert all(n["running"] and n["health"] == "OK" for n in status["nodes"]), status["nodes"]
    shown = {h["org"]: h for h in status["hosts"]}
    assert shown[JOINING] == {
        "org": JOINING,
        "namespace": euro_host.namespace,
        "address": euro_host.address,
        "link": "up",
    }
    assert_no_request_lost(joined, run)


def test_the_new_bank_runs_on_a_host_of_its_own_with_only_its_own_keys(
    joined: Network, runtime: NetnsRuntime, euro_host: OrgHost
) -> None:
    euro = euro_host.org
    founders = [h for h in runtime.plan.orgs if h is not euro_host]
    # The next free host number on the bridge, after the founders'.
    address = ipaddress.ip_address(euro_host.address)
    assert address in runtime.plan.subnet
    assert address == max(ipaddress.ip_address(h.address) for h in founders) + 1
    # Its orderer, peer, chaincode server and gateway run in its namespace, given its own directory's paths.
    services = [n for n in joined.all_service_names() if runtime.plan.host_of(n) is euro_host]
    assert sorted(services) == sorted([euro.orderer.id, euro.peer.id, chaincode_server_name(euro), gateway_name(euro)])
    namespace = f"net:[{os.stat(f'/run/netns/{euro_host.namespace}').st_ino}]"
    others = {netns_of(os.getpid())}
    for h in founders:
        pid = joined.runtime.pid(h.org.peer.id)
        assert pid is not None
        others.add(netns_of(pid))
    assert namespace not in others
    for name in services:
        pid = joined.runtime.pid(name)
        assert pid is not None, f"{name} is not running"
        assert netns_of(pid) == namespace, f"{name} is not in {euro_host.namespace}"
        sees_only_its_own_directory(joined, runtime, name)
    # Everything it serves listens on its host's address, and nowhere else.
    peer_pid = joined.runtime.pid(euro.peer.id)
    assert peer_pid is not None
    listening = _listening(peer_pid)
    assert {(euro_host.address, port) for port in euro_host.ports} <= listening
    assert all(a == euro_host.address for a, port in listening if port in euro_host.ports), listening
    crypto = OrgCrypto(joined.layout.crypto, euro)
    for node in (euro.orderer.id, euro.peer.id):
        cert = x509.load_pem_x509_certificate(crypto.node_tls(node).cert.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert address in sans.get_values_for_type(x509.IPAddress), node
    # Its directory holds the keys it made and the founders' public material; theirs hold its public material.
    keys = own_keys_only(joined, euro)
    for h in founders:
        assert not own_keys_only(joined, h.org) & keys, f"{h.org.name} shares a key with {JOINING}"


def test_the_new_banks_eur_is_minted_through_its_own_gateway_endorsed_by_its_peer(
    joined: Network, account: str
) -> None:
    apis = apis_of(joined)
    try:
        euro = apis[f"{JOINING}/issuer"]
        mint = {"account": account, "currency": "EUR", "amount": "12.34", "reserve_ref": new_id("R")}
        minted = euro.ok("POST", "/v1/mints", {**mint, "issuer": "EuroBankMSP"})
        assert (minted["currency"], minted["issuer"], minted["amount"]) == ("EUR", "EuroBankMSP", "12.34")
        assert_endorsed_by(joined, str(minted["tx_id"]), "EuroBankMSP")
        joined.wait_peers_in_sync(60)
        # The auditor, on its own host, sees the new bank's EUR apart from any other bank's.
        view = apis["AuditorOrg/auditor"].ok("GET", f"/v1/accounts/{account}")
        assert view["balances"][EUROBANK_EUR] == "12.34", view
        assert view["balances"].get("EUR", "0.00") == "0.00", view  # BankOrg's EUR: a different liability
    finally:
        for api in apis.values():
            api.http.close()


def test_a_mint_of_the_new_banks_eur_endorsed_without_its_peer_is_refused_at_validation(
    joined: Network, account: str
) -> None:
    minter = connect_as(joined.layout, joined.topology.org(JOINING), "issuer")
    reader = connect_as(joined.layout, joined.topology.org("AuditorOrg"), "auditor")
    try:
        assert_refused_without_the_issuers_peer(
            joined,
            contract_of(joined, minter),
            contract_of(joined, reader),
            "EuroBankMSP",
            ["BankMSP", "PlatformMSP"],
            account,
        )
    finally:
        minter.close()
        reader.close()
