"""The Fabric protobuf modules the shim uses, imported in this one place; messages never leave the shim.

mypy sees these modules as `Any` (pyproject skips following `fabric_protos.*` and `google.protobuf.*`,
which ship no stubs).
"""

from fabric_protos.common import common_pb2, policies_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2
from fabric_protos.msp import identities_pb2, msp_principal_pb2
from fabric_protos.peer import (
    chaincode_event_pb2,
    chaincode_pb2,
    proposal_pb2,
    proposal_response_pb2,
)
from fabric_protos.peer import chaincode_shim_pb2 as shim_pb2
from fabric_protos.peer import chaincode_shim_pb2_grpc as shim_pb2_grpc
from google.protobuf.message import DecodeError  # what FromString raises for bytes of another shape

# ChaincodeMessage.Type values (REGISTER, TRANSACTION, GET_STATE, ...), named once.
MessageType = shim_pb2.ChaincodeMessage

__all__ = [
    "DecodeError",
    "MessageType",
    "chaincode_event_pb2",
    "chaincode_pb2",
    "common_pb2",
    "identities_pb2",
    "kv_query_result_pb2",
    "msp_principal_pb2",
    "policies_pb2",
    "proposal_pb2",
    "proposal_response_pb2",
    "shim_pb2",
    "shim_pb2_grpc",
]
