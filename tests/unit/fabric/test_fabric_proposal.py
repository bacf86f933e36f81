from __future__ import annotations

import hashlib

import pytest
from fabric_fake_gateway import CHAINCODE, CHANNEL, KeyPair, verify_signature
from fabric_protos.common import common_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2

from gateway.fabric import Gateway, Identity
from gateway.fabric._proposal import NONCE_LENGTH, as_bytes_args, build_proposal, transaction_id


def test_transaction_id_is_sha256_of_nonce_and_creator() -> None:
    nonce, creator = b"n" * 24, b"serialized identity"
    assert transaction_id(nonce, creator) == hashlib.sha256(b"n" * 24 + b"serialized identity").hexdigest()
    # A known vector, so a change of the hash input order cannot pass unnoticed.
    assert transaction_id(b"abc", b"") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_build_proposal_layout(identity: Identity) -> None:
    creator, nonce = identity.serialize(), bytes(range(24))

    tx_id, proposal_bytes = build_proposal(
        channel_name=CHANNEL,
        chaincode_name=CHAINCODE,
        transaction_name="Transfer",
        args=[b"acme", b"12.00"],
        creator=creator,
        nonce=nonce,
    )

    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    assert channel_header.type == common_pb2.ENDORSER_TRANSACTION
    assert (channel_header.channel_id, channel_header.tx_id) == (CHANNEL, tx_id)
    assert tx_id == hashlib.sha256(nonce + creator).hexdigest()
    assert channel_header.timestamp.seconds > 0
    extension = proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension)
    assert extension.chaincode_id.name == CHAINCODE

    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    assert (signature_header.creator, signature_header.nonce) == (creator, nonce)

    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    assert spec.chaincode_id.name == CHAINCODE
    assert list(spec.input.args) == [b"Transfer", b"acme", b"12.00"]


def test_new_proposal_is_signed_with_a_fresh_nonce(gateway: Gateway, client_keys: KeyPair) -> None:
    contract = gateway.get_network(CHANNEL).get_contract(CHAINCODE)

    first = contract.new_proposal("GetAccount", ["acme"])
    second = contract.new_proposal("GetAccount", ["acme"])

    assert first.transaction_id != second.transaction_id
    signed = proposal_pb2.SignedProposal.FromString(first.bytes())
    verify_signature(client_keys.cert_pem, signed.proposal_bytes, signed.signature)
    header = common_pb2.Header.FromString(proposal_pb2.Proposal.FromString(signed.proposal_bytes).header)
    nonce = common_pb2.SignatureHeader.FromString(header.signature_header).nonce
    assert len(nonce) == NONCE_LENGTH


def test_args_may_be_str_or_bytes() -> None:
    assert as_bytes_args(["zoë", b"\x00raw"]) == ["zoë".encode(), b"\x00raw"]
    with pytest.raises(TypeError):
        as_bytes_args("acme")
