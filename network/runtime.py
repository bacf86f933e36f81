"""What runs the network's services: the `Runtime` port and the `Service` it runs.

Two adapters: `network.native.NativeRuntime` (detached OS processes) and
`network.compose.ComposeRuntime` (one container per service on a compose network). `Network` speaks only
to this Protocol; which runtime a data directory uses is remembered in its `runtime.json`.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from network.layout import Layout

# What a native process takes from the environment of the command that starts it.
INHERITED_ENV = ("PATH", "HOME", "LANG", "TMPDIR", "GOCOVERDIR")


@dataclass(frozen=True, slots=True)
class Service:
    """One process to run: `name` names its log and pid files (or its container); `ports` are checked first."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ports: tuple[int, ...] = ()
    cwd: Path | None = None
    inherit_env: tuple[str, ...] = INHERITED_ENV


class PortInUseError(RuntimeError):
    """A port a service needs is taken by a process that is not ours."""


class RuntimeMismatchError(RuntimeError):
    """The data directory was set up for another runtime (its genesis block names nodes that way)."""


class Runtime(Protocol):
    """Starts, stops and reports on services by name. Every method is safe to repeat."""

    kind: str

    def prepare(self, services: Sequence[Service]) -> None:
        """Make ready to start these services (native: nothing; compose: images, compose file)."""

    def check_ports(self, services: Sequence[Service]) -> None:
        """Raise PortInUseError naming the service and port if a port of a not-running service is taken."""

    def start(self, svc: Service) -> int | None:
        """Start svc unless it already runs; returns its pid on this host when known."""

    def stop(self, name: str) -> bool:
        """Stop name's process or container; True if one was running."""

    def running(self, name: str) -> bool: ...

    def pid(self, name: str) -> int | None: ...

    def names(self) -> list[str]:
        """Every service this data directory has started (running or not)."""

    def logs(self, name: str, lines: int) -> str | None:
        """The last lines of name's output, or None if it has none."""

    def teardown(self) -> None:
        """After every service is stopped: remove what the runtime made (compose: containers, network)."""


def bind_error(port: int) -> OSError | None:
    """Why 127.0.0.1:port cannot be bound (as Fabric's and uvicorn's listeners bind it), or None if it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc
    return None


def check_free_ports(services: Sequence[Service], running: Callable[[str], bool]) -> None:
    """Raise PortInUseError if a port of a service that is not running cannot be bound on 127.0.0.1."""
    for svc in services:
        if running(svc.name):
            continue
        for port in svc.ports:
            exc = bind_error(port)
            if exc is not None:
                raise PortInUseError(
                    f"port {port} needed by {svc.name} is already in use on 127.0.0.1 ({exc.strerror})"
                ) from exc


def recorded_runtime(layout: Layout) -> str | None:
    """The runtime named in the data directory's runtime.json, if it has one."""
    try:
        return str(json.loads(layout.runtime_file.read_text())["runtime"])
    except (OSError, ValueError, KeyError):
        return None


def record_runtime(layout: Layout, kind: str) -> None:
    """Remember kind for later commands; raise RuntimeMismatchError if the data dir was made for another."""
    current = recorded_runtime(layout)
    if current is None and layout.channel.joinpath("configtx.yaml").exists():
        current = "native"  # made before runtime.json existed: the native runtime was the only one
    if current is not None and current != kind:
        raise RuntimeMismatchError(
            f"{layout.root} holds a network made for the {current} runtime (its channel names the nodes that "
            f"way); use `--runtime {current}`, or `deposits network clean` first to start over with {kind}"
        )
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.runtime_file.write_text(json.dumps({"runtime": kind}, sort_keys=True) + "\n")
