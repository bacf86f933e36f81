"""The ledger port on Fabric: one Gateway connection per caller identity, to the org's own peer.

This is the one place where the Fabric client's errors become the service's errors.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc

from gateway import fabric
from gateway.deadline import Deadline
from gateway.directory import Caller
from gateway.errors import (
    ChaincodeRejected,
    CommitUnknown,
    EndorsersDisagree,
    LedgerError,
    LedgerUnavailable,
    RetryableConflict,
    TransactionInvalid,
)
from gateway.ledger import Endorsed, LedgerEvent, LedgerTransaction, TxStatus, Unsigned
from gateway.step_times import Step, StepTimes
from network.layout import Layout
from network.pki import OrgCrypto, TlsPair
from network.topology import Org, Topology

# Validation codes after which a fresh endorsement may succeed: the world moved under the transaction.
_RETRYABLE_COMMIT_CODES = {"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}
# The Gateway's wording when endorsers at different heights return different read/write sets.
_ENDORSER_MISMATCH = "ProposalResponsePayloads do not match"


def retryable(exc: fabric.GatewayError) -> bool:
    """True when a fresh endorsement of the same request may succeed: an MVCC/phantom conflict at commit,
    or endorsers at different heights returning different results."""
    if isinstance(exc, fabric.CommitError):
        return exc.code_name in _RETRYABLE_COMMIT_CODES
    return any(_ENDORSER_MISMATCH in d.message for d in exc.details) or _ENDORSER_MISMATCH in exc.message


@dataclass(frozen=True, slots=True)
class PeerEndpoint:
    address: str
    tls_ca_pem: bytes
    channel: str
    chaincode: str
    msp_id: str  # the peer's org: its Fabric Gateway endorses there first

    @classmethod
    def of_org(cls, layout: Layout, topology: Topology, org: Org, address: str | None = None) -> PeerEndpoint:
        """The org's own peer, trusted through its TLS CA; `address` overrides the topology's (a container's)."""
        tls_ca = OrgCrypto(layout.crypto, org).tls_ca_cert.read_bytes()
        return cls(address or org.peer.address, tls_ca, topology.channel, topology.chaincode.name, org.msp_id)


def _refused_only_elsewhere(exc: fabric.GatewayError, local_msp: str) -> bool:
    """True when an endorsement was refused by the chaincode only on other orgs' peers. The peer's Gateway
    endorses on its own org's peer first and stops there if that one refuses; so the local peer accepted
    what another refused, which means that one is behind (an account opened a block ago) or disagrees."""
    return bool(exc.refused_by) and local_msp not in exc.refused_by


def _nodes(exc: fabric.GatewayError) -> str:
    """What each node said, for a message: `MSP address: text; …` (the gRPC message when none did)."""
    return "; ".join(f"{d.msp_id} {d.address}: {d.message}" for d in exc.details) or exc.message


def _unavailable(exc: fabric.GatewayError) -> bool:
    return exc.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


@contextmanager
def translate_errors(endorsed_first_by: str | None = None) -> Iterator[None]:
    """Map the Fabric client's errors to service errors (`raise … from`). `endorsed_first_by`: on an
    endorsement, the MSP ID of the peer whose Gateway ran it (see `_refused_only_elsewhere`)."""
    try:
        yield
    except fabric.CommitError as exc:
        if retryable(exc):
            raise RetryableConflict(f"transaction {exc.transaction_id} invalid: {exc.code_name}") from exc
        raise TransactionInvalid(f"transaction {exc.transaction_id} was committed invalid: {exc.code_name}") from exc
    except fabric.CommitStatusError as exc:
        raise CommitUnknown(f"commit status of {exc.transaction_id} unknown: {exc.message}") from exc
    except fabric.GatewayError as exc:
        if endorsed_first_by is not None and _refused_only_elsewhere(exc, endorsed_first_by):
            raise EndorsersDisagree(f"{endorsed_first_by} endorsed, another org's peer refused: {_nodes(exc)}") from exc
        if exc.chaincode_code:
            raise ChaincodeRejected(exc.chaincode_code, exc.chaincode_message or "") from exc
        if retryable(exc):
            raise EndorsersDisagree(f"endorsers disagree: {exc.message}") from exc
        if exc.code == grpc.StatusCode.ABORTED:
            # Not a refusal (that carries the chaincode's code) nor a mismatch: the peer itself failed the proposal
            # (an endorser that did not answer; on evaluate, a chaincode not connected yet after a restart).
            raise LedgerUnavailable(f"required endorsers unavailable: {_nodes(exc)}") from exc
        if _unavailable(exc) or isinstance(exc, fabric.SubmitError):
            raise LedgerUnavailable(f"ledger unavailable: {exc.message}") from exc
        if exc.code == grpc.StatusCode.FAILED_PRECONDITION:
            raise LedgerUnavailable(f"no endorsers available: {exc.message}") from exc
        raise LedgerError(f"ledger error: {exc.message}") from exc


class _Events:
    def __init__(self, stream: fabric.ChaincodeEvents) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[LedgerEvent]:
        with translate_errors():
            for e in self._stream:
                yield LedgerEvent(e.block_number, e.transaction_id, e.event_name, e.payload)

    def close(self) -> None:
        self._stream.close()


class FabricLedger:
    def __init__(
        self,
        peer: PeerEndpoint,
        timeouts: fabric.Timeouts | None = None,
        *,
        resubmit_interval: int = 3,
        steps: StepTimes | None = None,
    ) -> None:
        """resubmit_interval: seconds to wait for a commit before sending the same envelope again; steps:
        where each write's endorse, submit and commit-wait times are recorded (for /metrics)."""
        self._peer = peer
        self.steps = steps or StepTimes()
        self._timeouts = timeouts or fabric.Timeouts()
        self._resubmit_interval = resubmit_interval
        self._gateways: dict[str, fabric.Gateway] = {}  # per caller: its identity and signer
        self._channels: dict[bytes, grpc.Channel] = {}  # per client TLS certificate (`_channel`)
        self._lock = threading.Lock()

    def _network(self, caller: Caller) -> fabric.Network:
        with self._lock:
            gw = self._gateways.get(caller.ref)
            if gw is None:
                if caller.msp_dir is not None:
                    identity, signer = fabric.load_msp(Path(caller.msp_dir), caller.msp_id)
                elif caller.cert_pem is not None and caller.key_pem is not None:
                    identity = fabric.Identity(caller.msp_id, caller.cert_pem)
                    signer = fabric.Signer.from_pem(caller.key_pem)
                else:
                    raise LedgerError(f"{caller.ref} signs offline: the gateway holds no key for it")
                gw = fabric.Gateway(self._channel(caller.tls), identity, signer, timeouts=self._timeouts)
                self._gateways[caller.ref] = gw
        return gw.get_network(self._peer.channel)

    def _channel(self, tls: TlsPair) -> grpc.Channel:
        """The channel that presents `tls`, dialled at its first use. Every enrolled member's connection
        presents the gateway's own pair, so they all share one channel (and one TCP and TLS session to the
        peer) whatever their number; each dev identity has its own pair, so its own channel. Caller holds
        `_lock`."""
        cert = tls.cert.read_bytes()
        channel = self._channels.get(cert)
        if channel is None:
            channel = fabric.dial(
                self._peer.address,
                self._peer.tls_ca_pem,
                tls_client_cert_pem=cert,
                tls_client_key_pem=tls.key.read_bytes(),
            )
            self._channels[cert] = channel
        return channel

    def _contract(self, caller: Caller) -> fabric.Contract:
        return self._network(caller).get_contract(self._peer.chaincode)

    def endorse(self, caller: Caller, function: str, args: list[bytes]) -> Endorsed:
        with translate_errors(self._peer.msp_id), self.steps.timed(Step.ENDORSE):
            tx = self._contract(caller).new_proposal(function, args).endorse()
            return Endorsed(tx.transaction_id, tx.bytes(), tx.result)

    def submit(self, caller: Caller, envelope: bytes, wait: int | None = None) -> TxStatus:
        network = self._network(caller)
        deadline = Deadline(wait or self._timeouts.commit_status)
        with translate_errors():
            transaction = network.new_transaction(envelope)
            with self.steps.timed(Step.SUBMIT):
                commit = transaction.submit()
            with self.steps.timed(Step.COMMIT):
                status = self._await_commit(transaction, commit, deadline)
            if not status.successful:
                raise fabric.CommitError(status.transaction_id, status.code, status.code_name, status.block_number)
            return TxStatus(status.transaction_id, True, True, status.code_name, status.block_number)

    def _await_commit(
        self, transaction: fabric.Transaction, commit: fabric.Commit, deadline: Deadline
    ) -> fabric.Status:
        while True:
            try:
                return commit.get_status(min(self._resubmit_interval, deadline.remaining()))
            except fabric.CommitStatusError as exc:
                if exc.code != grpc.StatusCode.DEADLINE_EXCEEDED or deadline.expired():
                    raise
            # Not committed yet: the orderer that accepted it may have died with it (a Raft leader's pending
            # batch). Send the same envelope again; one transaction id, so at most one copy commits valid.
            with contextlib.suppress(fabric.SubmitError):
                transaction.submit()

    def status(self, caller: Caller, tx_id: str, wait: int | None = None) -> TxStatus:
        with translate_errors():
            s = self._network(caller).get_commit_status(tx_id, timeout=wait)
            return TxStatus(tx_id, True, s.successful, s.code_name, s.block_number)

    def evaluate(self, caller: Caller, function: str, args: list[bytes]) -> bytes:
        with translate_errors():
            return self._contract(caller).evaluate_transaction(function, args)

    def transaction(self, caller: Caller, tx_id: str) -> LedgerTransaction:
        with translate_errors():
            try:
                t = self._network(caller).get_transaction(tx_id)
            except ValueError as exc:
                raise LedgerError(f"transaction {tx_id}: {exc}") from exc
        return LedgerTransaction(t.transaction_id, t.code_name, t.event_name, t.event_payload, t.endorsers)

    def height(self, caller: Caller) -> int:
        with translate_errors():
            try:
                return self._network(caller).get_chain_height()
            except ValueError as exc:
                raise LedgerError(str(exc)) from exc

    def events(self, caller: Caller, start_block: int | None, after_tx_id: str | None) -> _Events:
        with translate_errors():
            stream = self._network(caller).get_chaincode_events(
                self._peer.chaincode, start_block=start_block, after_transaction_id=after_tx_id
            )
        return _Events(stream)

    def propose_offline(self, via: Caller, creator: Caller, function: str, args: list[bytes]) -> Unsigned:
        identity = fabric.Identity(creator.msp_id, creator.certificate_pem())
        proposal = self._contract(via).new_unsigned_proposal(function, args, identity)
        return Unsigned(proposal.transaction_id, proposal.bytes(), proposal.digest)

    def endorse_offline(self, via: Caller, proposal: Unsigned, signature: bytes) -> Unsigned:
        with translate_errors(self._peer.msp_id):
            unsigned = self._contract(via).unsigned_proposal(proposal.tx_id, proposal.data)
            tx = unsigned.endorse(signature)
            return Unsigned(tx.transaction_id, tx.bytes(), tx.digest, tx.result)

    def submit_offline(self, via: Caller, transaction: Unsigned, signature: bytes, wait: int | None = None) -> TxStatus:
        with translate_errors():
            signed = self._network(via).new_unsigned_transaction(transaction.data).sign(signature)
        return self.submit(via, signed.bytes(), wait)

    def close(self) -> None:
        with self._lock:
            self._gateways.clear()  # they do not own their channels
            for channel in self._channels.values():
                channel.close()
            self._channels.clear()
