from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from fabric_fake_gateway import (
    CHAINCODE,
    CHANNEL,
    MSP_ID,
    FakeGateway,
    FakeGatewayServer,
    Fault,
    KeyPair,
    make_key_pair,
    verify_signature,
)
from fabric_protos.common import common_pb2
from fabric_protos.peer import transaction_pb2

import gateway.fabric as fabric
from gateway.fabric import Gateway, Identity, Signer

BANK_PEER = ("peer0.bank.example.com:7051", "BankMSP")
PLATFORM_PEER = ("peer0.platform.example.com:8051", "PlatformMSP")


def contract(gateway: Gateway) -> fabric.Contract:
    return gateway.get_network(CHANNEL).get_contract(CHAINCODE)


# -- the happy paths ----------------------------------------------------------------------------


def test_submit_transaction(gateway: Gateway, fake: FakeGateway) -> None:
    result = contract(gateway).submit_transaction("Transfer", ["acme", "bolt", "12.00"])

    assert result == fabric.SubmitResult(b"result of Transfer", result.transaction_id, fake.block_number)
    [endorsed] = fake.endorsed
    assert endorsed.transaction_id == result.transaction_id
    assert (endorsed.channel_id, endorsed.chaincode_name) == (CHANNEL, CHAINCODE)
    assert endorsed.args == [b"Transfer", b"acme", b"bolt", b"12.00"]
    assert len(fake.submitted) == 1
    [status_request] = fake.commit_status_requests
    assert (status_request.transaction_id, status_request.channel_id) == (result.transaction_id, CHANNEL)
    assert fake.signature_failures == []


def test_step_by_step_resubmits_the_same_persisted_envelope(gateway: Gateway, fake: FakeGateway) -> None:
    network = gateway.get_network(CHANNEL)
    proposal = network.get_contract(CHAINCODE).new_proposal(
        "Mint", [b"acme", b"100.00"], endorsing_organizations=["BankMSP", "PlatformMSP"]
    )
    transaction = proposal.endorse()
    persisted = transaction.bytes()
    assert (transaction.transaction_id, transaction.result) == (proposal.transaction_id, b"result of Mint")
    assert fake.endorsed[0].endorsing_organizations == ["BankMSP", "PlatformMSP"]
    transaction.submit()

    # ...the process crashes; a new one rebuilds the transaction from the persisted bytes.
    rebuilt = network.new_transaction(persisted)
    assert (rebuilt.transaction_id, rebuilt.result, rebuilt.bytes()) == (
        proposal.transaction_id,
        b"result of Mint",
        persisted,
    )
    commit = rebuilt.submit()

    assert fake.submitted == [persisted, persisted]
    assert commit.transaction_id == proposal.transaction_id
    assert commit.get_status() == fabric.Status(
        code=0, code_name="VALID", block_number=fake.block_number, successful=True,
        transaction_id=proposal.transaction_id,
    )  # fmt: skip
    assert fake.signature_failures == []


def test_the_envelope_signature_covers_its_payload(gateway: Gateway, client_keys: KeyPair) -> None:
    transaction = contract(gateway).new_proposal("Mint", ["acme"]).endorse()
    envelope = common_pb2.Envelope.FromString(transaction.bytes())
    verify_signature(client_keys.cert_pem, envelope.payload, envelope.signature)


def test_get_commit_status_of_any_transaction_id(gateway: Gateway, fake: FakeGateway) -> None:
    fake.commit_code = transaction_pb2.MVCC_READ_CONFLICT

    status = gateway.get_network(CHANNEL).get_commit_status("f00d")

    assert status == fabric.Status(11, "MVCC_READ_CONFLICT", fake.block_number, False, "f00d")
    assert fake.commit_status_requests[0].transaction_id == "f00d"


def test_evaluate_transaction(gateway: Gateway, fake: FakeGateway) -> None:
    fake.result = lambda invocation: b'{"balance":"10.00"}' if invocation.args[1] == b"acme" else b""

    assert contract(gateway).evaluate_transaction("GetAccount", ["acme"]) == b'{"balance":"10.00"}'
    assert fake.endorsed == [] and fake.submitted == []


