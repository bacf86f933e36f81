from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fabric_fake_gateway import FakeGateway, FakeGatewayServer

from gateway.fabric import Gateway, Identity, Signer, Timeouts

MSP_ID = "BankMSP"
CHANNEL = "deposits"
CHAINCODE = "deposits"


@dataclass(frozen=True)
class KeyPair:
    key: ec.EllipticCurvePrivateKey
    cert_pem: bytes

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def make_key_pair(common_name: str, *, issuer: KeyPair | None = None, sans: list[str] | None = None) -> KeyPair:
    """A P-256 key and its certificate, self-signed or issued by `issuer`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name = x509.load_pem_x509_certificate(issuer.cert_pem).subject if issuer else subject
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if sans:
        names: list[x509.GeneralName] = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return KeyPair(key, certificate.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="session")
def client_keys() -> KeyPair:
    return make_key_pair("issuer@bank.example.com")


@pytest.fixture(scope="session")
def identity(client_keys: KeyPair) -> Identity:
    return Identity(MSP_ID, client_keys.cert_pem)


@pytest.fixture(scope="session")
def signer(client_keys: KeyPair) -> Signer:
    return Signer(client_keys.key)


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
def server(fake: FakeGateway) -> Iterator[FakeGatewayServer]:
    running = FakeGatewayServer(fake)
    yield running
    running.stop()


@pytest.fixture
def gateway(server: FakeGatewayServer, identity: Identity, signer: Signer) -> Iterator[Gateway]:
    channel = grpc.insecure_channel(server.address)
    timeouts = Timeouts(evaluate=5, endorse=5, submit=5, commit_status=5)
    with Gateway(channel, identity, signer, timeouts=timeouts) as connected:
        yield connected
    channel.close()
