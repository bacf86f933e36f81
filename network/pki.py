"""The dev PKI: per org a signing CA and a TLS CA, an MSP folder for every node and identity, a TLS pair
for everything that speaks gRPC.

Fabric CA would issue the same shapes; we issue them ourselves because cryptogen cannot put a role in a
user's certificate. NodeOUs are on (client / peer / orderer / admin OUs), and every dev user carries
its role in the Fabric-CA attribute extension (OID 1.2.3.4.5.6.7.8.1, JSON `{"attrs":{"role":...}}`),
which the chaincode reads.

TLS folders have cryptogen's shape: `ca.crt` (the org's TLS CA) beside `server.crt`/`server.key` for what
listens (orderers, peers, chaincode servers: SANs = the node's name, localhost, 127.0.0.1; server and
client use, since a node also dials others) or `client.crt`/`client.key` for identities (users, admins:
client use only, no SANs, since nobody dials a client). Generation is idempotent: existing material is
kept, and a file missing from an older data directory is added.

Each org also gets its gateway's service identity, `users/gateway` (no API key: only the gateway process
uses it, to read the chain's events and transactions once for all its callers). Its certificate carries
role `gateway` and, besides the NodeOU `client`, a second OU `gateway`: Fabric's policies can name an OU
(an ORGANIZATION_UNIT principal, see `network.channel_policies`), not a certificate attribute, and the NodeOU
alone cannot tell this identity from a member's client certificate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from network.endpoints import NATIVE, Endpoints, chaincode_server_name
from network.topology import Org, Topology

ATTRIBUTE_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
SERVICE_IDENTITY = "gateway"  # the user name, the role attribute and the extra OU of each gateway's identity
SERVICE_OU = "gateway"
_VALIDITY = dt.timedelta(days=3650)
_NODE_OUS = """NodeOUs:
  Enable: true
  ClientOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: client}
  PeerOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: peer}
  AdminOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: admin}
  OrdererOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: orderer}
"""


@dataclass(frozen=True, slots=True)
class _Issuer:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _name(org: Org, cn: str, *ous: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.domain)]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou) for ou in ous]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, validity: dt.timedelta = _VALIDITY
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _load_or_make_ca(folder: Path, org: Org, cn: str) -> _Issuer:
    cert_path, key_path = folder / "ca.pem", folder / "ca.key"
    if cert_path.exists() and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return _Issuer(x509.load_pem_x509_certificate(cert_path.read_bytes()), key)
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(org, cn)
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, _pem(cert))
    return _Issuer(cert, key)


def _issue(
    ca: _Issuer,
    subject: x509.Name,
    *,
    tls_hosts: list[str] | None = None,
    tls_client: bool = False,
    role: str | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate signed by ca: a TLS server (and client) pair with tls_hosts as SANs, a TLS client-only
    pair with tls_client, otherwise an MSP signing certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _sign(ca, subject, key.public_key(), tls_hosts=tls_hosts, tls_client=tls_client, role=role), key


def _sign(
    ca: _Issuer,
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    *,
    tls_hosts: list[str] | None = None,
    tls_client: bool = False,
    role: str | None = None,
    validity: dt.timedelta = _VALIDITY,
) -> x509.Certificate:
    tls = tls_hosts is not None or tls_client
    b = _builder(subject, ca.cert.subject, public_key, validity)
    b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    b = b.add_extension(x509.KeyUsage(True, False, tls, False, False, False, False, False, False), critical=True)
    if tls_hosts is not None:
        sans: list[x509.GeneralName] = []
        for h in tls_hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(h)))
            except ValueError:
                sans.append(x509.DNSName(h))
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if tls:
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
        if tls_hosts is not None:
            usages.insert(0, ExtendedKeyUsageOID.SERVER_AUTH)
        b = b.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if role is not None:
        value = json.dumps({"attrs": {"role": role}}, sort_keys=True, separators=(",", ":")).encode()
        b = b.add_extension(x509.UnrecognizedExtension(ATTRIBUTE_OID, value), critical=False)
    return b.sign(ca.key, hashes.SHA256())


def member_subject(org: Org, name: str) -> x509.Name:
    """The subject the org's CA gives a member (a client identity) called name, as for the dev users."""
    return _name(org, name, "client")


def issue_member(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    org: Org,
    name: str,
    role: str,
    public_key: ec.EllipticCurvePublicKey,
    validity: dt.timedelta,
) -> x509.Certificate:
    """A member's signing certificate from the org's signing CA: the dev users' shape (NodeOU `client`, the
    role in the Fabric CA attribute extension), a random 159-bit serial, the given validity."""
    return _sign(_Issuer(ca_cert, ca_key), member_subject(org, name), public_key, role=role, validity=validity)


def load_signing_ca(ca_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The org's signing CA certificate and key (they must exist). Raises FileNotFoundError."""
    key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca_dir / 'ca.key'} is not an EC key")
    return x509.load_pem_x509_certificate((ca_dir / "ca.pem").read_bytes()), key


@dataclass(frozen=True, slots=True)
class TlsPair:
    """A TLS folder: `ca.crt` (the org's TLS CA), and `<kind>.crt` / `<kind>.key`, kind `server` or `client`."""

    folder: Path
    kind: str

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def cert(self) -> Path:
        return self.folder / f"{self.kind}.crt"

    @property
    def key(self) -> Path:
        return self.folder / f"{self.kind}.key"


