"""Server CPU per round trip on one gRPC bidi stream, for three ways a Python chaincode server can serve it.

The chaincode server spends most of a transfer's time in the shim's round trips (TRANSACTION in, 11 ledger
calls, COMPLETED out: 13 messages each way). This measures what one costs the server, apart from the
contract: `aio-gen` is what chaincode/shim does (grpc.aio, the response an async generator fed by a
queue, a reader task), `aio-rw` is grpc.aio's read()/write() API, `sync` is the threaded server with a
response generator. The client (sync gRPC, in its own process) keeps STREAMS streams busy, one message
outstanding on each, like a peer with that many transactions in simulation.

    .venv/bin/python scripts/bench_shim_transport.py [--streams 4] [--round-trips 6000]

Prints the server's CPU microseconds per round trip for each mode (after 2,000 warm-up round trips).
Everything listens on 127.0.0.1 and every server started is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent import futures
from typing import Any

import grpc

MODES = ("aio-gen", "aio-rw", "sync")
WARM_UP = 2000
PAYLOAD = b"r" * 200  # about a GET_STATE response's size


def _ident(b: bytes) -> bytes:
    return b


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Meter:
    """Counts round trips; the CPU clock starts once the warm-up is done."""

    def __init__(self) -> None:
        self.count = 0
        self.start: float | None = None

    def bump(self) -> None:
        self.count += 1
        if self.count == WARM_UP:
            self.start = _cpu()

    def line(self) -> str | None:
        if self.start is None or self.count <= WARM_UP:
            return None
        return f"{1e6 * (_cpu() - self.start) / (self.count - WARM_UP):.1f}"


def _serve(mode: str, port: int) -> None:
    meter = _Meter()

    def report_forever(sleep: Any) -> Iterator[Any]:
        while True:
            yield sleep(1)
            if (line := meter.line()) is not None:
                print(line, flush=True)

    if mode == "sync":

        def connect(requests: Iterator[bytes], _: grpc.ServicerContext) -> Iterator[bytes]:
            for _m in requests:
                meter.bump()
                yield PAYLOAD

        handler = grpc.method_handlers_generic_handler(
            "bench", {"Connect": grpc.stream_stream_rpc_method_handler(connect, _ident, _ident)}
        )
        server = grpc.server(futures.ThreadPoolExecutor(8))
        server.add_generic_rpc_handlers((handler,))
        server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        for _ in report_forever(time.sleep):
            pass
        return

    async def generator(requests: Any, _: Any) -> AsyncIterator[bytes]:
        outbox: asyncio.Queue[bytes | None] = asyncio.Queue()

        async def read() -> None:
            async for _m in requests:
                meter.bump()
                outbox.put_nowait(PAYLOAD)
            outbox.put_nowait(None)

        reader = asyncio.create_task(read())
        while (message := await outbox.get()) is not None:
            yield message
        await reader

    async def read_write(_: Any, context: Any) -> None:
        while (message := await context.read()) is not grpc.aio.EOF:
            del message
            meter.bump()
            await context.write(PAYLOAD)

    async def main() -> None:
        method = generator if mode == "aio-gen" else read_write
        handler = grpc.method_handlers_generic_handler(
            "bench", {"Connect": grpc.stream_stream_rpc_method_handler(method, _ident, _ident)}
        )
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        for pause in report_forever(asyncio.sleep):
            await pause

    asyncio.run(main())


def _drive(port: int, streams: int, round_trips: int) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.stream_stream("/bench/Connect", request_serializer=_ident, response_deserializer=_ident)

        def one() -> None:
            outgoing: queue.Queue[bytes | None] = queue.Queue()

            def messages() -> Iterator[bytes]:
                while (m := outgoing.get()) is not None:
                    yield m

            responses = call(messages())
            outgoing.put(PAYLOAD)
            for i, _ in enumerate(responses):
                if i + 1 >= round_trips:
                    outgoing.put(None)
                    break
                outgoing.put(PAYLOAD)

        threads = [threading.Thread(target=one) for _ in range(streams)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--round-trips", type=int, default=6000, help="per stream")
    parser.add_argument("--serve", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port)
        return
    for mode in MODES:
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", mode, "--port", str(port)], stdout=subprocess.PIPE, text=True
        )
        try:
            time.sleep(2)
            started = time.monotonic()
            _drive(port, args.streams, args.round_trips)
            rate = args.streams * args.round_trips / (time.monotonic() - started)
            time.sleep(1.5)  # the server prints its figure once a second
        finally:
            server.terminate()
            out, _ = server.communicate(timeout=10)
        figures = out.split()
        cpu = figures[-1] if figures else "?"
        print(f"{mode:8s} server CPU {cpu} us per round trip ({rate:,.0f} round trips/s with the client beside it)")


if __name__ == "__main__":
    main()
