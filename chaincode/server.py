"""Entry point of a chaincode server: `python -m chaincode.server`.

Environment: CHAINCODE_ID (the package ID the peer knows this server by), CHAINCODE_SERVER_ADDRESS
(host:port to listen on), and its mutual TLS: CHAINCODE_TLS_CERT_FILE / CHAINCODE_TLS_KEY_FILE (its own
pair, PEM) and CHAINCODE_TLS_CLIENT_CA_FILE (the CA of the peer's client certificate). There is no
plain-text mode: whoever reaches the port could otherwise pose as the peer.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from chaincode.contract import handle
from chaincode.shim import ServerTls, serve

_REQUIRED = (
    "CHAINCODE_ID",
    "CHAINCODE_SERVER_ADDRESS",
    "CHAINCODE_TLS_CERT_FILE",
    "CHAINCODE_TLS_KEY_FILE",
    "CHAINCODE_TLS_CLIENT_CA_FILE",
)


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
    serve(handle, env["CHAINCODE_SERVER_ADDRESS"], env["CHAINCODE_ID"], tls=tls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
