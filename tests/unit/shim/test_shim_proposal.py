"""Reading the creator and timestamp out of a signed proposal."""

from __future__ import annotations

import pytest
from fabric_protos.peer import proposal_pb2
from shim_fake_peer import signed_proposal

from chaincode.shim._proposal import read_proposal
from chaincode.stub import Creator, TxTimestamp


def test_reads_creator_and_channel_header_timestamp() -> None:
    creator, timestamp = read_proposal(signed_proposal("AuditorOrgMSP", b"PEM", 12, 34, "tx"))
    assert creator == Creator(msp_id="AuditorOrgMSP", id_bytes=b"PEM")
    assert timestamp == TxTimestamp(seconds=12, nanos=34)


def test_a_missing_proposal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no signed proposal"):
        read_proposal(proposal_pb2.SignedProposal())


def test_a_malformed_proposal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="malformed signed proposal"):
        read_proposal(proposal_pb2.SignedProposal(proposal_bytes=b"\xff\xff\xff"))
