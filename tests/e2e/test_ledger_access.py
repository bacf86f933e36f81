"""Issue 16, part 4, on the live network: a member holding its own certificate cannot read the ledger
around the gateway — the peer refuses it blocks (Deliver, qscc) and chaincode events (the Gateway's
ChaincodeEvents), the orderer refuses it blocks — while it still endorses, submits and evaluates, and the
gateways' service identities keep reading."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fabric_protos.common import common_pb2
from fabric_protos.orderer import ab_pb2, ab_pb2_grpc
from fabric_protos.peer import events_pb2_grpc
from google.protobuf import timestamp_pb2

from chaincode import protocol
from gateway import fabric
from network import channel_policies
from network.network import Network
from network.nodes import admin_cli_env
from network.pki import SERVICE_IDENTITY, OrgCrypto
from network.topology import Org
from tests.e2e.conftest import connect_as

MEMBERS = ("buyer-us", "seller-cn", "operator")  # PlatformOrg's; BankOrg's and AuditorOrg's below
BANK_MEMBERS = ("issuer", "compliance")


def identity(network: Network, org: Org, name: str) -> tuple[fabric.Identity, fabric.Signer]:
    return fabric.load_msp(OrgCrypto(network.layout.crypto, org).user_msp(name), org.msp_id)


def deliver_envelope(network: Network, org: Org, name: str) -> common_pb2.Envelope:
    """A signed request for the newest block, as `peer channel fetch newest` sends it."""
    ident, signer = identity(network, org, name)
    now = time.time_ns()
    # Under mutual TLS the nodes check the request is bound to the TLS client certificate it came over.
    tls_cert = x509.load_pem_x509_certificate(OrgCrypto(network.layout.crypto, org).user_tls(name).cert.read_bytes())
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.HeaderType.Value("DELIVER_SEEK_INFO"),
        channel_id=network.topology.channel,
        timestamp=timestamp_pb2.Timestamp(seconds=now // 1_000_000_000, nanos=now % 1_000_000_000),
        tls_cert_hash=hashlib.sha256(tls_cert.public_bytes(serialization.Encoding.DER)).digest(),
    )
    signature_header = common_pb2.SignatureHeader(creator=ident.serialize(), nonce=os.urandom(24))
    newest = ab_pb2.SeekPosition(newest=ab_pb2.SeekNewest())
    seek = ab_pb2.SeekInfo(start=newest, stop=newest, behavior=ab_pb2.SeekInfo.BLOCK_UNTIL_READY)
    payload = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(), signature_header=signature_header.SerializeToString()
        ),
        data=seek.SerializeToString(),
    ).SerializeToString()
    return common_pb2.Envelope(payload=payload, signature=signer.sign(payload))


def channel_to(network: Network, org: Org, name: str, address: str) -> grpc.Channel:
    """A TLS channel presenting `name`'s own client pair (the nodes require one)."""
    crypto = OrgCrypto(network.layout.crypto, org)
    tls = crypto.user_tls(name)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=crypto.tls_ca_cert.read_bytes(),
        private_key=tls.key.read_bytes(),
        certificate_chain=tls.cert.read_bytes(),
    )
    return grpc.secure_channel(address, credentials)


def delivered(responses: Iterator[object]) -> str:
    """'block' when a block came back, else the status the node answered with."""
    for response in responses:
        kind = response.WhichOneof("Type")  # type: ignore[attr-defined]
        if kind in ("block", "filtered_block"):
            return "block"
        if kind == "status":
            return common_pb2.Status.Name(response.status)  # type: ignore[attr-defined]
    return "nothing"


def peer_deliver(network: Network, org: Org, name: str, *, filtered: bool) -> str:
    with channel_to(network, org, name, org.peer.address) as ch:
        stub = events_pb2_grpc.DeliverStub(ch)
        call = stub.DeliverFiltered if filtered else stub.Deliver
        return delivered(call(iter([deliver_envelope(network, org, name)]), timeout=15))


def orderer_deliver(network: Network, org: Org, name: str) -> str:
    with channel_to(network, org, name, org.orderer.address) as ch:
        stub = ab_pb2_grpc.AtomicBroadcastStub(ch)
        return delivered(stub.Deliver(iter([deliver_envelope(network, org, name)]), timeout=15))