def test_evaluate_sends_target_organizations(gateway: Gateway, fake: FakeGateway) -> None:
    contract(gateway).new_proposal("GetAccount", ["acme"], endorsing_organizations=["AuditorMSP"]).evaluate()
    assert fake.evaluated[0].endorsing_organizations == ["AuditorMSP"]


def test_one_gateway_serves_many_threads(gateway: Gateway, fake: FakeGateway) -> None:
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: contract(gateway).submit_transaction("Transfer", [str(i)]), range(64)))

    assert len({result.transaction_id for result in results}) == 64
    assert len(fake.submitted) == 64
    assert fake.signature_failures == []


def test_connect_over_tls(fake: FakeGateway, identity: Identity, signer: Signer) -> None:
    tls_ca = make_key_pair("tlsca.bank.example.com")
    peer_tls = make_key_pair("peer0.bank.example.com", issuer=tls_ca, sans=["localhost", "127.0.0.1"])
    credentials = grpc.ssl_server_credentials([(peer_tls.key_pem, peer_tls.cert_pem)])
    server = FakeGatewayServer(fake, credentials)
    try:
        with fabric.connect(server.address, tls_ca.cert_pem, identity, signer) as gateway:
            assert contract(gateway).evaluate_transaction("GetAccount", ["acme"]) == b"result of GetAccount"
        with fabric.connect(
            f"localhost:{server.port}", tls_ca.cert_pem, identity, signer, server_name_override="localhost"
        ) as gateway:
            assert contract(gateway).evaluate_transaction("Ping") == b"result of Ping"
        # A gateway that owns its channel closes it.
        with pytest.raises(ValueError):
            contract(gateway).evaluate_transaction("Ping")
    finally:
        server.stop()


def test_connect_rejects_a_peer_of_another_ca(fake: FakeGateway, identity: Identity, signer: Signer) -> None:
    peer_tls = make_key_pair("peer0", issuer=make_key_pair("tlsca"), sans=["127.0.0.1"])
    server = FakeGatewayServer(fake, grpc.ssl_server_credentials([(peer_tls.key_pem, peer_tls.cert_pem)]))
    try:
        with (
            fabric.connect(server.address, make_key_pair("other ca").cert_pem, identity, signer) as gateway,
            pytest.raises(fabric.EvaluateError) as caught,
        ):
            contract(gateway).evaluate_transaction("Ping")
        assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop()


def test_connect_presents_the_client_pair_to_a_peer_that_requires_one(
    fake: FakeGateway, identity: Identity, signer: Signer
) -> None:
    tls_ca = make_key_pair("tlsca.bank.example.com")
    peer_tls = make_key_pair("peer0.bank.example.com", issuer=tls_ca, sans=["127.0.0.1"])
    client_tls = make_key_pair("issuer", issuer=tls_ca)
    stranger = make_key_pair("issuer", issuer=make_key_pair("tlsca.elsewhere"))
    credentials = grpc.ssl_server_credentials(
        [(peer_tls.key_pem, peer_tls.cert_pem)], root_certificates=tls_ca.cert_pem, require_client_auth=True
    )
    server = FakeGatewayServer(fake, credentials)
    try:
        with fabric.connect(
            server.address,
            tls_ca.cert_pem,
            identity,
            signer,
            tls_client_cert_pem=client_tls.cert_pem,
            tls_client_key_pem=client_tls.key_pem,
        ) as gateway:
            assert contract(gateway).evaluate_transaction("Ping") == b"result of Ping"
        for pair in (None, stranger):
            pem = {} if pair is None else {"tls_client_cert_pem": pair.cert_pem, "tls_client_key_pem": pair.key_pem}
            with (
                fabric.connect(server.address, tls_ca.cert_pem, identity, signer, **pem) as gateway,
                pytest.raises(fabric.EvaluateError) as caught,
            ):
                contract(gateway).evaluate_transaction("Ping")
            assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop()


