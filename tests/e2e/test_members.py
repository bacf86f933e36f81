"""Issue 9 on the live network: members join and leave at runtime, with no restart and no topology edit.

A supplier is enrolled at PlatformOrg's gateway, the bank opens its account, a buyer pays it, it sees the
payment on its event stream and in its balance; its keys rotate; it survives a gateway restart. Revoking a
member stops its keys at once and puts its certificate in PlatformMSP's CRL on the channel: a proposal it
signs, sent straight to a peer with our Fabric client, is refused, while its balance stays readable.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

from chaincode import protocol
from gateway import fabric
from network.channel_config import revocation_lists
from network.endpoints import gateway_name
from network.network import Network
from network.pki import OrgCrypto
from tests.e2e.conftest import Api, Apis, connect_as, new_id

BANK, OPERATOR, BUYER, AUDITOR = "BankOrg/issuer", "PlatformOrg/operator", "PlatformOrg/buyer-us", "AuditorOrg/auditor"


def enroll(apis: Apis, name: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"name": name or new_id("sup"), "role": "holder", "legal_name": "Shenzhen Parts Co.", "country": "CN"}
    return apis[OPERATOR].ok("POST", "/v1/members", {**body, **extra})


_OPENED: list[Api] = []


def as_member(apis: Apis, enrolled: dict[str, Any], key: str | None = None) -> Api:
    api = Api(enrolled["ref"], apis[OPERATOR].url, key or enrolled["api_key"])
    _OPENED.append(api)
    return api


@pytest.fixture(autouse=True)
def _close_member_clients() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().http.close()


def open_and_fund(apis: Apis, holder: str, amount: str | None = None) -> str:
    acct = new_id("m")
    apis[BANK].ok("POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"})
    if amount:
        apis[BANK].ok(
            "POST", "/v1/mints", {"account": acct, "currency": "USD", "amount": amount, "reserve_ref": new_id("R")}
        )
    return acct


@pytest.fixture(scope="module")
def buyer_account(apis: Apis) -> str:
    return open_and_fund(apis, BUYER, "500.00")


def test_a_supplier_onboarded_at_runtime_is_paid_and_sees_it(apis: Apis, buyer_account: str) -> None:
    sup = enroll(apis)
    assert sup["ref"] == f"PlatformOrg/{sup['name']}" and sup["role"] == "holder" and sup["signing"] == "custodial"
    cert = x509.load_pem_x509_certificate(sup["certificate"].encode())
    assert format(cert.serial_number, "x") == sup["certificate_serial"]
    ous = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    assert ous == ["client"]
    member = as_member(apis, sup)
    assert member.ok("GET", "/v1/me") == {
        "org": "PlatformOrg",
        "name": sup["name"],
        "role": "holder",
        "msp_id": "PlatformMSP",
    }
    acct = open_and_fund(apis, sup["ref"])
    seen: list[dict[str, Any]] = []
    connected = threading.Event()

    def follow() -> None:
        h = {"Authorization": f"Bearer {member.api_key}"}
        with (
            httpx.Client(base_url=member.url, timeout=30) as http,
            http.stream("GET", "/v1/events", headers=h) as r,
        ):
            connected.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    if any(e["type"] == "Transferred" for e in seen):
                        return

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    assert connected.wait(10)
    paid = apis[BUYER].ok(
        "POST",
        "/v1/transfers",
        {"from": buyer_account, "to": acct, "currency": "USD", "amount": "42.00", "reference": "INV-M-1"},
    )
    t.join(30)
    assert paid["tx_id"] in [e["tx_id"] for e in seen if e["type"] == "Transferred"]
    apis.sync()
    assert member.ok("GET", f"/v1/accounts/{acct}")["balances"]["USD"] == "42.00"
    # It sees its own account and nobody else's.
    assert [a["id"] for a in member.ok("GET", "/v1/accounts")["accounts"]] == [acct]
    assert member.get(f"/v1/accounts/{buyer_account}").status_code == 404


def test_key_rotation_old_key_works_until_deleted(apis: Apis) -> None:
    sup = enroll(apis)
    name = sup["name"]
    issued = apis[OPERATOR].ok("POST", f"/v1/members/{name}/keys")
    old, new = as_member(apis, sup), as_member(apis, sup, issued["api_key"])
    assert old.get("/v1/me").status_code == 200 and new.get("/v1/me").status_code == 200
    keys = apis[OPERATOR].ok("GET", f"/v1/members/{name}")["keys"]
    assert {k["key_id"] for k in keys} == {sup["key_id"], issued["key_id"]}
    r = apis[OPERATOR].request("DELETE", f"/v1/members/{name}/keys/{sup['key_id']}")
    assert r.status_code == 204
    assert old.get("/v1/me").status_code == 401 and new.get("/v1/me").status_code == 200


def test_bad_input_is_refused_with_its_code_and_changes_nothing(apis: Apis) -> None:
    sup = enroll(apis)
    op = apis[OPERATOR]
    again = op.post("/v1/members", {"name": sup["name"], "role": "holder", "legal_name": "X", "country": "CN"})
    assert (again.status_code, again.json()["code"]) == (409, "MEMBER_EXISTS")
    rsa_less = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
    bad = op.post(
        "/v1/members", {"name": new_id("c"), "role": "holder", "legal_name": "X", "country": "CN", "csr": rsa_less}
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_CSR")
    wrong_curve = _csr(ec.generate_private_key(ec.SECP384R1()), "x-curve")
    bad = op.post(
        "/v1/members", {"name": "x-curve", "role": "holder", "legal_name": "X", "country": "CN", "csr": wrong_curve}
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_CSR")
    someone_else = _csr(ec.generate_private_key(ec.SECP256R1()), "buyer-us")
    bad = op.post(
        "/v1/members", {"name": "not-buyer", "role": "holder", "legal_name": "X", "country": "CN", "csr": someone_else}
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_CSR")
    for name in ("x-curve", "not-buyer"):
        assert op.get(f"/v1/members/{name}").json()["code"] == "UNKNOWN_MEMBER"
    assert op.get("/v1/members/nobody-here").status_code == 404
    nobody = apis[BANK].post("/v1/accounts", {"id": new_id("m"), "holder": "PlatformOrg/nobody-here", "kyc_ref": "K"})
    assert (nobody.status_code, nobody.json()["code"]) == (422, "UNKNOWN_HOLDER")


def _csr(key: ec.EllipticCurvePrivateKey, cn: str) -> str:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _straight_to_peer(network: Network, cert_pem: bytes, key: ec.EllipticCurvePrivateKey) -> fabric.Gateway:
    """Our Fabric client signing as the member, to PlatformOrg's peer, on a PlatformOrg TLS client pair."""
    org = network.topology.org("PlatformOrg")
    crypto = OrgCrypto(network.layout.crypto, org)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tls = crypto.user_tls("buyer-us")
    return fabric.connect(
        org.peer.address,
        crypto.tls_ca_cert.read_bytes(),
        fabric.Identity(org.msp_id, cert_pem),
        fabric.Signer.from_pem(pem),
        tls_client_cert_pem=tls.cert.read_bytes(),
        tls_client_key_pem=tls.key.read_bytes(),
    )


