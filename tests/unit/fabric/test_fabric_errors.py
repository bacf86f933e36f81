from __future__ import annotations

from typing import Any

import grpc
import pytest
from fabric_protos.gateway import gateway_pb2
from fabric_protos.msp import identities_pb2
from google.rpc import status_pb2

import gateway.fabric as fabric
from gateway.fabric._errors import Step, parse_chaincode_error, translate_rpc_errors


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "INSUFFICIENT_FUNDS: account acme has 10.00 USD, needs 12.00",
            ("INSUFFICIENT_FUNDS", "account acme has 10.00 USD, needs 12.00"),
        ),
        (
            "chaincode response 500, INSUFFICIENT_FUNDS: account acme has 10.00 USD, needs 12.00",
            ("INSUFFICIENT_FUNDS", "account acme has 10.00 USD, needs 12.00"),
        ),
        (
            "evaluate call to endorser returned error: chaincode response 500, NOT_FOUND: no account x",
            ("NOT_FOUND", "no account x"),
        ),
        ("transaction returned with failure: FROZEN: account acme is frozen", ("FROZEN", "account acme is frozen")),
        ("chaincode response 500, ACCOUNT_2_MISSING:", ("ACCOUNT_2_MISSING", "")),
        ("failed to endorse transaction, see attached details for more info", None),
        ("chaincode response 500, something went wrong: oops", None),
        ("error validating proposal: access denied", None),
        ("", None),
    ],
)
def test_parse_chaincode_error(message: str, expected: tuple[str, str] | None) -> None:
    assert parse_chaincode_error(message) == expected


def test_chaincode_code_prefers_node_details_then_top_message() -> None:
    details = [
        fabric.ErrorDetail("peer0.bank:7051", "BankMSP", "connection refused"),
        fabric.ErrorDetail("peer0.platform:8051", "PlatformMSP", "chaincode response 500, FROZEN: acme"),
    ]
    error = fabric.EndorseError("chaincode response 500, OTHER: x", transaction_id="t", details=details)
    assert (error.chaincode_code, error.chaincode_message) == ("FROZEN", "acme")

    top_only = fabric.EvaluateError("evaluate call to endorser returned error: chaincode response 500, X_Y: z")
    assert (top_only.chaincode_code, top_only.chaincode_message) == ("X_Y", "z")

    assert fabric.SubmitError("orderer unavailable").chaincode_code is None


class _FailedCall(grpc.RpcError, grpc.Call):  # type: ignore[misc]
    """What a failed grpc call raises: an RpcError that is also a Call."""

    def __init__(self, code: grpc.StatusCode, details: str, trailers: Any = None) -> None:
        self._code, self._details, self._trailers = code, details, trailers

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> Any:
        return self._trailers

    def initial_metadata(self) -> Any:
        return None

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> float | None:
        return None

    def cancel(self) -> bool:
        return False

    def add_callback(self, callback: Any) -> bool:
        return False


def _status_trailer(*details: tuple[str, str, str]) -> tuple[tuple[str, bytes], ...]:
    status = status_pb2.Status(code=grpc.StatusCode.ABORTED.value[0], message="m")
    for address, msp_id, message in details:
        status.details.add().Pack(gateway_pb2.ErrorDetail(address=address, msp_id=msp_id, message=message))
    status.details.add().Pack(identities_pb2.SerializedIdentity(mspid="not an ErrorDetail"))
    return (("other-key", b"x"), ("grpc-status-details-bin", status.SerializeToString()))


EXPECTED_ERROR_FOR_STEP = {
    Step.ENDORSE: fabric.EndorseError,
    Step.SUBMIT: fabric.SubmitError,
    Step.COMMIT_STATUS: fabric.CommitStatusError,
    Step.EVALUATE: fabric.EvaluateError,
    Step.CHAINCODE_EVENTS: fabric.ChaincodeEventsError,
}


def test_every_step_has_its_error_type() -> None:
    assert set(EXPECTED_ERROR_FOR_STEP) == set(Step)


@pytest.mark.parametrize("step", list(Step))
def test_translate_rpc_errors_maps_each_step(step: Step) -> None:
    failure = _FailedCall(grpc.StatusCode.ABORTED, "failed", _status_trailer(("a:1", "BankMSP", "no")))

    with pytest.raises(fabric.GatewayError) as caught, translate_rpc_errors(step, "tx1"):
        raise failure

    error = caught.value
    assert type(error) is EXPECTED_ERROR_FOR_STEP[step]
    assert error.__cause__ is failure
    assert (error.code, error.message, error.transaction_id) == (grpc.StatusCode.ABORTED, "failed", "tx1")
    assert error.details == [fabric.ErrorDetail("a:1", "BankMSP", "no")]


def test_translate_rpc_errors_tolerates_missing_or_malformed_details() -> None:
    for trailers in (None, (), (("grpc-status-details-bin", b"\xff\xff not a status"),)):
        with pytest.raises(fabric.SubmitError) as caught, translate_rpc_errors(Step.SUBMIT, "tx"):
            raise _FailedCall(grpc.StatusCode.UNAVAILABLE, "down", trailers)
        assert caught.value.details == []


def test_translate_rpc_errors_handles_a_bare_rpc_error() -> None:
    with pytest.raises(fabric.EvaluateError) as caught, translate_rpc_errors(Step.EVALUATE, None):
        raise grpc.RpcError("bare")
    assert (caught.value.code, caught.value.message) == (None, "bare")


def test_translate_rpc_errors_leaves_other_exceptions_alone() -> None:
    with pytest.raises(KeyError), translate_rpc_errors(Step.ENDORSE, "tx"):
        raise KeyError("x")


def test_commit_error_carries_the_validation_code() -> None:
    error = fabric.CommitError("tx9", 11, "MVCC_READ_CONFLICT", 42)
    assert isinstance(error, fabric.GatewayError)
    assert (error.transaction_id, error.status_code, error.code_name, error.block_number) == (
        "tx9",
        11,
        "MVCC_READ_CONFLICT",
        42,
    )
    assert error.code is None and error.details == []
    assert "MVCC_READ_CONFLICT" in str(error)
