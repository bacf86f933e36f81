"""The protobuf modules this package uses, as untyped names.

`hyperledger-fabric-protos` ships `py.typed` but no stubs, and its generated modules define their
message classes at runtime, so mypy sees none of them. Every Fabric message is reached through these
aliases; protobuf values never leave the `gateway.fabric` package.
"""

from typing import Any

from fabric_protos.common import common_pb2 as _common_pb2
from fabric_protos.gateway import gateway_pb2 as _gateway_pb2
from fabric_protos.gateway import gateway_pb2_grpc as _gateway_pb2_grpc
from fabric_protos.msp import identities_pb2 as _identities_pb2
from fabric_protos.orderer import ab_pb2 as _ab_pb2
from fabric_protos.peer import chaincode_pb2 as _chaincode_pb2
from fabric_protos.peer import proposal_pb2 as _proposal_pb2
from fabric_protos.peer import proposal_response_pb2 as _proposal_response_pb2
from fabric_protos.peer import transaction_pb2 as _transaction_pb2
from google.protobuf import message as _protobuf_message  # type: ignore[import-untyped]
from google.rpc import status_pb2 as _status_pb2

common: Any = _common_pb2
gateway: Any = _gateway_pb2
gateway_grpc: Any = _gateway_pb2_grpc
identities: Any = _identities_pb2
orderer: Any = _ab_pb2
chaincode: Any = _chaincode_pb2
proposal: Any = _proposal_pb2
proposal_response: Any = _proposal_response_pb2
transaction: Any = _transaction_pb2
rpc_status: Any = _status_pb2

# Raised by FromString/ParseFromString on bytes that are not the expected message.
DecodeError: type[Exception] = _protobuf_message.DecodeError