def test_connect_wants_both_halves_of_a_client_pair(identity: Identity, signer: Signer) -> None:
    pair = make_key_pair("issuer")
    with pytest.raises(ValueError, match="both"):
        fabric.connect("127.0.0.1:1", pair.cert_pem, identity, signer, tls_client_cert_pem=pair.cert_pem)


# -- every fault path maps to its typed error -----------------------------------------------------

ENDORSE_FAULT = Fault(
    grpc.StatusCode.ABORTED,
    "failed to collect enough transaction endorsements, see attached details for more info",
    [
        (*BANK_PEER, "chaincode response 500, INSUFFICIENT_FUNDS: account acme has 10.00 USD, needs 12.00"),
        (*PLATFORM_PEER, "chaincode response 500, INSUFFICIENT_FUNDS: account acme has 10.00 USD, needs 12.00"),
    ],
)


def test_endorse_failure(gateway: Gateway, fake: FakeGateway) -> None:
    fake.faults["Endorse"] = ENDORSE_FAULT
    proposal = contract(gateway).new_proposal("Transfer", ["acme", "bolt", "12.00"])

    with pytest.raises(fabric.EndorseError) as caught:
        proposal.endorse()

    error = caught.value
    assert error.transaction_id == proposal.transaction_id
    assert error.code == grpc.StatusCode.ABORTED
    assert error.message == ENDORSE_FAULT.message
    assert error.details == [fabric.ErrorDetail(*detail) for detail in ENDORSE_FAULT.details]
    assert error.chaincode_code == "INSUFFICIENT_FUNDS"
    assert error.chaincode_message == "account acme has 10.00 USD, needs 12.00"
    assert isinstance(error.__cause__, grpc.RpcError)
    assert fake.submitted == []


def test_submit_transaction_surfaces_endorse_errors(gateway: Gateway, fake: FakeGateway) -> None:
    fake.faults["Endorse"] = ENDORSE_FAULT
    with pytest.raises(fabric.EndorseError) as caught:
        contract(gateway).submit_transaction("Transfer", ["acme", "bolt", "12.00"])
    assert len(caught.value.transaction_id or "") == 64  # hex SHA-256
    assert caught.value.chaincode_code == "INSUFFICIENT_FUNDS"


def test_submit_failure(gateway: Gateway, fake: FakeGateway) -> None:
    fake.faults["Submit"] = Fault(
        grpc.StatusCode.UNAVAILABLE, "no orderers available", [("orderer0:7050", "BankMSP", "connection refused")]
    )
    transaction = contract(gateway).new_proposal("Transfer", ["acme"]).endorse()

    with pytest.raises(fabric.SubmitError) as caught:
        transaction.submit()

    error = caught.value
    assert (error.transaction_id, error.code) == (transaction.transaction_id, grpc.StatusCode.UNAVAILABLE)
    assert error.details == [fabric.ErrorDetail("orderer0:7050", "BankMSP", "connection refused")]
    assert error.chaincode_code is None


def test_commit_status_failure(gateway: Gateway, fake: FakeGateway) -> None:
    fake.faults["CommitStatus"] = Fault(grpc.StatusCode.UNAVAILABLE, "peer is shutting down")
    commit = contract(gateway).new_proposal("Transfer", ["acme"]).endorse().submit()

    with pytest.raises(fabric.CommitStatusError) as caught:
        commit.get_status()

    assert (caught.value.transaction_id, caught.value.code) == (
        commit.transaction_id,
        grpc.StatusCode.UNAVAILABLE,
    )
    # The outcome is unknown, so asking again for the same id is the remedy.
    del fake.faults["CommitStatus"]
    assert commit.get_status().successful


