"""Errors of the Fabric Gateway client, typed by the step that failed.

    GatewayError                 base: a step failed (transaction_id, gRPC code, message, per-node details)
    ├── EndorseError             Endorse failed; nothing reached the orderer. A new proposal is safe.
    ├── SubmitError              Submit failed; the orderer may or may not hold the envelope. Resubmit the
    │                            SAME envelope (`Transaction.bytes()`), or ask its commit status.
    ├── CommitStatusError        CommitStatus failed; the outcome is unknown. Ask again for the same
    │                            transaction id; do not make a new transaction.
    ├── CommitError              committed, but invalid (e.g. MVCC_READ_CONFLICT); carries the validation
    │                            code. Not a gRPC failure: `code` is None and `details` is empty.
    ├── EvaluateError            Evaluate failed.
    └── ChaincodeEventsError     the chaincode event stream failed.

gRPC errors become these in one place, `translate_rpc_errors`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc

from gateway.fabric import _protos

_STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """What one node (peer or orderer) said about the failure."""

    address: str
    msp_id: str
    message: str


class GatewayError(Exception):
    """A call to the Fabric Gateway failed.

    `code` is the gRPC status code (None when the failure is not a gRPC one), `message` the gRPC status
    message, `details` what each node reported, and `transaction_id` the transaction concerned (None
    for calls that have none, such as event streams).
    """

    def __init__(
        self,
        message: str,
        *,
        transaction_id: str | None = None,
        code: grpc.StatusCode | None = None,
        details: Sequence[ErrorDetail] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transaction_id = transaction_id
        self.code = code
        self.details: list[ErrorDetail] = list(details)

    @property
    def chaincode_code(self) -> str | None:
        """The chaincode's stable error code (`INSUFFICIENT_FUNDS`), if a node reported one."""
        parsed = self._chaincode_error()
        return parsed[0] if parsed else None

    @property
    def chaincode_message(self) -> str | None:
        """The chaincode's message after its error code, if a node reported a chaincode error."""
        parsed = self._chaincode_error()
        return parsed[1] if parsed else None

    @property
    def refused_by(self) -> frozenset[str]:
        """The MSP IDs of the nodes whose own detail is a chaincode refusal (`CODE: text`)."""
        return frozenset(d.msp_id for d in self.details if parse_chaincode_error(d.message))

    def _chaincode_error(self) -> tuple[str, str] | None:
        # Per-node details hold the chaincode's own words; the top message is often a generic summary.
        for message in [*(detail.message for detail in self.details), self.message]:
            parsed = parse_chaincode_error(message)
            if parsed:
                return parsed
        return None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, transaction_id={self.transaction_id!r}, "
            f"code={self.code!r}, details={self.details!r})"
        )


class EndorseError(GatewayError):
    """Endorsement failed (the chaincode refused, or too few endorsers answered). Nothing was ordered."""


class SubmitError(GatewayError):
    """Sending the transaction to the orderer failed. Resubmit the same envelope; or ask its status."""


class CommitStatusError(GatewayError):
    """Asking a transaction's commit status failed: the outcome is unknown. Ask again; do not re-propose."""


class EvaluateError(GatewayError):
    """Evaluating (querying) a transaction failed."""


class ChaincodeEventsError(GatewayError):
    """The chaincode event stream failed."""


class CommitError(GatewayError):
    """The transaction was committed in a block but marked invalid, e.g. MVCC_READ_CONFLICT."""

    def __init__(self, transaction_id: str, status_code: int, code_name: str, block_number: int = 0) -> None:
        super().__init__(
            f"transaction {transaction_id} committed with status {code_name} ({status_code})",
            transaction_id=transaction_id,
        )
        self.transaction_id: str = transaction_id
        self.status_code = status_code
        self.code_name = code_name
        self.block_number = block_number


# Fabric's gateway reports a chaincode error response as "chaincode response 500, <chaincode message>"
# (after "evaluate call to endorser returned error: " in Evaluate's top message); older peers and the
# peer CLI say "transaction returned with failure: <chaincode message>".
_FABRIC_WRAPPER = re.compile(r"chaincode response \d+, |transaction returned with failure: ")
_CODED_MESSAGE = re.compile(r"(?P<code>[A-Z][A-Z0-9_]+): ?(?P<text>.*)", re.DOTALL)


def parse_chaincode_error(message: str) -> tuple[str, str] | None:
    """Split a chaincode error `CODE: text`, possibly behind Fabric's wrapper, into (code, text)."""
    wrapper = _FABRIC_WRAPPER.search(message)
    match = _CODED_MESSAGE.fullmatch(message[wrapper.end() :] if wrapper else message)
    return (match["code"], match["text"]) if match else None


class Step(enum.Enum):
    """The Gateway call that was being made."""

    ENDORSE = "endorse"
    SUBMIT = "submit"
    COMMIT_STATUS = "commit_status"
    EVALUATE = "evaluate"
    CHAINCODE_EVENTS = "chaincode_events"


_ERROR_FOR_STEP: dict[Step, type[GatewayError]] = {
    Step.ENDORSE: EndorseError,
    Step.SUBMIT: SubmitError,
    Step.COMMIT_STATUS: CommitStatusError,
    Step.EVALUATE: EvaluateError,
    Step.CHAINCODE_EVENTS: ChaincodeEventsError,
}


@contextmanager
def translate_rpc_errors(step: Step, transaction_id: str | None) -> Iterator[None]:
    """Turn a `grpc.RpcError` raised inside the block into the step's GatewayError, `from` the original."""
    try:
        yield
    except grpc.RpcError as exc:
        # A failed call is also a grpc.Call; a bare RpcError has no status to report.
        code = exc.code() if hasattr(exc, "code") else None
        message = (exc.details() if hasattr(exc, "details") else None) or str(exc)
        trailers = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
        raise _ERROR_FOR_STEP[step](
            message, transaction_id=transaction_id, code=code, details=_error_details(trailers)
        ) from exc


def _error_details(trailing_metadata: Sequence[tuple[str, Any]] | None) -> list[ErrorDetail]:
    """The gateway.ErrorDetail entries of the google.rpc.Status in the trailing metadata, if any."""
    details: list[ErrorDetail] = []
    for key, value in trailing_metadata or ():
        if key != _STATUS_DETAILS_KEY:
            continue
        try:
            status = _protos.rpc_status.Status.FromString(value)
        except _protos.DecodeError:
            continue  # a malformed trailer must not hide the error it came with
        for packed in status.details:
            detail = _protos.gateway.ErrorDetail()
            if packed.Unpack(detail):
                details.append(ErrorDetail(str(detail.address), str(detail.msp_id), str(detail.message)))
    return details
