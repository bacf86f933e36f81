"""Who may read the ledger: the Readers policy written into the genesis block, and the channel's ACLs."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2, configtx_pb2, policies_pb2
from fabric_protos.msp import msp_principal_pb2

from network import channel_policies, configtx, pki
from network.topology import load_topology


def self_signed() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    start = dt.datetime(2026, 1, 1)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def test_fabric_der_is_the_low_s_twin_of_a_high_s_certificate() -> None:
    seen = {"low": 0, "high": 0}
    while min(seen.values()) == 0:
        cert = self_signed()
        der = cert.public_bytes(serialization.Encoding.DER)
        twin = x509.load_der_x509_certificate(channel_policies.fabric_der(cert))
        _, s = decode_dss_signature(cert.signature)
        high = s > channel_policies._P256_ORDER >> 1
        seen["high" if high else "low"] += 1
        assert (twin.public_bytes(serialization.Encoding.DER) != der) == high
        assert twin.tbs_certificate_bytes == cert.tbs_certificate_bytes
        assert decode_dss_signature(twin.signature)[1] <= channel_policies._P256_ORDER >> 1
        twin.verify_directly_issued_by(twin)  # still a valid signature of the same certificate


def test_readers_admit_admins_peers_orderers_and_the_gateway_ou() -> None:
    ca = self_signed().public_bytes(serialization.Encoding.PEM)
    envelope = policies_pb2.SignaturePolicyEnvelope.FromString(channel_policies.readers_policy("BankMSP", ca))
    assert envelope.rule.n_out_of.n == 1 and len(envelope.rule.n_out_of.rules) == 4
    roles = [msp_principal_pb2.MSPRole.FromString(p.principal) for p in envelope.identities[:3]]
    assert [(r.msp_identifier, r.role) for r in roles] == [
        ("BankMSP", msp_principal_pb2.MSPRole.ADMIN),
        ("BankMSP", msp_principal_pb2.MSPRole.PEER),
        ("BankMSP", msp_principal_pb2.MSPRole.ORDERER),
    ]
    ou = msp_principal_pb2.OrganizationUnit.FromString(envelope.identities[3].principal)
    assert (ou.msp_identifier, ou.organizational_unit_identifier) == ("BankMSP", pki.SERVICE_OU)
    assert ou.certifiers_identifier == channel_policies.certifiers_id(ca)
    # No member: a plain client role is nowhere in it.
    assert all(r.role != msp_principal_pb2.MSPRole.CLIENT for r in roles)


def fake_genesis(msp_ids: list[str]) -> bytes:
    """The skeleton of a config block: each org in the Application and Orderer groups, with a Readers policy."""
    config = configtx_pb2.Config()
    for section in ("Application", "Orderer"):
        group = config.channel_group.groups[section]
        for m in msp_ids:
            group.groups[m].policies["Readers"].policy.type = policies_pb2.Policy.SIGNATURE
            group.groups[m].policies["Readers"].policy.value = b"configtxgen's"
    payload = common_pb2.Payload(data=configtx_pb2.ConfigEnvelope(config=config).SerializeToString())
    envelope = common_pb2.Envelope(payload=payload.SerializeToString())
    block = common_pb2.Block()
    block.data.data.append(envelope.SerializeToString())
    return bytes(block.SerializeToString())


def test_restrict_readers_rewrites_every_org_and_the_data_hash(tmp_path: Path) -> None:
    topo = load_topology()
    pki.generate(tmp_path, topo)
    out = common_pb2.Block.FromString(
        channel_policies.restrict_readers(fake_genesis([o.msp_id for o in topo.orgs]), topo, tmp_path)
    )
    assert out.header.data_hash == hashlib.sha256(b"".join(out.data.data)).digest()
    for org in topo.orgs:
        for section in ("Application", "Orderer"):
            m = org.msp_id
            principals = channel_policies.readers_principals(bytes(out.SerializeToString()), section, m)
            assert principals == [f"{m}.admin", f"{m}.peer", f"{m}.orderer", f"{m}.OU=gateway"]


def test_acls_send_every_ledger_read_to_the_readers_and_keep_transacting_for_members(tmp_path: Path) -> None:
    doc = configtx.render(load_topology(), tmp_path)["Profiles"][configtx.PROFILE]
    acls = doc["Application"]["ACLs"]
    reads = ["event/Block", "event/FilteredBlock", "gateway/ChaincodeEvents"]
    reads += [f"qscc/{f}" for f in ("GetChainInfo", "GetBlockByNumber", "GetBlockByHash", "GetTransactionByID")]
    assert all(acls[r] == "/Channel/Application/Readers" for r in reads)
    assert acls["peer/Propose"] == acls["gateway/CommitStatus"] == "/Channel/Application/Writers"
    for org in doc["Application"]["Organizations"]:
        assert "client" not in org["Policies"]["Readers"]["Rule"]
        assert "client" in org["Policies"]["Writers"]["Rule"]


def test_the_gateway_identity_has_its_own_ou_and_role(tmp_path: Path) -> None:
    topo = load_topology()
    pki.generate(tmp_path, topo)
    for org in topo.orgs:
        pem = (pki.OrgCrypto(tmp_path, org).service_msp() / "signcerts" / "cert.pem").read_bytes()
        cert = x509.load_pem_x509_certificate(pem)
        ous = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
        assert ous == ["client", pki.SERVICE_OU]
        ext = cert.extensions.get_extension_for_oid(pki.ATTRIBUTE_OID).value
        assert isinstance(ext, x509.UnrecognizedExtension) and b'"role":"gateway"' in ext.value
