"""After endorsement: the signed transaction envelope, its submission, and its commit status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.fabric import _protos
from gateway.fabric._context import NetworkContext
from gateway.fabric._errors import Step, translate_rpc_errors

_VALID = 0  # TxValidationCode.VALID


@dataclass(frozen=True, slots=True)
class Status:
    """A transaction's commit status: its validation code (name) and the block that holds it."""

    code: int
    code_name: str
    block_number: int
    successful: bool
    transaction_id: str


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """A committed, valid transaction: the chaincode's result, its id and its block."""

    result: bytes
    transaction_id: str
    block_number: int


class Transaction:
    """An endorsed transaction, signed and ready to submit.

    `bytes()` is the signed envelope: persist it before submitting and, after a crash, rebuild the
    same transaction with `Network.new_transaction` and resubmit it (same transaction id).
    """

    def __init__(self, context: NetworkContext, envelope: Any) -> None:
        """Raises ValueError if the envelope is not a signed endorser transaction on this channel."""
        self._context = context
        self._envelope = envelope
        self._transaction_id, self._result = _parse_envelope(envelope, context.channel_name)

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    @property
    def result(self) -> bytes:
        """The value the chaincode returned when it was endorsed."""
        return self._result

    def submit(self) -> Commit:
        """Send the transaction to the orderer. Raises SubmitError."""
        request = _protos.gateway.SubmitRequest(
            transaction_id=self._transaction_id,
            channel_id=self._context.channel_name,
            prepared_transaction=self._envelope,
        )
        with translate_rpc_errors(Step.SUBMIT, self._transaction_id):
            self._context.stub.Submit(request, timeout=self._context.timeouts.submit)
        return Commit(self._context, self._transaction_id, self._result)

    # Last in the class: below this point `bytes` would name the method, not the type.
    def bytes(self) -> bytes:
        """The serialized, signed `common.Envelope`."""
        return bytes(self._envelope.SerializeToString())


class Commit:
    """A submitted transaction, whose commit status can be asked (repeatedly)."""

    def __init__(self, context: NetworkContext, transaction_id: str, result: bytes) -> None:
        self._context = context
        self._transaction_id = transaction_id
        self._result = result

    @property
    def transaction_id(self) -> str:
        return self._transaction_id

    @property
    def result(self) -> bytes:
        return self._result

    def get_status(self, timeout: int | None = None) -> Status:
        """Wait until the transaction is committed on the gateway peer (at most `timeout` seconds, default the
        commit-status timeout), then its status.

        Raises CommitStatusError (the outcome is unknown: ask again).
        """
        return commit_status(self._context, self._transaction_id, timeout)


def commit_status(context: NetworkContext, transaction_id: str, timeout: int | None = None) -> Status:
    """A transaction's status from the gateway peer, which waits for the commit (at most `timeout` seconds,
    default the commit-status timeout). Raises CommitStatusError."""
    request = _protos.gateway.CommitStatusRequest(
        transaction_id=transaction_id, channel_id=context.channel_name, identity=context.creator
    ).SerializeToString()
    signed = _protos.gateway.SignedCommitStatusRequest(request=request, signature=context.signer.sign(request))
    with translate_rpc_errors(Step.COMMIT_STATUS, transaction_id):
        response = context.stub.CommitStatus(signed, timeout=timeout or context.timeouts.commit_status)
    code = int(response.result)
    return Status(
        code=code,
        code_name=validation_code_name(code),
        block_number=int(response.block_number),
        successful=code == _VALID,
        transaction_id=transaction_id,
    )


def validation_code_name(code: int) -> str:
    """The TxValidationCode name of a validation code, e.g. MVCC_READ_CONFLICT."""
    try:
        return str(_protos.transaction.TxValidationCode.Name(code))
    except ValueError:
        return f"UNKNOWN_VALIDATION_CODE_{code}"


