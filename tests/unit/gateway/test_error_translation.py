"""The one boundary where the Fabric client's errors become the service's: what a peer failure maps to."""

from __future__ import annotations

import grpc
import pytest

from gateway import fabric
from gateway.errors import ChaincodeRejected, LedgerError, LedgerUnavailable, ServiceError
from gateway.fabric_ledger import translate_errors

PEER = fabric.ErrorDetail("peer0.platform.example.com:8051", "PlatformMSP", "could not launch chaincode deposits")
REFUSAL = fabric.ErrorDetail("peer0.bank.example.com:7051", "BankMSP", "INSUFFICIENT_FUNDS: balance 1.00 < 2.00")


def _raised(exc: fabric.GatewayError) -> ServiceError:
    with pytest.raises(ServiceError) as caught, translate_errors():
        raise exc
    return caught.value


@pytest.mark.parametrize("kind", [fabric.EndorseError, fabric.EvaluateError])
def test_a_proposal_the_peer_itself_failed_is_unavailable_not_a_ledger_error(kind: type[fabric.GatewayError]) -> None:
    # Fabric's Gateway answers ABORTED when the peer (not the chaincode) failed it, e.g. a chaincode not yet
    # connected after the peer restarted: a retry later may succeed, so 503 with Retry-After.
    error = _raised(kind("failed to evaluate transaction", code=grpc.StatusCode.ABORTED, details=[PEER]))
    assert isinstance(error, LedgerUnavailable) and error.status == 503


def test_a_chaincode_refusal_keeps_its_code_whatever_the_status() -> None:
    error = _raised(fabric.EvaluateError("failed", code=grpc.StatusCode.ABORTED, details=[REFUSAL]))
    assert isinstance(error, ChaincodeRejected) and error.code == "INSUFFICIENT_FUNDS"


def test_an_unexpected_peer_answer_stays_a_ledger_error() -> None:
    error = _raised(fabric.EvaluateError("chaincode response 500", code=grpc.StatusCode.UNKNOWN, details=[PEER]))
    assert type(error) is LedgerError and error.status == 502
