"""What a transaction learns from its signed proposal: who signed it and when."""

from __future__ import annotations

from typing import Any

from chaincode.shim._protos import DecodeError, common_pb2, identities_pb2, proposal_pb2
from chaincode.stub import Creator, TxTimestamp


def read_proposal(signed_proposal: Any) -> tuple[Creator, TxTimestamp]:
    """The creator and the channel-header timestamp of a `SignedProposal` message.

    Raises ValueError when the proposal is missing or does not decode.
    """
    if not signed_proposal.proposal_bytes:
        raise ValueError("the transaction carries no signed proposal")
    try:
        proposal = proposal_pb2.Proposal.FromString(signed_proposal.proposal_bytes)
        header = common_pb2.Header.FromString(proposal.header)
        signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
        identity = identities_pb2.SerializedIdentity.FromString(signature_header.creator)
        channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    except DecodeError as exc:
        raise ValueError(f"malformed signed proposal: {exc}") from exc
    creator = Creator(msp_id=identity.mspid, id_bytes=identity.id_bytes)
    timestamp = TxTimestamp(seconds=channel_header.timestamp.seconds, nanos=channel_header.timestamp.nanos)
    return creator, timestamp