def test_commit_status_deadline(
    fake: FakeGateway, server: FakeGatewayServer, identity: Identity, signer: Signer
) -> None:
    fake.commit_delay = 0.5
    with (
        grpc.insecure_channel(server.address) as channel,
        Gateway(channel, identity, signer, timeouts=fabric.Timeouts(commit_status=0.05)) as gateway,
        pytest.raises(fabric.CommitStatusError) as caught,
    ):
        gateway.get_network(CHANNEL).get_commit_status("slow")
    assert (caught.value.transaction_id, caught.value.code) == ("slow", grpc.StatusCode.DEADLINE_EXCEEDED)


def test_invalid_commit(gateway: Gateway, fake: FakeGateway) -> None:
    fake.commit_code = transaction_pb2.MVCC_READ_CONFLICT

    with pytest.raises(fabric.CommitError) as caught:
        contract(gateway).submit_transaction("Transfer", ["acme", "bolt", "1.00"])

    error = caught.value
    assert error.transaction_id == fake.endorsed[0].transaction_id
    assert (error.status_code, error.code_name, error.block_number) == (11, "MVCC_READ_CONFLICT", 7)


def test_evaluate_failure(gateway: Gateway, fake: FakeGateway) -> None:
    fake.faults["Evaluate"] = Fault(
        grpc.StatusCode.UNKNOWN,
        "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: no account zed",
        [(*BANK_PEER, "chaincode response 500, NOT_FOUND: no account zed")],
    )
    proposal = contract(gateway).new_proposal("GetAccount", ["zed"])

    with pytest.raises(fabric.EvaluateError) as caught:
        proposal.evaluate()

    error = caught.value
    assert (error.transaction_id, error.code) == (proposal.transaction_id, grpc.StatusCode.UNKNOWN)
    assert error.details == [fabric.ErrorDetail(*BANK_PEER, "chaincode response 500, NOT_FOUND: no account zed")]
    assert (error.chaincode_code, error.chaincode_message) == ("NOT_FOUND", "no account zed")


def test_unreachable_gateway(identity: Identity, signer: Signer) -> None:
    with (
        grpc.insecure_channel("127.0.0.1:1") as channel,
        Gateway(channel, identity, signer) as gateway,
        pytest.raises(fabric.EndorseError) as caught,
    ):
        contract(gateway).submit_transaction("Transfer", ["acme"])
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE


def test_new_transaction_rejects_what_is_not_a_signed_envelope_of_this_channel(gateway: Gateway) -> None:
    network = gateway.get_network(CHANNEL)
    envelope = common_pb2.Envelope.FromString(contract(gateway).new_proposal("Mint").endorse().bytes())

    with pytest.raises(ValueError, match="not a Fabric"):
        network.new_transaction(b"\xff\xff garbage")
    with pytest.raises(ValueError, match="not signed"):
        network.new_transaction(common_pb2.Envelope(payload=envelope.payload).SerializeToString())
    with pytest.raises(ValueError, match="channel"):
        gateway.get_network("other").new_transaction(envelope.SerializeToString())


# -- chaincode events ---------------------------------------------------------------------------


def _ledger(fake: FakeGateway) -> None:
    fake.ledger.blocks = {
        3: [("tx3a", CHAINCODE, "Transferred", b"3a"), ("tx3x", "other", "Other", b"")],
        4: [("tx4a", CHAINCODE, "Minted", b"4a"), ("tx4b", CHAINCODE, "Transferred", b"4b")],
        5: [("tx5a", CHAINCODE, "Frozen", b"5a")],
    }


def _take(events: fabric.ChaincodeEvents, count: int) -> list[fabric.ChaincodeEvent]:
    taken = []
    for event in events:
        taken.append(event)
        if len(taken) == count:
            break
    return taken


