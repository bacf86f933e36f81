"""A client of the peers' Fabric Gateway gRPC API, shaped like hyperledger/fabric-gateway.

    connect(...) → Gateway → Network → Contract → Proposal → (endorse) Transaction → (submit) Commit
    → Status

As in fabric-gateway, the gRPC connection may be the caller's: `Gateway(dial(...), identity, signer)`, one
channel shared by many identities' Gateways.

`Contract.submit_transaction` / `evaluate_transaction` compose those steps; take them one by one to
persist the signed envelope (`Transaction.bytes()`) and resubmit it after a crash. Errors are typed by
the step that failed (see `gateway.fabric._errors`). Protobuf messages stay inside this package.
"""

from gateway.fabric._context import Timeouts
from gateway.fabric._errors import (
    ChaincodeEventsError,
    CommitError,
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    EvaluateError,
    GatewayError,
    SubmitError,
)
from gateway.fabric._events import ChaincodeEvent, ChaincodeEvents
from gateway.fabric._gateway import Contract, Gateway, Network, connect, dial
from gateway.fabric._identity import Identity, Signer, load_msp
from gateway.fabric._offline import UnsignedProposal, UnsignedTransaction
from gateway.fabric._proposal import Proposal
from gateway.fabric._transaction import Commit, CommittedTransaction, Status, SubmitResult, Transaction

__all__ = [
    "ChaincodeEvent",
    "ChaincodeEvents",
    "ChaincodeEventsError",
    "Commit",
    "CommitError",
    "CommitStatusError",
    "CommittedTransaction",
    "Contract",
    "EndorseError",
    "ErrorDetail",
    "EvaluateError",
    "Gateway",
    "GatewayError",
    "Identity",
    "Network",
    "Proposal",
    "Signer",
    "Status",
    "SubmitError",
    "SubmitResult",
    "Timeouts",
    "Transaction",
    "UnsignedProposal",
    "UnsignedTransaction",
    "connect",
    "dial",
    "load_msp",
]
