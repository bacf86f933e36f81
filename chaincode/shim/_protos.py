"""The Fabric protobuf modules the shim uses, seen by mypy as `Any`.

`hyperledger-fabric-protos` ships `py.typed` but no stubs, so mypy finds none of the generated message
classes ("Module has no attribute ..."). Viewing the modules as `Any` here, in one place, keeps every
other module of the shim free of `type: ignore`. Messages never leave the shim.
"""

from typing import Any

from fabric_protos.common import common_pb2 as _common_pb2
from fabric_protos.ledger.queryresult import kv_query_result_pb2 as _kv_query_result_pb2
from fabric_protos.msp import identities_pb2 as _identities_pb2
from fabric_protos.peer import chaincode_event_pb2 as _chaincode_event_pb2
from fabric_protos.peer import chaincode_pb2 as _chaincode_pb2
from fabric_protos.peer import chaincode_shim_pb2 as _chaincode_shim_pb2
from fabric_protos.peer import chaincode_shim_pb2_grpc as _chaincode_shim_pb2_grpc
from fabric_protos.peer import proposal_pb2 as _proposal_pb2
from fabric_protos.peer import proposal_response_pb2 as _proposal_response_pb2
from google.protobuf.message import DecodeError as _DecodeError

common_pb2: Any = _common_pb2
kv_query_result_pb2: Any = _kv_query_result_pb2
identities_pb2: Any = _identities_pb2
chaincode_event_pb2: Any = _chaincode_event_pb2
chaincode_pb2: Any = _chaincode_pb2
shim_pb2: Any = _chaincode_shim_pb2
shim_pb2_grpc: Any = _chaincode_shim_pb2_grpc
proposal_pb2: Any = _proposal_pb2
proposal_response_pb2: Any = _proposal_response_pb2

# What FromString raises for bytes that are not the expected message.
DecodeError: type[Exception] = _DecodeError

# ChaincodeMessage.Type values, named once.
MessageType: Any = shim_pb2.ChaincodeMessage
