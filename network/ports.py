"""Which block of ports a data directory's network uses, so several networks can run side by side.

The topology file states each port relative to its lowest one (7050 by default). `deposits network up
--port-base N` moves every port by the same offset and remembers N in the data directory's `ports.json`;
every later command on that data directory (down, status, the gateways, the benchmark) reads it back through
`topology_for`. The genesis block names the orderers' ports, so a network keeps its base for life.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from network.joined import recorded_joined
from network.layout import Layout
from network.runtime import bind_error
from network.topology import DEFAULT_TOPOLOGY, Topology, load_topology


class PortBaseMismatchError(RuntimeError):
    """The data directory's network was made on another port base (its channel names those ports)."""


def recorded_port_base(layout: Layout) -> int | None:
    try:
        return int(json.loads(layout.ports_file.read_text())["port_base"])
    except (OSError, ValueError, KeyError):
        return None


def record_port_base(layout: Layout, topology: Topology) -> None:
    """Remember the topology's port base; raise PortBaseMismatchError if the data dir was made on another."""
    current = recorded_port_base(layout)
    if current is None and layout.channel.joinpath("configtx.yaml").exists():
        current = load_topology(DEFAULT_TOPOLOGY).port_base  # made before ports.json existed
    if current is not None and current != topology.port_base:
        raise PortBaseMismatchError(
            f"{layout.root} holds a network on port base {current} (its channel names those ports); use "
            f"`--port-base {current}`, or `deposits network clean` first to start over on {topology.port_base}"
        )
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.ports_file.write_text(json.dumps({"port_base": topology.port_base}, sort_keys=True) + "\n")


def topology_for(layout: Layout, path: Path = DEFAULT_TOPOLOGY, port_base: int | None = None) -> Topology:
    """The topology file's network on port_base, else on the base the data directory recorded, else as written;
    with the orgs that have joined its channel since (`network.joined`) as members."""
    topology = load_topology(path).with_port_base(port_base if port_base is not None else recorded_port_base(layout))
    return topology.with_joined(recorded_joined(layout))


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


@contextlib.contextmanager
def reserve_port_block(topology: Topology, lock_dir: Path | None = None) -> Iterator[int]:
    """Find a port base whose every port is free, below the kernel's ephemeral range (so outgoing connections
    never take one), and hold an exclusive lock on it while the block is in use: two suites started at the same
    moment never choose the same block. Yields the base. Raises RuntimeError if no block is free."""
    lock_dir = lock_dir or Path(os.environ.get("TMPDIR", "/tmp"))
    span = topology.port_span
    ephemeral_low, _ = _ephemeral_range()
    step = ((span + 99) // 100) * 100  # round block starts to hundreds so ports stay readable
    # 10000 upwards: clear of the topology's default block and of well-known service ports.
    for base in range(10000 + topology.port_base % 100, ephemeral_low - span, step):
        with open(lock_dir / f"tokenized-deposits-ports-{base}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shifted = topology.with_port_base(base)
            if all(bind_error(port) is None for _, port in shifted.ports()):
                yield base
                return
    raise RuntimeError(f"no free block of {span} ports below {ephemeral_low} on 127.0.0.1")
