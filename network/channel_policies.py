"""Who may read the ledger itself: each org's Readers policy, with a principal configtxgen cannot write.

Blocks and events leave a node only for a channel Reader: the orderers' Deliver checks `/Channel/Readers`,
the peers' Deliver (`event/Block`, `event/FilteredBlock`), `qscc/*` and the Gateway's ChaincodeEvents
(`gateway/ChaincodeEvents`) check `/Channel/Application/Readers` through the channel's ACLs. Both are
ImplicitMeta `ANY Readers` over the orgs, so each org's own Readers policy decides. Ours admits the org's
admins, peers and orderers (NodeOU roles) and its gateway's service identity — and no member: a member's
client certificate and the gateway's share the NodeOU `client`, so the gateway is named by its second OU,
`gateway` (an ORGANIZATION_UNIT principal). configtxgen's policy language knows only `MSP.role`
principals, so `make_genesis_block` writes the rest and this module rewrites each org's Readers policy in
the block it made:

    1 of [MSP.admin, MSP.peer, MSP.orderer, OU "gateway" certified by the org's CA]

Fabric matches an OU principal on the OU's name AND its certifiers identifier: SHA-256 of the identity's
certificate chain without the leaf, here the org's root CA certificate — as the MSP holds it, which is
not always the PEM's DER: an ECDSA signature with a high S is replaced by its low-S twin when the MSP
loads the certificate (Fabric's `sanitizeCert`), so `certifiers_id` does the same before hashing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from fabric_protos.common import common_pb2, configtx_pb2, policies_pb2
from fabric_protos.msp import msp_principal_pb2

from network.pki import SERVICE_OU, OrgCrypto
from network.topology import Org, Topology

_ROLES = ("ADMIN", "PEER", "ORDERER")


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def _tlv(data: bytes, at: int) -> tuple[int, int]:
    """(start of the value, end of the element) of the DER element at `at`."""
    first = data[at + 1]
    if first < 0x80:
        return at + 2, at + 2 + first
    n = first & 0x7F
    length = int.from_bytes(data[at + 2 : at + 2 + n], "big")
    return at + 2 + n, at + 2 + n + length


def _der(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        return bytes([tag, n]) + value
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + value


def fabric_der(cert: x509.Certificate) -> bytes:
    """The DER of `cert` as Fabric's MSP keeps it: a P-256 ECDSA signature with a high S re-encoded low-S."""
    der = cert.public_bytes(serialization.Encoding.DER)
    key = cert.public_key()
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        return der  # our CAs are self-signed P-256; anything else is left as it is
    r, s = decode_dss_signature(cert.signature)
    if s <= _P256_ORDER >> 1:
        return der
    body, _ = _tlv(der, 0)
    _, tbs_end = _tlv(der, body)
    _, alg_end = _tlv(der, tbs_end)
    signature = _der(0x03, b"\x00" + encode_dss_signature(r, _P256_ORDER - s))
    return _der(0x30, der[body:alg_end] + signature)


def certifiers_id(ca_cert_pem: bytes) -> bytes:
    """The certifiers identifier Fabric gives an OU of a certificate issued directly by this CA."""
    return hashlib.sha256(fabric_der(x509.load_pem_x509_certificate(ca_cert_pem))).digest()


def readers_policy(msp_id: str, ca_cert_pem: bytes) -> bytes:
    """The serialized SignaturePolicyEnvelope of an org's Readers policy (see the module docstring)."""
    principals = [
        msp_principal_pb2.MSPPrincipal(
            principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
            principal=msp_principal_pb2.MSPRole(
                msp_identifier=msp_id, role=msp_principal_pb2.MSPRole.MSPRoleType.Value(role)
            ).SerializeToString(),
        )
        for role in _ROLES
    ]
    principals.append(
        msp_principal_pb2.MSPPrincipal(
            principal_classification=msp_principal_pb2.MSPPrincipal.ORGANIZATION_UNIT,
            principal=msp_principal_pb2.OrganizationUnit(
                msp_identifier=msp_id,
                organizational_unit_identifier=SERVICE_OU,
                certifiers_identifier=certifiers_id(ca_cert_pem),
            ).SerializeToString(),
        )
    )
    rule = policies_pb2.SignaturePolicy(
        n_out_of=policies_pb2.SignaturePolicy.NOutOf(
            n=1, rules=[policies_pb2.SignaturePolicy(signed_by=i) for i in range(len(principals))]
        )
    )
    envelope = policies_pb2.SignaturePolicyEnvelope(version=0, rule=rule, identities=principals)
    return bytes(envelope.SerializeToString())


def _org_ca(crypto_root: Path, org: Org) -> bytes:
    return (OrgCrypto(crypto_root, org).msp / "cacerts" / "ca.pem").read_bytes()


def restrict_readers(block_bytes: bytes, topology: Topology, crypto_root: Path) -> bytes:
    """The genesis block with every org's Readers policy (application and orderer groups) replaced by
    `readers_policy`, and its data hash recomputed. Raises KeyError when an org is missing from a group."""
    block = common_pb2.Block.FromString(block_bytes)
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    config_envelope = configtx_pb2.ConfigEnvelope.FromString(payload.data)
    groups = config_envelope.config.channel_group.groups
    for org in topology.orgs:
        value = readers_policy(org.msp_id, _org_ca(crypto_root, org))
        for section in ("Application", "Orderer"):
            policy = groups[section].groups[org.msp_id].policies["Readers"].policy
            policy.type = policies_pb2.Policy.SIGNATURE
            policy.value = value
    payload.data = config_envelope.SerializeToString()
    envelope.payload = payload.SerializeToString()
    block.data.data[0] = envelope.SerializeToString()
    block.header.data_hash = hashlib.sha256(b"".join(block.data.data)).digest()
    return bytes(block.SerializeToString())


def readers_principals(block_bytes: bytes, section: str, msp_id: str) -> list[str]:
    """What an org's Readers policy in a config block admits, as `MSP.role` / `MSP.OU=name` strings."""
    block = common_pb2.Block.FromString(block_bytes)
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    config = configtx_pb2.ConfigEnvelope.FromString(common_pb2.Payload.FromString(envelope.payload).data).config
    policy = config.channel_group.groups[section].groups[msp_id].policies["Readers"].policy
    spe = policies_pb2.SignaturePolicyEnvelope.FromString(policy.value)
    out = []
    for p in spe.identities:
        if p.principal_classification == msp_principal_pb2.MSPPrincipal.ROLE:
            role = msp_principal_pb2.MSPRole.FromString(p.principal)
            out.append(f"{role.msp_identifier}.{msp_principal_pb2.MSPRole.MSPRoleType.Name(role.role).lower()}")
        else:
            ou = msp_principal_pb2.OrganizationUnit.FromString(p.principal)
            out.append(f"{ou.msp_identifier}.OU={ou.organizational_unit_identifier}")
    return out
