"""Connection to a peer's Gateway service, and the Network and Contract objects made from it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import grpc

from gateway.fabric import _protos
from gateway.fabric._context import NetworkContext, Timeouts
from gateway.fabric._errors import CommitError
from gateway.fabric._events import ChaincodeEvents, open_chaincode_events
from gateway.fabric._identity import Identity, Signer
from gateway.fabric._offline import UnsignedProposal, UnsignedTransaction
from gateway.fabric._proposal import NONCE_LENGTH, Proposal, as_bytes_args, build_proposal
from gateway.fabric._transaction import (
    CommittedTransaction,
    Status,
    SubmitResult,
    Transaction,
    commit_status,
    read_processed_transaction,
)

QSCC = "qscc"  # the query system chaincode: blocks and transactions, subject to the channel's qscc/* ACLs


def connect(
    endpoint: str,
    tls_root_cert_pem: bytes,
    identity: Identity,
    signer: Signer,
    *,
    server_name_override: str | None = None,
    timeouts: Timeouts | None = None,
    tls_client_cert_pem: bytes | None = None,
    tls_client_key_pem: bytes | None = None,
) -> Gateway:
    """A Gateway over its own channel (`dial`) to `endpoint`, closed with it. Raises ValueError if only one
    half of the client pair is given."""
    channel = dial(
        endpoint,
        tls_root_cert_pem,
        server_name_override=server_name_override,
        tls_client_cert_pem=tls_client_cert_pem,
        tls_client_key_pem=tls_client_key_pem,
    )
    return Gateway(channel, identity, signer, timeouts=timeouts, owns_channel=True)


def dial(
    endpoint: str,
    tls_root_cert_pem: bytes,
    *,
    server_name_override: str | None = None,
    tls_client_cert_pem: bytes | None = None,
    tls_client_key_pem: bytes | None = None,
) -> grpc.Channel:
    """One TLS gRPC channel to `endpoint` (host:port), trusting the org's TLS CA and, when the peer requires
    client authentication, presenting the client TLS pair (certificate and key, PEM). Many identities' Gateways
    may share it: TLS authenticates the process that dials, each message's signature its creator.

    The channel connects lazily: an unreachable peer, or one that refuses the client certificate (or its
    absence) in the TLS handshake, shows up as the first call's error (code UNAVAILABLE). Raises
    ValueError if only one half of the client pair is given.
    """
    if (tls_client_cert_pem is None) != (tls_client_key_pem is None):
        raise ValueError("a client TLS pair needs both the certificate and the key")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=tls_root_cert_pem,
        private_key=tls_client_key_pem,
        certificate_chain=tls_client_cert_pem,
    )
    options = [("grpc.ssl_target_name_override", server_name_override)] if server_name_override else []
    return grpc.secure_channel(endpoint, credentials, options=options)


class Gateway:
    """A client identity's connection to one peer's Gateway service. Thread-safe; share one per identity.

    Built by `connect`, or from a caller's gRPC channel (then the caller closes the channel unless
    `owns_channel`).
    """

    def __init__(
        self,
        channel: grpc.Channel,
        identity: Identity,
        signer: Signer,
        *,
        timeouts: Timeouts | None = None,
        owns_channel: bool = False,
    ) -> None:
        self._channel = channel
        self._stub: Any = _protos.gateway_grpc.GatewayStub(channel)
        self._identity = identity
        self._signer = signer
        self._timeouts = timeouts or Timeouts()
        self._owns_channel = owns_channel
        self._creator = identity.serialize()

    @property
    def identity(self) -> Identity:
        return self._identity

    def get_network(self, channel_name: str) -> Network:
        """The Fabric channel `channel_name`, seen through this gateway."""
        return Network(
            NetworkContext(
                stub=self._stub,
                identity=self._identity,
                signer=self._signer,
                channel_name=channel_name,
                timeouts=self._timeouts,
                creator=self._creator,
            )
        )

    def close(self) -> None:
        """Close the gRPC channel if this gateway owns it. Calls in flight are cancelled."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Network:
    """One Fabric channel: its contracts, transactions, commit statuses and chaincode events."""

    def __init__(self, context: NetworkContext) -> None:
        self._context = context

    @property
    def name(self) -> str:
        return self._context.channel_name

    def get_contract(self, chaincode_name: str) -> Contract:
        return Contract(self._context, chaincode_name)

    def new_transaction(self, envelope_bytes: bytes) -> Transaction:
        """Rebuild a Transaction from `Transaction.bytes()`, e.g. to resubmit it after a crash.

        Raises ValueError if the bytes are not a signed endorser transaction on this channel.
        """
        try:
            envelope = _protos.common.Envelope.FromString(envelope_bytes)
        except _protos.DecodeError as exc:
            raise ValueError(f"not a Fabric transaction envelope: {exc}") from exc
        return Transaction(self._context, envelope)

    def new_unsigned_transaction(self, payload: bytes) -> UnsignedTransaction:
        """An UnsignedTransaction rebuilt from its `bytes()`. Raises EndorseError when it is none."""
        return UnsignedTransaction(self._context, payload)

    def get_commit_status(self, transaction_id: str, *, timeout: int | None = None) -> Status:
        """The commit status of any transaction on this channel, waiting until it is committed (at most
        `timeout` seconds; default: the gateway's commit-status timeout).

        Raises CommitStatusError (unknown outcome, e.g. the wait timed out: ask again).
        """
        return commit_status(self._context, transaction_id, timeout)

    def get_transaction(self, transaction_id: str) -> CommittedTransaction:
        """The committed transaction `transaction_id`, read with qscc GetTransactionByID on the gateway peer.

        Raises EvaluateError (e.g. no such transaction, or this identity may not use qscc), ValueError
        when the peer's answer is no endorser transaction of this channel.
        """
        contract = Contract(self._context, QSCC)
        data = contract.evaluate_transaction("GetTransactionByID", [self.name, transaction_id])
        return read_processed_transaction(data, self.name)

    def get_chain_height(self) -> int:
        """How many blocks the gateway peer has committed on this channel (qscc GetChainInfo): the block
        numbered N is there once the height is above N. Raises EvaluateError, ValueError (not a BlockchainInfo)."""
        data = Contract(self._context, QSCC).evaluate_transaction("GetChainInfo", [self.name])
        try:
            return int(_protos.ledger.BlockchainInfo.FromString(data).height)
        except _protos.DecodeError as exc:
            raise ValueError(f"qscc GetChainInfo answered no BlockchainInfo: {exc}") from exc

    def get_chaincode_events(
        self,
        chaincode_name: str,
        *,
        start_block: int | None = None,
        after_transaction_id: str | None = None,
    ) -> ChaincodeEvents:
        """Open a stream of `chaincode_name`'s events from `start_block` (default: the next block).

        With `after_transaction_id`, events of the start block up to and including that
        transaction are skipped. Iterating raises ChaincodeEventsError; ValueError if start_block < 0.
        """
        return open_chaincode_events(self._context, chaincode_name, start_block, after_transaction_id)


