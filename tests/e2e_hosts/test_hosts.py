"""Each org on its own host: its services in its own network namespace, on its own address, its own keys on
its own disk only; the payment story crosses the hosts."""

from __future__ import annotations

import ipaddress
import os
import uuid

from cryptography import x509

from network.netns import NetnsRuntime
from network.network import Network
from network.pki import OrgCrypto
from tests.e2e.conftest import Api
from tests.e2e_hosts.checks import netns_of, own_keys_only, sees_only_its_own_directory


def test_every_service_runs_in_its_orgs_namespace_on_its_address(network: Network, netns_runtime: NetnsRuntime) -> None:
    seen: dict[str, str] = {}
    for name in network.all_service_names():
        host = netns_runtime.plan.host_of(name)
        assert host is not None, name
        pid = network.runtime.pid(name)
        assert pid is not None, f"{name} is not running"
        ns = netns_of(pid)
        assert ns != netns_of(os.getpid()), f"{name} runs in the operator's namespace"
        assert seen.setdefault(host.org.name, ns) == ns, f"{name} is not in {host.org.name}'s namespace"
    assert len(set(seen.values())) == len(network.topology.orgs)
    # The channel names each orderer at its host's address, and each node's TLS certificate carries it.
    consenters = (network.channel_config() or {})["consenters"]
    assert sorted(consenters) == sorted(f"{h.address}:{h.org.orderer.port}" for h in netns_runtime.plan.orgs)
    for host in netns_runtime.plan.orgs:
        crypto = OrgCrypto(network.layout.crypto, host.org)
        for node in (host.org.orderer.id, host.org.peer.id):
            cert = x509.load_pem_x509_certificate(crypto.node_tls(node).cert.read_bytes())
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert ipaddress.ip_address(host.address) in sans.get_values_for_type(x509.IPAddress), node
        assert ipaddress.ip_address(host.address) in netns_runtime.plan.subnet


def test_no_org_holds_another_orgs_private_key(network: Network, netns_runtime: NetnsRuntime) -> None:
    keys = {org.name: own_keys_only(network, org) for org in network.topology.orgs}
    names = list(keys)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not keys[a] & keys[b], f"{a} and {b} share a private key"
    # Each org's processes are given paths in its own directory only.
    for name in network.all_service_names():
        sees_only_its_own_directory(network, netns_runtime, name)


def test_the_payment_story_crosses_the_hosts(apis: dict[str, Api]) -> None:
    """Mint at the bank's host, pay at the platform's, read at the auditor's, redeem and settle across."""
    run = uuid.uuid4().hex[:8]
    bank, buyer, seller = apis["BankOrg/issuer"], apis["PlatformOrg/buyer-us"], apis["PlatformOrg/seller-cn"]
    auditor = apis["AuditorOrg/auditor"]
    payer, payee = f"story-us-{run}", f"story-cn-{run}"
    bank.ok("POST", "/v1/accounts", {"id": payer, "holder": "PlatformOrg/buyer-us", "kyc_ref": f"KYC-{run}"})
    bank.ok("POST", "/v1/accounts", {"id": payee, "holder": "PlatformOrg/seller-cn", "kyc_ref": f"KYC-{run}"})
    mint = {"account": payer, "currency": "USD", "amount": "1000.00", "reserve_ref": f"RES-{run}"}
    bank.ok("POST", "/v1/mints", mint)
    pay = {"from": payer, "to": payee, "currency": "USD", "amount": "250.50", "reference": f"INV-{run}"}
    paid = buyer.ok("POST", "/v1/transfers", pay)
    assert paid["block_number"] > 0
    red = seller.ok("POST", "/v1/redemptions", {"account": payee, "currency": "USD", "amount": "100.00"})
    bank.ok("POST", f"/v1/redemptions/{red['redemption_id']}/settle", {"payout_ref": f"WIRE-{run}"})
    assert seller.ok("GET", f"/v1/redemptions/{red['redemption_id']}")["status"] == "settled"
    # The auditor's own peer, on its own host, has every step.
    assert auditor.ok("GET", f"/v1/accounts/{payer}")["balances"]["USD"] == "749.50"
    assert auditor.ok("GET", f"/v1/accounts/{payee}")["balances"]["USD"] == "150.50"
    assert all(f["invariant_holds"] for f in auditor.ok("GET", "/v1/supply").values())