def test_chaincode_events_from_a_start_block(gateway: Gateway, fake: FakeGateway) -> None:
    _ledger(fake)

    with gateway.get_network(CHANNEL).get_chaincode_events(CHAINCODE, start_block=4) as events:
        received = _take(events, 3)

    assert received == [
        fabric.ChaincodeEvent(4, "tx4a", CHAINCODE, "Minted", b"4a"),
        fabric.ChaincodeEvent(4, "tx4b", CHAINCODE, "Transferred", b"4b"),
        fabric.ChaincodeEvent(5, "tx5a", CHAINCODE, "Frozen", b"5a"),
    ]
    [request] = fake.event_requests
    assert request.start_position.WhichOneof("Type") == "specified"
    assert request.start_position.specified.number == 4
    assert (request.channel_id, request.chaincode_id) == (CHANNEL, CHAINCODE)
    assert fake.signature_failures == []


def test_chaincode_events_resume_after_the_last_handled_transaction(gateway: Gateway, fake: FakeGateway) -> None:
    _ledger(fake)
    network = gateway.get_network(CHANNEL)
    with network.get_chaincode_events(CHAINCODE, start_block=3) as events:
        first = _take(events, 2)
    last = first[-1]
    assert last.transaction_id == "tx4a"

    with network.get_chaincode_events(
        CHAINCODE, start_block=last.block_number, after_transaction_id=last.transaction_id
    ) as events:
        rest = _take(events, 2)

    assert [event.transaction_id for event in rest] == ["tx4b", "tx5a"]
    assert fake.event_requests[1].after_transaction_id == "tx4a"


def test_chaincode_events_default_to_the_next_commit(gateway: Gateway, fake: FakeGateway) -> None:
    _ledger(fake)
    events = gateway.get_network(CHANNEL).get_chaincode_events(CHAINCODE)
    received: list[fabric.ChaincodeEvent] = []
    reader = threading.Thread(target=lambda: received.extend(events))
    reader.start()
    while not fake.event_requests:
        threading.Event().wait(0.01)

    events.close()  # from another thread: the blocked iteration ends quietly
    reader.join(timeout=5)

    assert not reader.is_alive()
    assert received == []
    assert fake.event_requests[0].start_position.WhichOneof("Type") == "next_commit"


def test_chaincode_events_stream_failure(gateway: Gateway, fake: FakeGateway) -> None:
    _ledger(fake)
    fake.faults["ChaincodeEvents.after"] = Fault(
        grpc.StatusCode.UNAVAILABLE, "ledger unavailable", [(*BANK_PEER, "shutting down")]
    )
    received: list[fabric.ChaincodeEvent] = []

    with (
        pytest.raises(fabric.ChaincodeEventsError) as caught,
        gateway.get_network(CHANNEL).get_chaincode_events(CHAINCODE, start_block=5) as events,
    ):
        received.extend(events)

    assert [event.transaction_id for event in received] == ["tx5a"]
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE
    assert caught.value.details == [fabric.ErrorDetail(*BANK_PEER, "shutting down")]
    assert caught.value.transaction_id is None


def test_chaincode_events_rejects_a_negative_start_block(gateway: Gateway) -> None:
    with pytest.raises(ValueError):
        gateway.get_network(CHANNEL).get_chaincode_events(CHAINCODE, start_block=-1)


def test_gateway_does_not_close_a_channel_it_does_not_own(
    server: FakeGatewayServer, identity: Identity, signer: Signer
) -> None:
    with grpc.insecure_channel(server.address) as channel:
        with Gateway(channel, identity, signer) as gateway:
            assert gateway.identity.msp_id == MSP_ID
        assert contract(Gateway(channel, identity, signer)).evaluate_transaction("Ping") == b"result of Ping"


def test_the_fake_rejects_a_signature_by_another_key(server: FakeGatewayServer, identity: Identity) -> None:
    """Guards the fake itself: a signer that does not match the identity's certificate is refused."""
    impostor = Signer(make_key_pair("impostor").key)
    with (
        grpc.insecure_channel(server.address) as channel,
        Gateway(channel, identity, impostor) as gateway,
        pytest.raises(fabric.EndorseError) as caught,
    ):
        contract(gateway).new_proposal("Transfer").endorse()
    assert caught.value.code == grpc.StatusCode.PERMISSION_DENIED
    assert server.fake.signature_failures
