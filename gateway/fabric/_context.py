"""What every call on one channel needs: the Gateway stub, who signs, and how long to wait."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.fabric._identity import Identity, Signer


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines in seconds for each Gateway call. Commit status waits for the block, so it is longest."""

    evaluate: int = 5
    endorse: int = 15
    submit: int = 5
    commit_status: int = 60


@dataclass(frozen=True, slots=True)
class NetworkContext:
    """Shared, immutable state of one Network and everything made from it."""

    stub: Any  # gateway_pb2_grpc.GatewayStub; thread-safe, one per Gateway
    identity: Identity
    signer: Signer
    channel_name: str
    timeouts: Timeouts
    creator: bytes  # the serialized identity, computed once