def peer_cli(network: Network, org: Org, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `peer` CLI signing as `name` (its own MSP folder and TLS client pair), against org's peer."""
    crypto = OrgCrypto(network.layout.crypto, org)
    tls = crypto.user_tls(name)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
    env.update(admin_cli_env(network.layout, org, network.tools.cfg))
    env["CORE_PEER_MSPCONFIGPATH"] = str(crypto.user_msp(name))
    env["CORE_PEER_TLS_CLIENTCERT_FILE"] = str(tls.cert)
    env["CORE_PEER_TLS_CLIENTKEY_FILE"] = str(tls.key)
    return subprocess.run(
        [str(network.tools.bindir / "peer"), *args], env=env, capture_output=True, text=True, timeout=60
    )


def orderer_flags(network: Network, org: Org, name: str) -> list[str]:
    """`peer channel fetch` flags for org's orderer, presenting `name`'s client pair."""
    crypto = OrgCrypto(network.layout.crypto, org)
    tls = crypto.user_tls(name)
    server = ["-o", org.orderer.address, "--tls", "--cafile", str(crypto.tls_ca_cert)]
    return [*server, "--clientauth", "--certfile", str(tls.cert), "--keyfile", str(tls.key)]


def everyone(network: Network) -> list[tuple[Org, str]]:
    return [(org, i.name) for org in network.topology.orgs for i in org.identities]


@pytest.fixture(scope="module")
def activity(network: Network, contracts: dict[str, fabric.Contract]) -> str:
    """At least one block with one of our events on every node; returns that transaction's id."""
    org = network.topology.org("BankOrg")
    from gateway.directory import Directory

    msp, subject = Directory(network.topology, network.layout, org).holder("PlatformOrg/buyer-us") or ("", "")
    acct = f"acl-{uuid.uuid4().hex[:10]}"
    args = protocol.OpenAccount(acct, msp, subject, "KYC-ACL", uuid.uuid4().hex)
    result = contracts["BankOrg/issuer"].submit_transaction(args.FUNCTION.value, [args.to_json()])
    network.wait_peers_in_sync()
    return result.transaction_id


def test_the_channel_config_names_exactly_who_reads(network: Network) -> None:
    block = (network.layout.channel / f"{network.topology.channel}.block").read_bytes()
    for org in network.topology.orgs:
        for section in ("Application", "Orderer"):
            m = org.msp_id
            assert channel_policies.readers_principals(block, section, m) == [
                f"{m}.admin",
                f"{m}.peer",
                f"{m}.orderer",
                f"{m}.OU=gateway",
            ]


def test_members_get_no_blocks_from_peers_or_orderers(network: Network, activity: str) -> None:
    for org, name in everyone(network):
        assert peer_deliver(network, org, name, filtered=False) == "FORBIDDEN", (org.name, name)
        assert peer_deliver(network, org, name, filtered=True) == "FORBIDDEN", (org.name, name)
        assert orderer_deliver(network, org, name) == "FORBIDDEN", (org.name, name)
    # ...while each org's gateway identity and admin do (the same requests, signed by them).
    for org in network.topology.orgs:
        for reader in (SERVICE_IDENTITY, "admin"):
            assert peer_deliver(network, org, reader, filtered=False) == "block", (org.name, reader)
            assert peer_deliver(network, org, reader, filtered=True) == "block", (org.name, reader)
            assert orderer_deliver(network, org, reader) == "block", (org.name, reader)


def test_members_get_no_chaincode_events_and_no_qscc(network: Network, activity: str) -> None:
    for org, name in everyone(network):
        with connect_as(network, org, name) as gw:
            net = gw.get_network(network.topology.channel)
            with pytest.raises(fabric.ChaincodeEventsError) as refused:
                for _ in net.get_chaincode_events(network.topology.chaincode.name, start_block=0):
                    break
            assert refused.value.code == grpc.StatusCode.PERMISSION_DENIED, (org.name, name, refused.value)
            with pytest.raises(fabric.EvaluateError):
                net.get_transaction(activity)
            with pytest.raises(fabric.EvaluateError):
                net.get_contract("qscc").evaluate_transaction("GetChainInfo", [network.topology.channel])


def test_the_gateway_identity_reads_events_and_transactions(network: Network, activity: str) -> None:
    for org in network.topology.orgs:
        with connect_as(network, org, SERVICE_IDENTITY) as gw:
            net = gw.get_network(network.topology.channel)
            found = net.get_transaction(activity)
            assert found.code_name == "VALID" and found.event_name == "AccountOpened"
            assert json.loads(found.event_payload or b"{}")["tx_id"] == activity
            got: list[str] = []
            events = net.get_chaincode_events(network.topology.chaincode.name, start_block=0)
            timer = threading.Timer(20, events.close)
            timer.start()
            try:
                for e in events:
                    got.append(e.transaction_id)
                    if e.transaction_id == activity:
                        break
            finally:
                timer.cancel()
                events.close()
            assert activity in got, org.name


def test_members_still_transact_through_the_peers_gateway(
    network: Network, contracts: dict[str, fabric.Contract]
) -> None:
    """Endorse, submit, commit status (its own) and evaluate: signed by a member, on its own peer."""
    acct = f"acl-{uuid.uuid4().hex[:10]}"
    from gateway.directory import Directory

    bank = network.topology.org("BankOrg")
    msp, subject = Directory(network.topology, network.layout, bank).holder("PlatformOrg/seller-cn") or ("", "")
    opened = protocol.OpenAccount(acct, msp, subject, "KYC-ACL2", uuid.uuid4().hex)
    done = contracts["BankOrg/issuer"].submit_transaction(opened.FUNCTION.value, [opened.to_json()])
    assert done.block_number > 0
    network.wait_peers_in_sync()
    view = json.loads(
        contracts["PlatformOrg/seller-cn"].evaluate_transaction("get_account", [json.dumps({"account_id": acct})])
    )
    assert view["id"] == acct


def test_the_peer_cli_as_a_member_is_refused(network: Network, activity: str, tmp_path: Path) -> None:
    platform = network.topology.org("PlatformOrg")
    channel = network.topology.channel
    info = peer_cli(network, platform, "buyer-us", "channel", "getinfo", "-c", channel)
    assert info.returncode != 0 and "access denied" in (info.stderr + info.stdout).lower(), info.stderr
    fetch = peer_cli(
        network,
        platform,
        "buyer-us",
        "channel",
        "fetch",
        "newest",
        str(tmp_path / "b"),
        "-c",
        channel,
        *orderer_flags(network, platform, "buyer-us"),
    )
    assert fetch.returncode != 0 and "FORBIDDEN" in fetch.stderr + fetch.stdout, fetch.stderr
    # The org's admin, with the same commands, reads both.
    ok = peer_cli(network, platform, "admin", "channel", "getinfo", "-c", channel)
    assert ok.returncode == 0 and "Blockchain info" in ok.stdout, ok.stderr
    ok = peer_cli(
        network,
        platform,
        "admin",
        "channel",
        "fetch",
        "newest",
        str(tmp_path / "a"),
        "-c",
        channel,
        *orderer_flags(network, platform, "admin"),
    )
    assert ok.returncode == 0, ok.stderr