class Contract:
    """One chaincode on one channel."""

    def __init__(self, context: NetworkContext, chaincode_name: str) -> None:
        self._context = context
        self._chaincode_name = chaincode_name

    @property
    def chaincode_name(self) -> str:
        return self._chaincode_name

    def new_proposal(
        self,
        transaction_name: str,
        args: Sequence[str | bytes] = (),
        *,
        endorsing_organizations: Sequence[str] | None = None,
    ) -> Proposal:
        """A signed proposal to invoke `transaction_name(*args)` (str args are UTF-8 encoded).

        `endorsing_organizations` (MSP IDs) replaces the gateway's choice of endorsers; they must
        satisfy the endorsement policy or the transaction commits as ENDORSEMENT_POLICY_FAILURE.
        Raises TypeError if `args` is a single str or bytes.
        """
        return Proposal(
            self._context,
            self._chaincode_name,
            transaction_name,
            as_bytes_args(args),
            endorsing_organizations,
        )

    def new_unsigned_proposal(
        self, transaction_name: str, args: Sequence[str | bytes], creator: Identity
    ) -> UnsignedProposal:
        """A proposal for `creator`, whose key is elsewhere: its holder signs `digest` (offline signing)."""
        tx_id, proposal_bytes = build_proposal(
            channel_name=self._context.channel_name,
            chaincode_name=self._chaincode_name,
            transaction_name=transaction_name,
            args=as_bytes_args(args),
            creator=creator.serialize(),
            nonce=os.urandom(NONCE_LENGTH),
        )
        return UnsignedProposal(self._context, tx_id, proposal_bytes)

    def unsigned_proposal(self, transaction_id: str, proposal_bytes: bytes) -> UnsignedProposal:
        """An UnsignedProposal rebuilt from its `bytes()`."""
        return UnsignedProposal(self._context, transaction_id, proposal_bytes)

    def submit_transaction(
        self,
        transaction_name: str,
        args: Sequence[str | bytes] = (),
        *,
        endorsing_organizations: Sequence[str] | None = None,
    ) -> SubmitResult:
        """Endorse, submit and wait for the commit of one transaction.

        Raises EndorseError, SubmitError, CommitStatusError, or CommitError if it committed invalid.
        """
        proposal = self.new_proposal(transaction_name, args, endorsing_organizations=endorsing_organizations)
        commit = proposal.endorse().submit()
        status = commit.get_status()
        if not status.successful:
            raise CommitError(status.transaction_id, status.code, status.code_name, status.block_number)
        return SubmitResult(commit.result, status.transaction_id, status.block_number)

    def evaluate_transaction(self, transaction_name: str, args: Sequence[str | bytes] = ()) -> bytes:
        """Run a transaction function on one peer, without ordering; its result. Raises EvaluateError."""
        return self.new_proposal(transaction_name, args).evaluate()
