"""The protobuf modules this package uses, imported in this one place; messages never leave the package.

mypy sees them as `Any` (pyproject skips following `fabric_protos.*`, `google.rpc.*` and
`google.protobuf.*`, which ship no stubs).
"""

from fabric_protos.common import common_pb2 as common
from fabric_protos.common import ledger_pb2 as ledger
from fabric_protos.gateway import gateway_pb2 as gateway
from fabric_protos.gateway import gateway_pb2_grpc as gateway_grpc
from fabric_protos.msp import identities_pb2 as identities
from fabric_protos.orderer import ab_pb2 as orderer
from fabric_protos.peer import chaincode_event_pb2 as chaincode_event
from fabric_protos.peer import chaincode_pb2 as chaincode
from fabric_protos.peer import proposal_pb2 as proposal
from fabric_protos.peer import proposal_response_pb2 as proposal_response
from fabric_protos.peer import transaction_pb2 as transaction
from google.protobuf.message import DecodeError  # what FromString raises for bytes of another shape
from google.rpc import status_pb2 as rpc_status

__all__ = [
    "DecodeError",
    "chaincode",
    "chaincode_event",
    "common",
    "gateway",
    "gateway_grpc",
    "identities",
    "ledger",
    "orderer",
    "proposal",
    "proposal_response",
    "rpc_status",
    "transaction",
]
