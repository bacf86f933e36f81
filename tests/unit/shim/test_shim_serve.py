"""`serve` runs until SIGTERM and then exits cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

PROGRAM = """
import sys
from chaincode.shim import Success, serve

async def handler(stub):
    return Success(b"")

serve(handler, sys.argv[1], "cc:1", grace=0.5)
print("stopped cleanly")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_listening(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listens on {port}")


def test_serve_stops_on_sigterm() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_listening(port, time.monotonic() + 5)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout.strip() == "stopped cleanly"
