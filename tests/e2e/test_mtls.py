"""Mutual TLS on the live network: peers, orderers and chaincode servers refuse a gRPC client that has no
client certificate, or one from a CA the channel does not know; our own clients, with their org's pair,
get in. The refusals are the nodes' own, in the TLS handshake: the call fails UNAVAILABLE.

The admitted evaluate also crosses the peer → chaincode server link, which is mutual TLS too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest
from fabric_protos.common import common_pb2
from fabric_protos.orderer import ab_pb2_grpc
from fabric_protos.peer import chaincode_shim_pb2_grpc

from chaincode import protocol
from gateway import fabric
from network import pki
from network.network import Network
from tests.e2e.conftest import connect_as

SUPPLY = protocol.GetSupply()


@pytest.fixture(scope="module")
def stranger(network: Network, tmp_path_factory: pytest.TempPathFactory) -> pki.OrgCrypto:
    """A throwaway PKI with the network's own names and shapes but CAs of its own: BankOrg's impostor."""
    root = tmp_path_factory.mktemp("stranger-crypto")
    pki.generate(root, network.topology)
    return pki.OrgCrypto(root, network.topology.org("BankOrg"))


@pytest.fixture(params=["without a client certificate", "with a certificate from an unknown CA"])
def refused_pair(request: pytest.FixtureRequest, stranger: pki.OrgCrypto) -> pki.TlsPair | None:
    return None if request.param.startswith("without") else stranger.user_tls("issuer")


def bank(network: Network) -> pki.OrgCrypto:
    return pki.OrgCrypto(network.layout.crypto, network.topology.org("BankOrg"))


def channel_credentials(trusted_ca: Path, pair: pki.TlsPair | None) -> grpc.ChannelCredentials:
    if pair is None:
        return grpc.ssl_channel_credentials(root_certificates=trusted_ca.read_bytes())
    return grpc.ssl_channel_credentials(
        root_certificates=trusted_ca.read_bytes(),
        private_key=pair.key.read_bytes(),
        certificate_chain=pair.cert.read_bytes(),
    )


def evaluate_supply(gw: fabric.Gateway, network: Network) -> bytes:
    contract = gw.get_network(network.topology.channel).get_contract(network.topology.chaincode.name)
    return contract.evaluate_transaction(SUPPLY.FUNCTION.value, [SUPPLY.to_json()])


def test_a_peer_admits_our_client_with_its_orgs_pair(network: Network) -> None:
    with connect_as(network, network.topology.org("BankOrg"), "issuer") as gw:
        assert evaluate_supply(gw, network)


def test_a_peer_refuses_a_client_without_a_channel_orgs_certificate(
    network: Network, refused_pair: pki.TlsPair | None
) -> None:
    crypto, org = bank(network), network.topology.org("BankOrg")
    identity, signer = fabric.load_msp(crypto.user_msp("issuer"), org.msp_id)  # a valid MSP identity, even
    client: dict[str, Any] = {}
    if refused_pair is not None:
        client = {
            "tls_client_cert_pem": refused_pair.cert.read_bytes(),
            "tls_client_key_pem": refused_pair.key.read_bytes(),
        }
    with (
        fabric.connect(org.peer.address, crypto.tls_ca_cert.read_bytes(), identity, signer, **client) as gw,
        pytest.raises(fabric.EvaluateError) as refused,
    ):
        evaluate_supply(gw, network)
    assert refused.value.code == grpc.StatusCode.UNAVAILABLE


def broadcast_an_empty_envelope(network: Network, pair: pki.TlsPair | None) -> Any:
    """One Broadcast of an empty envelope to BankOrg's orderer; its first answer."""
    org = network.topology.org("BankOrg")
    with grpc.secure_channel(org.orderer.address, channel_credentials(bank(network).tls_ca_cert, pair)) as channel:
        answers = ab_pb2_grpc.AtomicBroadcastStub(channel).Broadcast(iter([common_pb2.Envelope()]), timeout=10)
        return next(answers)


def test_an_orderer_admits_an_admin_with_its_orgs_pair(network: Network) -> None:
    # Past the TLS handshake the orderer judges the envelope itself: an empty one is a bad request.
    assert broadcast_an_empty_envelope(network, bank(network).admin_tls()).status == common_pb2.BAD_REQUEST


def test_an_orderer_refuses_a_client_without_a_channel_orgs_certificate(
    network: Network, refused_pair: pki.TlsPair | None
) -> None:
    with pytest.raises(grpc.RpcError) as refused:
        broadcast_an_empty_envelope(network, refused_pair)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_a_chaincode_server_refuses_a_client_without_its_orgs_certificate(
    network: Network, refused_pair: pki.TlsPair | None
) -> None:
    address = f"127.0.0.1:{network.topology.org('BankOrg').chaincode_server_port}"
    with grpc.secure_channel(address, channel_credentials(bank(network).tls_ca_cert, refused_pair)) as channel:
        stream = chaincode_shim_pb2_grpc.ChaincodeStub(channel).Connect(iter([]), timeout=10)
        with pytest.raises(grpc.RpcError) as refused:
            next(stream)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
