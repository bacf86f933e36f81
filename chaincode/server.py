"""Entry point of a chaincode server: `python -m chaincode.server`.

Environment: CHAINCODE_ID (the package ID the peer knows this server by) and CHAINCODE_SERVER_ADDRESS
(host:port to listen on; always 127.0.0.1 in this project).
"""

from __future__ import annotations

import logging
import os
import sys

from chaincode.contract import handle
from chaincode.shim import serve


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        chaincode_id = os.environ["CHAINCODE_ID"]
        address = os.environ["CHAINCODE_SERVER_ADDRESS"]
    except KeyError as exc:
        print(f"chaincode.server: {exc.args[0]} must be set", file=sys.stderr)
        return 2
    serve(handle, address, chaincode_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