def test_revocation_keys_401_peers_refuse_balances_stay(network: Network, apis: Apis, buyer_account: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = new_id("own")
    own = enroll(apis, name, csr=_csr(key, name))
    assert own["signing"] == "offline"
    custodial = enroll(apis)
    acct = open_and_fund(apis, custodial["ref"])
    apis[BUYER].ok(
        "POST",
        "/v1/transfers",
        {"from": buyer_account, "to": acct, "currency": "USD", "amount": "7.00", "reference": "INV-M-REV"},
    )
    own_acct = open_and_fund(apis, own["ref"])
    gw = _straight_to_peer(network, own["certificate"].encode(), key)
    try:
        contract = gw.get_network(network.topology.channel).get_contract(network.topology.chaincode.name)
        read = protocol.GetAccount(own_acct)
        assert json.loads(contract.evaluate_transaction(read.FUNCTION.value, [read.to_json()]))["id"] == own_acct
        for enrolled in (own, custodial):
            r = apis[OPERATOR].ok("POST", f"/v1/members/{enrolled['name']}/revoke", {"reason": "left the marketplace"})
            assert r["status"] == "revoked" and r["revoked_reason"] == "left the marketplace"
        assert as_member(apis, custodial).get("/v1/me").status_code == 401
        assert as_member(apis, own).get("/v1/me").status_code == 401
        # Every peer has the CRL with both serials (the config block is the channel's, read as an admin would).
        block = _config_block(network)
        crls = revocation_lists(block, "PlatformMSP")
        assert set(crls) == {"Application", "Orderer"}
        crl = x509.load_pem_x509_crl(crls["Application"][0])
        serials = {format(c.serial_number, "x") for c in crl}
        assert {own["certificate_serial"], custodial["certificate_serial"]} <= serials
        # The peer refuses what the revoked certificate signs (it may take a moment to apply the block).
        deadline = time.monotonic() + 15
        refused: Exception | None = None
        while refused is None and time.monotonic() < deadline:
            try:
                contract.evaluate_transaction(read.FUNCTION.value, [read.to_json()])
                time.sleep(0.3)
            except fabric.GatewayError as exc:
                refused = exc
        assert refused is not None, "the peer still accepts the revoked certificate"
        assert refused.chaincode_code is None  # refused by the peer's MSP, not by the contract
    finally:
        gw.close()
    # Accounts and balances stay, readable by the bank and the auditor; the invariant holds.
    apis.sync()
    assert apis[AUDITOR].ok("GET", f"/v1/accounts/{acct}")["balances"]["USD"] == "7.00"
    assert apis[BANK].ok("GET", f"/v1/accounts/{acct}")["balances"]["USD"] == "7.00"
    assert all(f["invariant_holds"] for f in apis[AUDITOR].ok("GET", "/v1/supply").values())
    # The dev identities are untouched by PlatformMSP's CRL.
    assert apis[BUYER].get("/v1/me").status_code == 200
    apis[BUYER].ok(
        "POST",
        "/v1/transfers",
        {"from": buyer_account, "to": acct, "currency": "USD", "amount": "1.00", "reference": "INV-M-AFTER"},
    )


def _config_block(network: Network) -> bytes:
    org = network.topology.org("PlatformOrg")
    gw = connect_as(network, org, "admin")
    try:
        return (
            gw.get_network(network.topology.channel)
            .get_contract("cscc")
            .evaluate_transaction("GetConfigBlock", [network.topology.channel])
        )
    finally:
        gw.close()


def test_members_survive_a_gateway_restart(network: Network, apis: Apis) -> None:
    sup = enroll(apis)
    member = as_member(apis, sup)
    assert member.get("/v1/me").status_code == 200
    network.runtime.stop(gateway_name(network.topology.org("PlatformOrg")))
    network.start_gateways()
    assert member.get("/v1/me").status_code == 200
    assert apis[OPERATOR].ok("GET", f"/v1/members/{sup['name']}")["status"] == "active"
    state = network.layout.gateways / "PlatformOrg"
    for f in ("members.sqlite3", "member.key"):
        assert (state / f).stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" not in (state / "members.sqlite3").read_bytes()


ONBOARDERS = {"PlatformOrg/operator", "BankOrg/issuer"}


def test_auth_matrix_every_members_endpoint_by_every_role(apis: Apis) -> None:
    """Only each org's onboarder passes; every other role is a 403 and nothing is enrolled."""
    dev = [ref for ref in apis if ref.split("/")[1] != "admin"]
    for ref in dev:
        api = apis[ref]
        allowed = ref in ONBOARDERS
        name = new_id("mx")
        role = "holder" if ref.startswith("PlatformOrg") else "compliance"
        calls = [
            ("GET", "/v1/members", None, 200),
            ("GET", "/v1/members/nobody-here", None, 404),
            ("POST", "/v1/members/nobody-here/keys", None, 404),
            ("DELETE", "/v1/members/nobody-here/keys/0123456789abcdef", None, 404),
            ("POST", "/v1/members/nobody-here/revoke", {"reason": "test"}, 404),
            ("POST", "/v1/members", {"name": name, "role": role, "legal_name": "X", "country": "DE"}, 201),
        ]
        for method, path, body, ok_status in calls:
            r = api.request(method, path, body)
            expected = ok_status if allowed else 403
            assert r.status_code == expected, f"{ref} {method} {path} → {r.status_code} {r.text}"
        if allowed:
            assert api.ok("GET", f"/v1/members/{name}")["role"] == role


def _sign(key: ec.EllipticCurvePrivateKey, digest_b64: str) -> str:
    digest = base64.b64decode(digest_b64)
    return base64.b64encode(key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))).decode()


