"""Offline signing: proposals and transactions for an identity whose private key this process does not hold.

As in Fabric's Gateway clients: build the proposal with the signer's identity as creator, hand out its
SHA-256 digest, endorse it once the signature comes back, hand out the prepared transaction's digest, and
submit it once that is signed too. Each step can be rebuilt from its bytes (the steps may be separate
requests). Commit status is then asked on this connection (its own identity signs that request).
"""

from __future__ import annotations

import hashlib
from typing import Any

from gateway.fabric import _protos
from gateway.fabric._context import NetworkContext
from gateway.fabric._errors import EndorseError, Step, translate_rpc_errors
from gateway.fabric._identity import low_s
from gateway.fabric._transaction import Transaction


class UnsignedProposal:
    """A proposal waiting for its creator's signature over `digest`."""

    def __init__(self, context: NetworkContext, transaction_id: str, proposal_bytes: bytes) -> None:
        self._context = context
        self._transaction_id = transaction_id
        self._bytes = proposal_bytes

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    @property
    def digest(self) -> bytes:
        """SHA-256 of the proposal: what the creator signs (ECDSA P-256, DER)."""
        return hashlib.sha256(self._bytes).digest()

    def endorse(self, signature: bytes) -> UnsignedTransaction:
        """Endorse with the creator's signature (normalised to low S). Raises EndorseError."""
        signed = _protos.proposal.SignedProposal(proposal_bytes=self._bytes, signature=low_s(signature))
        request = _protos.gateway.EndorseRequest(
            transaction_id=self._transaction_id,
            channel_id=self._context.channel_name,
            proposed_transaction=signed,
        )
        with translate_rpc_errors(Step.ENDORSE, self._transaction_id):
            response = self._context.stub.Endorse(request, timeout=self._context.timeouts.endorse)
        return UnsignedTransaction(self._context, response.prepared_transaction.payload)

    def bytes(self) -> bytes:
        """The serialized `peer.Proposal` (unsigned)."""
        return self._bytes


class UnsignedTransaction:
    """An endorsed transaction waiting for its creator's signature over `digest`."""

    def __init__(self, context: NetworkContext, payload: bytes) -> None:
        """Raises EndorseError when payload is no endorser transaction of this channel."""
        self._context = context
        self._payload = payload
        self._transaction = self._with(b"unsigned")

    def _with(self, signature: bytes) -> Transaction:
        envelope: Any = _protos.common.Envelope(payload=self._payload, signature=signature)
        try:
            return Transaction(self._context, envelope)
        except ValueError as exc:
            raise EndorseError(f"the gateway returned an unusable transaction: {exc}") from exc

    @property
    def transaction_id(self) -> str:
        return self._transaction.transaction_id

    @property
    def result(self) -> bytes:
        return self._transaction.result

    @property
    def digest(self) -> bytes:
        """SHA-256 of the transaction's payload: what the creator signs."""
        return hashlib.sha256(self._payload).digest()

    def sign(self, signature: bytes) -> Transaction:
        """The signed transaction, ready to submit (signature normalised to low S)."""
        return self._with(low_s(signature))

    def bytes(self) -> bytes:
        """The serialized `common.Payload`: rebuild with `Network.new_unsigned_transaction`."""
        return self._payload
