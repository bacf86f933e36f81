"""A signed transaction proposal: how it is built, endorsed and evaluated."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

from gateway.fabric import _protos
from gateway.fabric._context import NetworkContext
from gateway.fabric._errors import EndorseError, Step, translate_rpc_errors
from gateway.fabric._transaction import Transaction

NONCE_LENGTH = 24


def transaction_id(nonce: bytes, creator: bytes) -> str:
    """Fabric's transaction id: hex(SHA-256(nonce ‖ serialized creator identity))."""
    return hashlib.sha256(nonce + creator).hexdigest()


def as_bytes_args(args: Sequence[str | bytes]) -> list[bytes]:
    """Chaincode arguments as bytes (strings UTF-8). Raises TypeError for a bare str or bytes."""
    if isinstance(args, str | bytes):
        raise TypeError("args is a sequence of arguments, not one str or bytes")
    return [arg.encode() if isinstance(arg, str) else bytes(arg) for arg in args]


def build_proposal(
    *,
    channel_name: str,
    chaincode_name: str,
    transaction_name: str,
    args: Sequence[bytes],
    creator: bytes,
    nonce: bytes,
) -> tuple[str, bytes]:
    """The transaction id and serialized `peer.Proposal` invoking `transaction_name(*args)`."""
    tx_id = transaction_id(nonce, creator)
    chaincode_id = _protos.chaincode.ChaincodeID(name=chaincode_name)

    channel_header = _protos.common.ChannelHeader(
        type=_protos.common.HeaderType.Value("ENDORSER_TRANSACTION"),
        channel_id=channel_name,
        tx_id=tx_id,
        extension=_protos.proposal.ChaincodeHeaderExtension(chaincode_id=chaincode_id).SerializeToString(),
    )
    channel_header.timestamp.GetCurrentTime()
    header = _protos.common.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=_protos.common.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )

    invocation = _protos.chaincode.ChaincodeInvocationSpec(
        chaincode_spec=_protos.chaincode.ChaincodeSpec(
            # The peer ignores the language; NODE is what Fabric's own Gateway clients send.
            type=_protos.chaincode.ChaincodeSpec.Type.Value("NODE"),
            chaincode_id=chaincode_id,
            input=_protos.chaincode.ChaincodeInput(args=[transaction_name.encode(), *args]),
        )
    )
    payload = _protos.proposal.ChaincodeProposalPayload(input=invocation.SerializeToString())
    proposal = _protos.proposal.Proposal(header=header.SerializeToString(), payload=payload.SerializeToString())
    return tx_id, bytes(proposal.SerializeToString())


class Proposal:
    """A signed proposal to invoke one transaction function. Endorse it to submit, or evaluate it to query."""

    def __init__(
        self,
        context: NetworkContext,
        chaincode_name: str,
        transaction_name: str,
        args: Sequence[bytes],
        endorsing_organizations: Sequence[str] | None,
    ) -> None:
        self._context = context
        self._endorsing_organizations = list(endorsing_organizations or ())
        self._transaction_id, proposal_bytes = build_proposal(
            channel_name=context.channel_name,
            chaincode_name=chaincode_name,
            transaction_name=transaction_name,
            args=args,
            creator=context.creator,
            nonce=os.urandom(NONCE_LENGTH),
        )
        self._signed_proposal: Any = _protos.proposal.SignedProposal(
            proposal_bytes=proposal_bytes, signature=context.signer.sign(proposal_bytes)
        )

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    def endorse(self) -> Transaction:
        """Collect endorsements and sign the prepared transaction. Raises EndorseError."""
        request = _protos.gateway.EndorseRequest(
            transaction_id=self._transaction_id,
            channel_id=self._context.channel_name,
            proposed_transaction=self._signed_proposal,
            endorsing_organizations=self._endorsing_organizations,
        )
        with translate_rpc_errors(Step.ENDORSE, self._transaction_id):
            response = self._context.stub.Endorse(request, timeout=self._context.timeouts.endorse)
        envelope = response.prepared_transaction
        envelope.signature = self._context.signer.sign(envelope.payload)
        try:
            return Transaction(self._context, envelope)
        except ValueError as exc:
            raise EndorseError(
                f"the gateway returned an unusable transaction: {exc}", transaction_id=self._transaction_id
            ) from exc

    def evaluate(self) -> bytes:
        """Run the transaction function on one peer without ordering it; its result. Raises EvaluateError."""
        request = _protos.gateway.EvaluateRequest(
            transaction_id=self._transaction_id,
            channel_id=self._context.channel_name,
            proposed_transaction=self._signed_proposal,
            target_organizations=self._endorsing_organizations,
        )
        with translate_rpc_errors(Step.EVALUATE, self._transaction_id):
            response = self._context.stub.Evaluate(request, timeout=self._context.timeouts.evaluate)
        return bytes(response.result.payload)

    # Last in the class: below this point `bytes` would name the method, not the type.
    def bytes(self) -> bytes:
        """The serialized `peer.SignedProposal`."""
        return bytes(self._signed_proposal.SerializeToString())
