"""Entry point of a chaincode server: `python -m chaincode.server`.

Environment: CHAINCODE_ID (the package ID the peer knows this server by), CHAINCODE_SERVER_ADDRESS
(host:port to listen on), and its mutual TLS: CHAINCODE_TLS_CERT_FILE / CHAINCODE_TLS_KEY_FILE (its own
pair, PEM) and CHAINCODE_TLS_CLIENT_CA_FILE (the CA of the peer's client certificate). There is no
plain-text mode: whoever reaches the port could otherwise pose as the peer.

Time. The contract's deadlines (escrow's ship_by and inspection period) compare with the proposal's
timestamp, which the client chose and signed: every endorser sees the same one, so the contract's answer
and its read/write set are the same on every peer. So that a client cannot move a deadline by forging
that timestamp, this server refuses a proposal whose timestamp is more than CLOCK_TOLERANCE_SECONDS from
its own clock, before the contract runs. The check only ever refuses: an endorser whose clock disagrees
declines to endorse (the endorsement policy then needs the others) and never endorses a different result,
so endorsement stays deterministic. The contract itself reads no clock.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from chaincode.contract import make_handler
from chaincode.domain.books import MINT_APPROVAL_UNITS
from chaincode.shim import Failure, Handler, HandlerResult, ServerTls, serve
from chaincode.stub import ChaincodeStub

# How far a proposal's timestamp may be from the endorser's clock: a deadline holds to within this.
CLOCK_TOLERANCE_SECONDS = 60

_REQUIRED = (
    "CHAINCODE_ID",
    "CHAINCODE_SERVER_ADDRESS",
    "CHAINCODE_TLS_CERT_FILE",
    "CHAINCODE_TLS_KEY_FILE",
    "CHAINCODE_TLS_CLIENT_CA_FILE",
)


def _clock_seconds() -> int:
    return time.time_ns() // 1_000_000_000


def bounded_clock(
    handler: Handler, tolerance: int = CLOCK_TOLERANCE_SECONDS, clock: Callable[[], int] = _clock_seconds
) -> Handler:
    """`handler`, refusing (INVALID_ARGUMENT) a proposal whose timestamp is more than `tolerance` seconds
    from `clock()`."""

    async def checked(stub: ChaincodeStub) -> HandlerResult:
        skew = stub.tx_timestamp.seconds - clock()
        if abs(skew) > tolerance:
            return Failure(
                f"INVALID_ARGUMENT: the proposal timestamp is {skew:+d} s from the endorser's clock "
                f"(at most {tolerance} s either way)"
            )
        return await handler(stub)

    return checked


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    missing = [name for name in _REQUIRED if not os.environ.get(name)]
    if missing:
        print(f"chaincode.server: {', '.join(missing)} must be set", file=sys.stderr)
        return 2
    env = os.environ
    try:
        tls = ServerTls(
            cert_pem=Path(env["CHAINCODE_TLS_CERT_FILE"]).read_bytes(),
            key_pem=Path(env["CHAINCODE_TLS_KEY_FILE"]).read_bytes(),
            client_ca_pem=Path(env["CHAINCODE_TLS_CLIENT_CA_FILE"]).read_bytes(),
        )
    except OSError as exc:
        print(f"chaincode.server: cannot read its TLS material: {exc}", file=sys.stderr)
        return 2
    # Every org's server is started from the same topology, so every endorser applies the same limit.
    limit = int(env.get("DEPOSITS_MINT_APPROVAL_LIMIT", MINT_APPROVAL_UNITS))
    serve(bounded_clock(make_handler(limit)), env["CHAINCODE_SERVER_ADDRESS"], env["CHAINCODE_ID"], tls=tls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
