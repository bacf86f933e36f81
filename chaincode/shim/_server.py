"""The gRPC server the peer dials (chaincode as a service), and the process entry point."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import grpc

from chaincode.shim._connection import Connection
from chaincode.shim._handler import Handler
from chaincode.shim._protos import shim_pb2_grpc

logger = logging.getLogger("chaincode.shim")

# The peer's own gRPC limit for chaincode messages (core.yaml peer.maxRecvMsgSize / maxSendMsgSize).
_MAX_MESSAGE_BYTES = 100 * 1024 * 1024


class _ChaincodeService:
    """`protos.Chaincode`: each Connect call is one peer connection."""

    def __init__(self, handler: Handler, chaincode_id: str) -> None:
        self._handler = handler
        self._chaincode_id = chaincode_id
        self.connections: set[Connection] = set()

    async def Connect(self, requests: AsyncIterable[Any], context: Any) -> AsyncIterator[Any]:
        connection = Connection(self._handler, self._chaincode_id)
        self.connections.add(connection)
        logger.info("peer connected from %s", context.peer())
        try:
            async for message in connection.run(requests):
                yield message
        finally:
            self.connections.discard(connection)
            logger.info("peer stream from %s ended", context.peer())


@dataclass(frozen=True, slots=True)
class ServerTls:
    """The server's TLS pair (PEM) and the CA whose client certificates it accepts. A client without a
    certificate from that CA is refused during the TLS handshake, before any chaincode message."""

    cert_pem: bytes
    key_pem: bytes
    client_ca_pem: bytes

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials(
            [(self.key_pem, self.cert_pem)], root_certificates=self.client_ca_pem, require_client_auth=True
        )


class ChaincodeServer:
    """Serves `protos.Chaincode` on `address` (host:port; port 0 picks a free one), over mutual TLS when
    `tls` is given, in plain text otherwise (tests).

    Use as `async with ChaincodeServer(...) as server:` or call `start()` / `stop()`.
    """

    def __init__(self, handler: Handler, address: str, chaincode_id: str, *, tls: ServerTls | None = None) -> None:
        self._address = address
        self._tls = tls
        self._service = _ChaincodeService(handler, chaincode_id)
        self._server: grpc.aio.Server | None = None
        self._port = 0

    @property
    def port(self) -> int:
        """The bound port; 0 before `start()`."""
        return self._port

    async def start(self) -> None:
        """Bind and start serving. Raises OSError when the address cannot be bound."""
        if self._server is not None:
            raise RuntimeError("the server is already started")
        server = grpc.aio.server(
            options=[
                ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            ]
        )
        shim_pb2_grpc.add_ChaincodeServicer_to_server(self._service, server)
        try:
            if self._tls is None:
                port = server.add_insecure_port(self._address)
            else:
                port = server.add_secure_port(self._address, self._tls.credentials())
        except RuntimeError as exc:
            raise OSError(f"cannot bind {self._address}: {exc}") from exc
        if port == 0:
            raise OSError(f"cannot bind {self._address}")
        await server.start()
        self._server, self._port = server, port
        logger.info(
            "chaincode server listening on %s (port %d, %s)",
            self._address,
            port,
            "plain text" if self._tls is None else "mutual TLS",
        )

    async def stop(self, grace: int = 5) -> None:
        """Refuse new transactions, let running ones finish for up to `grace` seconds, then stop."""
        server, self._server = self._server, None
        if server is None:
            return
        connections = list(self._service.connections)
        await asyncio.gather(*(connection.shutdown(grace) for connection in connections))
        # The streams have ended; the short grace only lets their final status reach the peer.
        await server.stop(1.0)

    async def wait_for_termination(self) -> None:
        if self._server is not None:
            await self._server.wait_for_termination()

    async def __aenter__(self) -> ChaincodeServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()


def serve(handler: Handler, address: str, chaincode_id: str, *, tls: ServerTls | None = None, grace: int = 5) -> None:
    """Serve until SIGTERM or SIGINT, then stop cleanly (running transactions get `grace` seconds).

    Must be called from the main thread, outside any running event loop. Raises OSError when the
    address cannot be bound.
    """
    asyncio.run(_serve_until_signalled(handler, address, chaincode_id, tls, grace))


async def _serve_until_signalled(
    handler: Handler, address: str, chaincode_id: str, tls: ServerTls | None, grace: int
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    server = ChaincodeServer(handler, address, chaincode_id, tls=tls)
    try:
        await server.start()
        await stop.wait()
        logger.info("stopping the chaincode server")
    finally:
        await server.stop(grace)
        for signum in signals:
            loop.remove_signal_handler(signum)