@dataclass(frozen=True, slots=True)
class CommittedTransaction:
    """A transaction as the ledger holds it (qscc GetTransactionByID): its validation code and the chaincode
    event it set, if any (an invalid transaction keeps its event here, though it was never delivered)."""

    transaction_id: str
    code: int
    code_name: str
    event_name: str | None
    event_payload: bytes | None
    endorsers: tuple[str, ...] = ()  # MSP IDs of the endorsements the block carries, in their order


def read_processed_transaction(data: bytes, channel_name: str) -> CommittedTransaction:
    """Decode qscc's ProcessedTransaction. Raises ValueError when it is not an endorser transaction."""
    try:
        processed = _protos.transaction.ProcessedTransaction.FromString(data)
    except _protos.DecodeError as exc:
        raise ValueError(f"not a processed transaction: {exc}") from exc
    envelope = processed.transactionEnvelope
    tx_id, _ = _parse_envelope(envelope, channel_name)
    action = _chaincode_action(envelope)
    name: str | None = None
    payload: bytes | None = None
    if action.events:
        try:
            event = _protos.chaincode_event.ChaincodeEvent.FromString(action.events)
        except _protos.DecodeError as exc:
            raise ValueError(f"malformed chaincode event: {exc}") from exc
        if event.event_name:
            name, payload = str(event.event_name), bytes(event.payload)
    code = int(processed.validationCode)
    return CommittedTransaction(tx_id, code, validation_code_name(code), name, payload, _endorsers(envelope))


def _endorsers(envelope: Any) -> tuple[str, ...]:
    """The MSP ID of each endorsement of an endorser transaction already checked by _parse_envelope."""
    payload = _protos.common.Payload.FromString(envelope.payload)
    transaction = _protos.transaction.Transaction.FromString(payload.data)
    action_payload = _protos.transaction.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
    try:
        return tuple(
            str(_protos.identities.SerializedIdentity.FromString(e.endorser).mspid)
            for e in action_payload.action.endorsements
        )
    except _protos.DecodeError as exc:
        raise ValueError(f"malformed endorser identity: {exc}") from exc


def _chaincode_action(envelope: Any) -> Any:
    """Envelope → … → ChaincodeAction of an endorser transaction already checked by _parse_envelope."""
    payload = _protos.common.Payload.FromString(envelope.payload)
    transaction = _protos.transaction.Transaction.FromString(payload.data)
    action_payload = _protos.transaction.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
    response_payload = _protos.proposal_response.ProposalResponsePayload.FromString(
        action_payload.action.proposal_response_payload
    )
    return _protos.proposal.ChaincodeAction.FromString(response_payload.extension)


def _parse_envelope(envelope: Any, channel_name: str) -> tuple[str, bytes]:
    """The transaction id and chaincode result of a signed endorser transaction envelope.

    Envelope → Payload → Transaction → actions[0] ChaincodeActionPayload → ProposalResponsePayload
    → ChaincodeAction.response.payload. Raises ValueError on anything else.
    """
    if not envelope.signature:
        raise ValueError("the transaction envelope is not signed")
    try:
        payload = _protos.common.Payload.FromString(envelope.payload)
        header = _protos.common.ChannelHeader.FromString(payload.header.channel_header)
        transaction = _protos.transaction.Transaction.FromString(payload.data)
        if not transaction.actions:
            raise ValueError("the transaction has no actions")
        action_payload = _protos.transaction.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
        response_payload = _protos.proposal_response.ProposalResponsePayload.FromString(
            action_payload.action.proposal_response_payload
        )
        chaincode_action = _protos.proposal.ChaincodeAction.FromString(response_payload.extension)
    except _protos.DecodeError as exc:
        raise ValueError(f"not a Fabric endorser transaction envelope: {exc}") from exc
    if header.type != _protos.common.HeaderType.Value("ENDORSER_TRANSACTION"):
        raise ValueError(f"not an endorser transaction (header type {header.type})")
    if header.channel_id != channel_name:
        raise ValueError(f"the transaction is for channel {header.channel_id!r}, not {channel_name!r}")
    return str(header.tx_id), bytes(chaincode_action.response.payload)
