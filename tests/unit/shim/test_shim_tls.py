"""The chaincode server over mutual TLS, with the dev PKI's own pairs: the org's peer gets in; a client
without a certificate, or with one from a CA the server does not know, is refused in the TLS handshake."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
from shim_fake_peer import FakePeer, response_of
from test_shim_server import CHAINCODE_ID, contract

from chaincode.shim import ChaincodeServer, ServerTls
from network import pki
from network.topology import load_topology


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> pki.OrgCrypto:
    root = tmp_path_factory.mktemp("crypto")
    topology = load_topology()
    pki.generate(root, topology)
    return pki.OrgCrypto(root, topology.org("BankOrg"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> pki.OrgCrypto:
    """BankOrg's names with CAs of their own: a peer the chaincode server has never heard of."""
    root = tmp_path_factory.mktemp("other-crypto")
    topology = load_topology()
    pki.generate(root, topology)
    return pki.OrgCrypto(root, topology.org("BankOrg"))


def server_tls(crypto: pki.OrgCrypto) -> ServerTls:
    pair = crypto.chaincode_server_tls
    return ServerTls(pair.cert.read_bytes(), pair.key.read_bytes(), crypto.tls_ca_cert.read_bytes())


def peer_credentials(trusted_ca: Path, client: pki.TlsPair | None) -> grpc.ChannelCredentials:
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=trusted_ca.read_bytes())
    return grpc.ssl_channel_credentials(
        root_certificates=trusted_ca.read_bytes(),
        private_key=client.key.read_bytes(),
        certificate_chain=client.cert.read_bytes(),
    )


def connect(crypto: pki.OrgCrypto, credentials: grpc.ChannelCredentials) -> bytes:
    """Serve with crypto's pairs, connect a fake peer with credentials, run one transaction."""

    async def main() -> bytes:
        async with ChaincodeServer(contract, "127.0.0.1:0", CHAINCODE_ID, tls=server_tls(crypto)) as server:
            peer = FakePeer({"k": b"v"})
            await peer.connect(server.port, credentials=credentials)
            try:
                return bytes(response_of(await peer.invoke(b"get", b"k", txid="tx1")).payload)
            finally:
                await peer.close()

    return asyncio.run(main())


def test_the_orgs_peer_with_its_own_tls_pair_gets_in(bank: pki.OrgCrypto) -> None:
    peer_pair = bank.node_tls(bank.org.peer.id)
    assert connect(bank, peer_credentials(bank.tls_ca_cert, peer_pair)) == b"v"


def test_a_client_without_a_certificate_is_refused(bank: pki.OrgCrypto) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        connect(bank, peer_credentials(bank.tls_ca_cert, None))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_client_certificate_from_an_unknown_ca_is_refused(bank: pki.OrgCrypto, stranger: pki.OrgCrypto) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        connect(bank, peer_credentials(bank.tls_ca_cert, stranger.node_tls(stranger.org.peer.id)))
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
