"""CPU seconds and resident memory of the network's processes, read from /proc, grouped by kind."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from network.network import Network

CLIENT = "client"
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Sample:
    cpu_ticks: dict[str, int]  # per process name: user + system clock ticks so far
    rss_kib: dict[str, int]  # per process name: resident memory now


def process_kinds(net: Network) -> dict[str, str]:
    """Process name → kind (orderer, peer, chaincode, gateway, or the name's first word for anything else)."""
    kinds = {net.orderer_service(o).name: "orderer" for o in net.topology.orgs}
    kinds |= {net.peer_service(o).name: "peer" for o in net.topology.orgs}
    kinds |= {s.name: "chaincode" for s in net.chaincode_services()}
    kinds |= {s.name: "gateway" for s in net.gateway_services()}
    for name in net.all_service_names():
        kinds.setdefault(name, name.split(".", 1)[0])
    return kinds


def _stat(pid: int) -> tuple[int, int] | None:
    """(cpu ticks, rss KiB) of pid, or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return int(fields[11]) + int(fields[12]), rss


def sample(net: Network, client_pids: tuple[int, ...] = ()) -> Sample:
    """Every running process of the network, plus the load clients (this process and any given pids,
    counted together as `client`)."""
    cpu: dict[str, int] = {}
    rss: dict[str, int] = {}
    for name in net.all_service_names():
        pid = net.runtime.pid(name)
        got = _stat(pid) if pid is not None else None
        if got is not None:
            cpu[name], rss[name] = got
    client_ticks = 0
    for pid in (os.getpid(), *client_pids):
        got = _stat(pid)
        if got is not None:
            client_ticks += got[0]
    times = os.times()  # children this process has waited for (a finished Go load client)
    cpu[CLIENT] = client_ticks + round((times.children_user + times.children_system) * _TICK)
    return Sample(cpu, rss)


def cpu_ms_per_tx_by_kind(before: Sample, after: Sample, kinds: dict[str, str], committed: int) -> dict[str, str]:
    """CPU milliseconds per committed transaction between two samples, per kind (2 decimals), with `total`."""
    ticks: dict[str, int] = {}
    for name, value in after.cpu_ticks.items():
        kind = CLIENT if name == CLIENT else kinds.get(name, name)
        ticks[kind] = ticks.get(kind, 0) + value - before.cpu_ticks.get(name, value)
    ticks["total"] = sum(ticks.values())
    per = max(committed, 1)
    return {kind: f"{t * 1000 / _TICK / per:.2f}" for kind, t in sorted(ticks.items())}


def rss_mib_by_kind(s: Sample, kinds: dict[str, str]) -> dict[str, int]:
    """The largest resident set per kind, MiB."""
    out: dict[str, int] = {}
    for name, kib in s.rss_kib.items():
        kind = kinds.get(name, name)
        out[kind] = max(out.get(kind, 0), kib // 1024)
    return dict(sorted(out.items()))
