"""Each org on its own host: its services in its own network namespace, on its own address, its own keys on
its own disk only; the payment story crosses the hosts."""

from __future__ import annotations

import ipaddress
import os
import re
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from network import hosts
from network.netns import NetnsRuntime
from network.network import Network
from network.pki import OrgCrypto
from tests.e2e.conftest import Api


def _netns(pid: int) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_every_service_runs_in_its_orgs_namespace_on_its_address(network: Network, netns_runtime: NetnsRuntime) -> None:
    seen: dict[str, str] = {}
    for name in network.all_service_names():
        host = netns_runtime.plan.host_of(name)
        assert host is not None, name
        pid = network.runtime.pid(name)
        assert pid is not None, f"{name} is not running"
        ns = _netns(pid)
        assert ns != _netns(os.getpid()), f"{name} runs in the operator's namespace"
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


_PEM_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----")


def _fingerprints(path: Path) -> set[bytes]:
    """The public keys of every PEM private key in the file (a key file, or JSON that embeds one)."""
    out = set()
    for block in _PEM_KEY.findall(path.read_bytes().replace(b"\\n", b"\n")):
        key = serialization.load_pem_private_key(block, None)
        out.add(
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    return out


def test_no_org_holds_another_orgs_private_key(network: Network, netns_runtime: NetnsRuntime) -> None:
    keys: dict[str, set[bytes]] = {}
    for org in network.topology.orgs:
        own = hosts.org_layout(network.layout, org).root
        made = {fp for p in hosts.private_keys(own / "crypto" / org.name) for fp in _fingerprints(p)}
        assert made, f"{org.name} holds no key at all"
        # Every private key anywhere in its directory (node ledgers, the gateway's state...) is one it made.
        for path in hosts.private_keys(own):
            assert _fingerprints(path) <= made, f"{org.name} holds another's key in {path.relative_to(own)}"
        keys[org.name] = made
        # What it has of the others is public: their MSP and TLS certificates, nothing to sign with.
        for other in network.topology.orgs:
            if other.name != org.name:
                public = own / "crypto" / other.name
                assert (public / "msp" / "cacerts" / "ca.pem").is_file()
                assert (public / "tlsca" / "ca.pem").is_file()
                assert not hosts.private_keys(public)
    names = list(keys)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not keys[a] & keys[b], f"{a} and {b} share a private key"
    # Each org's processes are given paths in its own directory only.
    for name in network.all_service_names():
        host = netns_runtime.plan.host_of(name)
        pid = network.runtime.pid(name)
        assert host is not None and pid is not None
        own_dir = str(hosts.org_layout(network.layout, host.org).root)
        for key, value in _environ(pid).items():
            for part in value.replace(",", " ").replace("[", " ").replace("]", " ").split():
                if part.startswith(str(network.layout.root)):
                    assert part == own_dir or part.startswith(own_dir + "/"), f"{name}: {key}={part}"


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