class OrgCrypto:
    """Paths of one org's crypto material under `<data>/crypto/<org>/`."""

    def __init__(self, root: Path, org: Org) -> None:
        self.org = org
        self.dir = root / org.name

    @property
    def msp(self) -> Path:
        """The org's verifying MSP (CA certs + NodeOUs), used in channel configuration."""
        return self.dir / "msp"

    @property
    def tls_ca_cert(self) -> Path:
        return self.dir / "tlsca" / "ca.pem"

    def node_dir(self, node_id: str) -> Path:
        return self.dir / "nodes" / node_id

    def user_dir(self, name: str) -> Path:
        return self.dir / "users" / name

    def user_msp(self, name: str) -> Path:
        return self.user_dir(name) / "msp"

    def admin_msp(self) -> Path:
        return self.user_msp("admin")

    def node_tls(self, node_id: str) -> TlsPair:
        """The TLS server pair of an orderer, a peer or a chaincode server; nodes also dial with it."""
        return TlsPair(self.node_dir(node_id) / "tls", "server")

    @property
    def chaincode_server_tls(self) -> TlsPair:
        return self.node_tls(chaincode_server_name(self.org))

    def user_tls(self, name: str) -> TlsPair:
        """The TLS client pair an identity presents to peers and orderers (they require one)."""
        return TlsPair(self.user_dir(name) / "tls", "client")

    def admin_tls(self) -> TlsPair:
        return self.user_tls("admin")

    @property
    def ca_dir(self) -> Path:
        """The org's signing CA (`ca.pem`, `ca.key`): what issues every MSP identity of the org."""
        return self.dir / "ca"

    def member_cert(self, name: str) -> Path:
        """A member's published certificate (public): what another org's gateway opens an account for."""
        return self.dir / "members" / f"{name}.pem"

    def service_msp(self) -> Path:
        """The gateway's service identity (see the module's docstring)."""
        return self.user_msp(SERVICE_IDENTITY)


def _write_msp(
    folder: Path,
    ca: _Issuer,
    tlsca: _Issuer,
    cert: x509.Certificate | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> None:
    _write(folder / "cacerts" / "ca.pem", _pem(ca.cert))
    _write(folder / "tlscacerts" / "ca.pem", _pem(tlsca.cert))
    _write(folder / "config.yaml", _NODE_OUS.encode())
    if cert is not None and key is not None:
        _write(folder / "signcerts" / "cert.pem", _pem(cert))
        _write(folder / "keystore" / "priv_sk", _key_pem(key), private=True)


def _ensure_tls(pair: TlsPair, tlsca: _Issuer, subject: x509.Name, hosts: list[str] | None = None) -> None:
    """Issue pair unless it exists: a server pair for hosts, a client pair without them."""
    if pair.cert.exists() and pair.key.exists():
        return
    cert, key = _issue(tlsca, subject, tls_hosts=hosts, tls_client=hosts is None)
    _write(pair.ca, _pem(tlsca.cert))
    _write(pair.cert, _pem(cert))
    _write(pair.key, _key_pem(key), private=True)


def _server_hosts(name: str, endpoints: Endpoints) -> list[str]:
    # The node's name for containers (where nodes dial each other by name), loopback for the native runtime
    # and the host's own view, and the org's host address when each org runs on its own host.
    hosts = [name, "localhost", "127.0.0.1"]
    return hosts if endpoints.host(name) in hosts else [*hosts, endpoints.host(name)]


def generate(root: Path, topology: Topology, endpoints: Endpoints = NATIVE) -> None:
    """Create every org's CAs, MSPs and TLS pairs under root, keeping whatever already exists; servers' TLS
    certificates name the hosts `endpoints` reach them at."""
    for org in topology.orgs:
        paths = OrgCrypto(root, org)
        ca = _load_or_make_ca(paths.dir / "ca", org, f"ca.{org.domain}")
        tlsca = _load_or_make_ca(paths.dir / "tlsca", org, f"tlsca.{org.domain}")
        if not (paths.msp / "config.yaml").exists():
            _write_msp(paths.msp, ca, tlsca)
        for node_id, ou in ((org.orderer.id, "orderer"), (org.peer.id, "peer")):
            msp = paths.node_dir(node_id) / "msp"
            if not (msp / "signcerts" / "cert.pem").exists():
                cert, key = _issue(ca, _name(org, node_id, ou))
                _write_msp(msp, ca, tlsca, cert, key)
            _ensure_tls(paths.node_tls(node_id), tlsca, _name(org, node_id), _server_hosts(node_id, endpoints))
        # A chaincode server has no MSP identity: it only answers its peer, over mutual TLS.
        server = chaincode_server_name(org)
        _ensure_tls(paths.chaincode_server_tls, tlsca, _name(org, server), _server_hosts(server, endpoints))
        users: list[tuple[str, tuple[str, ...], str | None]] = [
            ("admin", ("admin",), None),
            (SERVICE_IDENTITY, ("client", SERVICE_OU), SERVICE_IDENTITY),
            *((i.name, ("client",), i.role) for i in org.identities),
        ]
        for name, ous, role in users:
            msp = paths.user_msp(name)
            if not (msp / "signcerts" / "cert.pem").exists():
                cert, key = _issue(ca, _name(org, name, *ous), role=role)
                _write_msp(msp, ca, tlsca, cert, key)
            _ensure_tls(paths.user_tls(name), tlsca, _name(org, name))
