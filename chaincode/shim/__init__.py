"""The chaincode side of Fabric's chaincode protocol, served as a gRPC server (chaincode as a service).

The peer dials `ChaincodeServer` and opens one `protos.Chaincode/Connect` stream; the shim registers
as `chaincode_id` (the package ID of the ccaas package), and from then on the peer sends INIT and
TRANSACTION messages on that stream, many in flight at once. For each one the server calls the
handler once, in its own asyncio task, with a fresh `chaincode.stub.ChaincodeStub`.

Writing a handler (this is what `chaincode.contract` adapts to)::

    async def handle(stub: ChaincodeStub) -> HandlerResult:
        function, *params = stub.args             # list[bytes]; args[0] names the function
        value = await stub.get_state("k")         # raises chaincode.stub.ShimError if the peer refuses
        await stub.put_state("k", b"v")
        stub.set_event("Moved", b"{...}")          # sent only with a Success
        return Success(b"result")                 # -> peer.Response status 200, payload
        return Failure("INSUFFICIENT_FUNDS: ...") # -> peer.Response status 500, message

    serve(handle, "127.0.0.1:9999", os.environ["CHAINCODE_ID"], tls=ServerTls(cert, key, peer_ca))
    # blocks until SIGTERM/SIGINT; with tls, only a peer holding a client certificate from peer_ca gets in

The contract:

- The handler returns `Success(payload)` or `Failure(message)` (`HandlerResult`). Any exception that
  escapes it also completes the transaction with status 500 (message "ExcType: text") and is logged,
  so a transaction never hangs; prefer returning `Failure` with a stable error code.
- A ledger call the peer answers with ERROR raises `ShimError` in the handler; if the handler lets it
  escape, the transaction completes with status 500.
- `stub.creator` and `stub.tx_timestamp` come from the signed proposal and raise ValueError when it is
  missing or malformed.
- `get_state_by_range(start, end)` returns every page; an empty `end` means no upper bound.
- Ledger calls of one transaction are serialised by the stub; transactions run concurrently.

Public names: `ChaincodeServer`, `ServerTls`, `serve`, `Handler`, `HandlerResult`, `Success`, `Failure`.
Logging goes to the "chaincode.shim" logger; configuring handlers is left to the entry point.
"""

from chaincode.shim._handler import Failure, Handler, HandlerResult, Success
from chaincode.shim._server import ChaincodeServer, ServerTls, serve

__all__ = ["ChaincodeServer", "Failure", "Handler", "HandlerResult", "ServerTls", "Success", "serve"]
