"""Members at runtime without a network: the CA's certificates and CRL, the members database, enrollment
input rules, the onboarding API over the fake ledger, and the revocation config update."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import msp_config_pb2
from fastapi.testclient import TestClient

from chaincode import access
from chaincode.stub import Creator
from gateway.ca import LocalCA, Revoked
from gateway.directory import ensure_api_keys
from gateway.errors import BadRequest, InvalidCsr, MemberExists, TopologyIdentity, UnknownApiKey, UnknownMember
from gateway.members import MemberStore, Sealer
from gateway.onboarding import Members
from network.channel_config import revocation_lists, revocation_update
from network.layout import Layout
from network.pki import ATTRIBUTE_OID, OrgCrypto
from network.topology import load_topology
from tests.unit.gateway.fake_gateways import FakeGateways, dev_layout

PLATFORM = load_topology().org("PlatformOrg")


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture
def members(layout: Layout, tmp_path: Path) -> Iterator[Members]:
    crypto = OrgCrypto(layout.crypto, PLATFORM)
    store = MemberStore(tmp_path / "members.sqlite3")
    yield Members(
        PLATFORM, crypto, store, Sealer(bytes(range(32))), LocalCA(crypto.ca_dir, PLATFORM), crypto.user_tls("gateway")
    )
    store.close()


def _csr(key: ec.EllipticCurvePrivateKey, cn: str | None) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else [])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_an_enrolled_member_has_fabric_cas_shape_and_the_chaincode_reads_its_role(
    members: Members, layout: Layout
) -> None:
    a = members.enroll("acme-parts", "holder", "Acme Parts Ltd", "DE")
    b = members.enroll("beta-parts", "holder", "Beta Parts Ltd", "FR")
    cert = x509.load_pem_x509_certificate(a.member.cert_pem)
    ca = x509.load_pem_x509_certificate((OrgCrypto(layout.crypto, PLATFORM).ca_dir / "ca.pem").read_bytes())
    cert.verify_directly_issued_by(ca)
    assert [o.value for o in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)] == ["client"]
    assert cert.extensions.get_extension_for_oid(ATTRIBUTE_OID).value.value == b'{"attrs":{"role":"holder"}}'
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= dt.timedelta(days=366)
    assert a.member.serial != b.member.serial
    caller = access.caller_of(Creator("PlatformMSP", a.member.cert_pem))
    assert caller.role is access.Role.HOLDER and "CN=acme-parts" in caller.subject
    # Published for other orgs' gateways (public material only).
    assert OrgCrypto(layout.crypto, PLATFORM).member_cert("acme-parts").read_bytes() == a.member.cert_pem


def test_keys_authenticate_by_digest_rotate_and_revoke(members: Members) -> None:
    e = members.enroll("acme-keys", "holder", "Acme", "DE")
    caller = members.caller(e.api_key)
    assert caller is not None and caller.name == "acme-keys" and caller.key_pem is not None
    assert members.caller(e.api_key + "x") is None
    key_id, second = members.add_key("acme-keys")
    members.revoke_key("acme-keys", e.key_id)
    assert members.caller(e.api_key) is None and members.caller(second) is not None
    with pytest.raises(UnknownApiKey):
        members.revoke_key("acme-keys", "0000000000000000")
    members.revoke("acme-keys", "left")
    assert members.caller(second) is None
    with pytest.raises(UnknownMember):
        members.add_key("acme-keys")
    member, keys = members.get("acme-keys")
    assert member.revoked and member.revoked_reason == "left" and all(k.revoked_at for k in keys)
    assert key_id in {k.key_id for k in keys}


@pytest.mark.parametrize(
    ("csr", "why"),
    [
        ("not a csr", "PEM"),
        (_csr(ec.generate_private_key(ec.SECP384R1()), "own-key"), "P-256"),
        (_csr(ec.generate_private_key(ec.SECP256R1()), "buyer-us"), "names"),
    ],
)
def test_a_bad_csr_is_invalid_csr_and_enrolls_nobody(members: Members, csr: str, why: str) -> None:
    with pytest.raises(InvalidCsr, match=why):
        members.enroll("own-key", "holder", "Own", "DE", csr)
    with pytest.raises(UnknownMember):
        members.get("own-key")


def test_a_csr_member_keeps_its_key(members: Members) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    e = members.enroll("own-key", "holder", "Own", "DE", _csr(key, "own-key"))
    cert = x509.load_pem_x509_certificate(e.member.cert_pem)
    assert cert.public_key() == key.public_key()
    caller = members.caller(e.api_key)
    assert caller is not None and caller.key_pem is None


def test_the_topology_identities_are_members_that_the_api_does_not_revoke(members: Members, layout: Layout) -> None:
    members.import_topology(ensure_api_keys(layout, PLATFORM))
    member, keys = members.get("buyer-us")
    assert member.source == "topology" and len(keys) == 1
    with pytest.raises(TopologyIdentity):
        members.revoke("buyer-us", "no")
    with pytest.raises(TopologyIdentity):
        members.revoke_key("buyer-us", keys[0].key_id)
    assert members.caller(ensure_api_keys(layout, PLATFORM)["buyer-us"]) is not None


def test_duplicates_and_roles_another_org_grants_are_refused(members: Members) -> None:
    members.enroll("acme-dup", "holder", "Acme", "DE")
    with pytest.raises(MemberExists):
        members.enroll("acme-dup", "holder", "Acme", "DE")
    with pytest.raises(BadRequest):
        members.enroll("acme-bank", "issuer", "Acme", "DE")


def test_the_database_is_0600_and_holds_no_plain_private_key(members: Members, tmp_path: Path) -> None:
    members.enroll("acme-sealed", "holder", "Acme", "DE")
    db = tmp_path / "members.sqlite3"
    assert db.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" not in db.read_bytes()


def test_a_sealed_key_opens_only_for_its_member() -> None:
    sealer = Sealer(bytes(32))
    sealed = sealer.seal("alice", ec.generate_private_key(ec.SECP256R1()))
    assert sealer.open("alice", sealed).startswith(b"-----BEGIN PRIVATE KEY")
    with pytest.raises(InvalidTag):
        sealer.open("mallory", sealed)
    with pytest.raises(InvalidTag):
        Sealer(bytes([1] * 32)).open("alice", sealed)


def test_a_member_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "member.key"
    key = Sealer.load_or_create(path)
    assert len(key) == 32 and Sealer.load_or_create(path) == key
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_crl_lists_the_serials_under_the_cas_key_identifier(layout: Layout) -> None:
    crypto = OrgCrypto(layout.crypto, PLATFORM)
    ca = LocalCA(crypto.ca_dir, PLATFORM)
    now = dt.datetime.now(dt.UTC)
    crl = x509.load_pem_x509_crl(ca.revocation_list([Revoked(12345, now), Revoked(678, now)]))
    assert {r.serial_number for r in crl} == {12345, 678}
    assert crl.is_signature_valid(ca.certificate.public_key())  # type: ignore[arg-type]
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert aki == ski  # how Fabric's MSP matches a CRL to the CA that issued a certificate


# --- the onboarding API over the fake ledger ---------------------------------------------------------------


@pytest.fixture
def gateways(layout: Layout, tmp_path: Path) -> Iterator[FakeGateways]:
    gws = FakeGateways(layout, tmp_path)
    yield gws
    gws.close()


def test_onboard_open_pay_and_revoke_through_the_api(gateways: FakeGateways) -> None:
    keys = gateways.keys
    with TestClient(gateways.apps["PlatformOrg"]) as platform, TestClient(gateways.apps["BankOrg"]) as bank:

        def as_(key: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {key}"}

        body = {"name": "shen-parts", "role": "holder", "legal_name": "Shen Parts", "country": "CN"}
        r = platform.post("/v1/members", json=body, headers=as_(keys["PlatformOrg/operator"]))
        assert r.status_code == 201, r.text
        sup = r.json()
        assert sup["ref"] == "PlatformOrg/shen-parts"
        again = platform.post("/v1/members", json=body, headers=as_(keys["PlatformOrg/operator"]))
        assert (again.status_code, again.json()["code"]) == (409, "MEMBER_EXISTS")
        for ref in ("PlatformOrg/buyer-us", "PlatformOrg/seller-cn"):
            assert platform.get("/v1/members", headers=as_(keys[ref])).status_code == 403
        for acct, holder in (("shen", "PlatformOrg/shen-parts"), ("buyer", "PlatformOrg/buyer-us")):
            opened = bank.post(
                "/v1/accounts", json={"id": acct, "holder": holder, "kyc_ref": "K"}, headers=as_(keys["BankOrg/issuer"])
            )
            assert opened.status_code == 201, opened.text
        minted = {"account": "shen", "currency": "USD", "amount": "10.00", "reserve_ref": "R-1"}
        assert bank.post("/v1/mints", json=minted, headers=as_(keys["BankOrg/issuer"])).status_code == 201
        pay = {"from": "shen", "to": "buyer", "currency": "USD", "amount": "4.00", "reference": "INV-1"}
        assert platform.post("/v1/transfers", json=pay, headers=as_(sup["api_key"])).status_code == 201
        mine = platform.get("/v1/accounts", headers=as_(sup["api_key"])).json()["accounts"]
        assert [(a["id"], a["balances"]["USD"]) for a in mine] == [("shen", "6.00")]
        listed = platform.get("/v1/members", headers=as_(keys["PlatformOrg/operator"])).json()["members"]
        assert {"operator", "buyer-us", "seller-cn", "shen-parts"} <= {m["name"] for m in listed}
        revoked = platform.post(
            "/v1/members/shen-parts/revoke", json={"reason": "fraud"}, headers=as_(keys["PlatformOrg/operator"])
        )
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
        assert platform.get("/v1/me", headers=as_(sup["api_key"])).status_code == 401
        # Its account stays, for the bank to read.
        assert bank.get("/v1/accounts/shen", headers=as_(keys["BankOrg/issuer"])).json()["balances"]["USD"] == "6.00"


# --- the config update ------------------------------------------------------------------------------------


def _block(msp: bytes, readers: bytes) -> bytes:
    channel = configtx_pb2.ConfigGroup(version=3)
    for section in ("Application", "Orderer"):
        channel.groups[section].version = 1
        org = channel.groups[section].groups["PlatformMSP"]
        org.version = 2
        org.values["MSP"].CopyFrom(configtx_pb2.ConfigValue(version=0, mod_policy="Admins", value=msp))
        org.policies["Readers"].policy.value = readers
    envelope = configtx_pb2.ConfigEnvelope(config=configtx_pb2.Config(sequence=5, channel_group=channel))
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.CONFIG, channel_id="deposits")
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=envelope.SerializeToString()
    )
    block = common_pb2.Block()
    block.data.data.append(common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString())
    return bytes(block.SerializeToString())


def test_the_revocation_update_changes_only_the_msp_values_from_the_current_block() -> None:
    fabric_msp = msp_config_pb2.FabricMSPConfig(name="PlatformMSP", root_certs=[b"CA"], revocation_list=[b"OLD"])
    msp = msp_config_pb2.MSPConfig(type=0, config=fabric_msp.SerializeToString()).SerializeToString()
    block = _block(msp, b"custom readers")
    update = configtx_pb2.ConfigUpdate.FromString(revocation_update(block, "PlatformMSP", b"NEW CRL"))
    assert update.channel_id == "deposits"
    for section in ("Application", "Orderer"):
        read = update.read_set.groups[section].groups["PlatformMSP"]
        write = update.write_set.groups[section].groups["PlatformMSP"]
        assert read.version == write.version == 2 and not read.values and not write.policies
        value = write.values["MSP"]
        assert value.version == 1 and value.mod_policy == "Admins"
        written = msp_config_pb2.FabricMSPConfig.FromString(msp_config_pb2.MSPConfig.FromString(value.value).config)
        assert list(written.revocation_list) == [b"NEW CRL"] and list(written.root_certs) == [b"CA"]
    assert update.write_set.version == 3 and update.write_set.groups["Application"].version == 1
    assert revocation_lists(block, "PlatformMSP") == {"Application": [b"OLD"], "Orderer": [b"OLD"]}
    with pytest.raises(KeyError):
        revocation_update(block, "NoSuchMSP", b"CRL")


# --- offline signing --------------------------------------------------------------------------------------


def _sign(key: ec.EllipticCurvePrivateKey, digest_b64: str) -> str:
    digest = base64.b64decode(digest_b64)
    return base64.b64encode(key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))).decode()


def test_a_member_with_its_own_key_pays_by_offline_signing(gateways: FakeGateways) -> None:
    keys = gateways.keys
    key = ec.generate_private_key(ec.SECP256R1())
    with TestClient(gateways.apps["PlatformOrg"]) as platform, TestClient(gateways.apps["BankOrg"]) as bank:

        def as_(k: str, **more: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {k}", **more}

        body = {"name": "own-signer", "role": "holder", "legal_name": "Own", "country": "DE", "csr": _csr(key, None)}
        own = platform.post("/v1/members", json=body, headers=as_(keys["PlatformOrg/operator"])).json()
        assert own["signing"] == "offline"
        for acct, holder in (("own", "PlatformOrg/own-signer"), ("dest", "PlatformOrg/buyer-us")):
            opened = bank.post(
                "/v1/accounts", json={"id": acct, "holder": holder, "kyc_ref": "K"}, headers=as_(keys["BankOrg/issuer"])
            )
            assert opened.status_code == 201, opened.text
        minted = {"account": "own", "currency": "USD", "amount": "10.00", "reserve_ref": "R-1"}
        assert bank.post("/v1/mints", json=minted, headers=as_(keys["BankOrg/issuer"])).status_code == 201
        pay = {"from": "own", "to": "dest", "currency": "USD", "amount": "3.00", "reference": "INV-OFF"}
        # Without the header, or a custodial member with it: the wrong mode.
        assert platform.post("/v1/transfers", json=pay, headers=as_(own["api_key"])).json()["code"] == "SIGNING_MODE"
        custodial = as_(keys["PlatformOrg/buyer-us"], Signing="offline")
        assert platform.post("/v1/transfers", json=pay, headers=custodial).status_code == 422
        started = platform.post("/v1/transfers", json=pay, headers=as_(own["api_key"], Signing="offline"))
        assert started.status_code == 202, started.text
        sid = started.json()["signing_id"]
        # A signature by another key: 400, nothing moves; the right one then endorses.
        wrong = _sign(ec.generate_private_key(ec.SECP256R1()), started.json()["proposal_digest"])
        bad = platform.post(f"/v1/signing/{sid}", json={"signature": wrong}, headers=as_(own["api_key"]))
        assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_SIGNATURE")
        # Nobody else may sign it.
        other = platform.post(
            f"/v1/signing/{sid}", json={"signature": wrong}, headers=as_(keys["PlatformOrg/seller-cn"])
        )
        assert (other.status_code, other.json()["code"]) == (404, "UNKNOWN_SIGNING")
        endorsed = platform.post(
            f"/v1/signing/{sid}",
            json={"signature": _sign(key, started.json()["proposal_digest"])},
            headers=as_(own["api_key"]),
        )
        assert endorsed.status_code == 200, endorsed.text
        height = gateways.ledger.world.height
        digest = endorsed.json()["transaction_digest"]
        bad = platform.post(
            f"/v1/signing/{sid}", json={"signature": _sign(key, digest)[:-8] + "AAAAAAA="}, headers=as_(own["api_key"])
        )
        assert bad.status_code == 400 and gateways.ledger.world.height == height
        done = platform.post(f"/v1/signing/{sid}", json={"signature": _sign(key, digest)}, headers=as_(own["api_key"]))
        assert done.status_code == 201, done.text
        assert done.json()["status"] == "committed" and done.json()["amount"] == "3.00"
        again = platform.post(f"/v1/signing/{sid}", json={"signature": _sign(key, digest)}, headers=as_(own["api_key"]))
        assert again.status_code == 404
        dest = bank.get("/v1/accounts/dest", headers=as_(keys["BankOrg/issuer"])).json()
        assert dest["balances"]["USD"] == "3.00"
