from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from fabric_fake_gateway import MSP_ID, FakeGateway, FakeGatewayServer, KeyPair, make_key_pair

from gateway.fabric import Gateway, Identity, Signer, Timeouts


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