def test_a_member_with_its_own_key_pays_by_offline_signing(apis: Apis, buyer_account: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = new_id("byok")
    own = enroll(apis, name, csr=_csr(key, name))
    member = as_member(apis, own)
    acct = open_and_fund(apis, own["ref"], "20.00")
    pay = {"from": acct, "to": buyer_account, "currency": "USD", "amount": "5.00", "reference": "INV-BYOK"}
    started = member.post("/v1/transfers", pay, headers={"Signing": "offline"})
    assert started.status_code == 202, started.text
    sid, digest = started.json()["signing_id"], started.json()["proposal_digest"]
    wrong = _sign(ec.generate_private_key(ec.SECP256R1()), digest)
    bad = member.post(f"/v1/signing/{sid}", {"signature": wrong})
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_SIGNATURE")
    endorsed = member.post(f"/v1/signing/{sid}", {"signature": _sign(key, digest)})
    assert endorsed.status_code == 200, endorsed.text
    done = member.post(f"/v1/signing/{sid}", {"signature": _sign(key, endorsed.json()["transaction_digest"])})
    assert done.status_code == 201, done.text
    assert done.json()["status"] == "committed" and done.json()["block_number"] > 0
    apis.sync()
    assert apis[AUDITOR].ok("GET", f"/v1/accounts/{acct}")["balances"]["USD"] == "15.00"
    tx = apis[AUDITOR].ok("GET", f"/v1/transactions/{done.json()['tx_id']}")
    assert tx["validation_code"] == "VALID"


def _connections_to(pid: int, port: int) -> int:
    """Established TCP connections from process `pid` to 127.0.0.1:`port` (its sockets matched against the
    kernel's table)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            remote_port, state, inode = int(cols[2].rsplit(":", 1)[1], 16), cols[3], cols[9]
            found += remote_port == port and state == "01" and inode in inodes
    return found


def test_members_share_the_gateways_connection_to_its_peer(network: Network, apis: Apis) -> None:
    """However many members read and write, PlatformOrg's gateway keeps one connection to its peer for all of
    them (they all present the gateway's TLS pair): not one TCP and TLS session per member."""
    org = network.topology.org("PlatformOrg")
    pid = network.runtime.pid(gateway_name(org))
    assert pid is not None
    first = as_member(apis, enroll(apis))
    payee = open_and_fund(apis, first.ref)
    first.ok("GET", "/v1/accounts")  # the members' channel is dialled now, if no member has used it before
    before = _connections_to(pid, org.peer.port)
    members = [as_member(apis, enroll(apis)) for _ in range(4)]
    for member in members:
        acct = open_and_fund(apis, member.ref, "1.00")
        assert [a["id"] for a in member.ok("GET", "/v1/accounts")["accounts"]] == [acct]
        paid = member.ok(
            "POST", "/v1/transfers", {"from": acct, "to": payee, "currency": "USD", "amount": "0.01", "reference": "S"}
        )
        assert paid["status"] == "committed"
    assert before >= 1
    assert _connections_to(pid, org.peer.port) == before
