"""The one boundary where the Fabric client's errors become the service's: what a peer failure maps to."""

from __future__ import annotations

import grpc
import pytest

from gateway import fabric
from gateway.errors import ChaincodeRejected, EndorsersDisagree, LedgerError, LedgerUnavailable, ServiceError
from gateway.fabric_ledger import translate_errors

PEER = fabric.ErrorDetail("peer0.platform.example.com:8051", "PlatformMSP", "could not launch chaincode deposits")
REFUSAL = fabric.ErrorDetail("peer0.bank.example.com:7051", "BankMSP", "INSUFFICIENT_FUNDS: balance 1.00 < 2.00")


def _raised(exc: fabric.GatewayError, endorsed_first_by: str | None = None) -> ServiceError:
    with pytest.raises(ServiceError) as caught, translate_errors(endorsed_first_by):
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


# BankOrg's gateway opened an account and minted at once: its own peer had the account, PlatformOrg's was a
# block behind. The Gateway endorses on its own org's peer first and stops there on a refusal, so a refusal
# from another org's peer alone means the local one accepted it.
BEHIND = fabric.ErrorDetail(
    "peer0.platform.example.com:8051", "PlatformMSP", "chaincode response 404, UNKNOWN_ACCOUNT: no account a-1"
)


def test_a_refusal_only_by_another_orgs_peer_is_a_disagreement_to_retry_not_the_callers_error() -> None:
    failed = fabric.EndorseError("failed to endorse transaction", code=grpc.StatusCode.ABORTED, details=[BEHIND])
    error = _raised(failed, endorsed_first_by="BankMSP")
    assert isinstance(error, EndorsersDisagree) and "PlatformMSP" in str(error)


def test_a_refusal_by_the_gateways_own_peer_is_the_chaincodes_answer() -> None:
    failed = fabric.EndorseError("failed to endorse transaction", code=grpc.StatusCode.ABORTED, details=[BEHIND])
    error = _raised(failed, endorsed_first_by="PlatformMSP")
    assert isinstance(error, ChaincodeRejected) and error.code == "UNKNOWN_ACCOUNT" and error.status == 404
    # Outside an endorsement (an evaluate asks one peer) a refusal is always the chaincode's answer.
    assert isinstance(_raised(failed), ChaincodeRejected)
    # Nor is a refusal with no node named in its details: who refused is unknown.
    bare = fabric.EndorseError("chaincode response 404, UNKNOWN_ACCOUNT: no account a-1", code=grpc.StatusCode.ABORTED)
    assert isinstance(_raised(bare, endorsed_first_by="BankMSP"), ChaincodeRejected)
