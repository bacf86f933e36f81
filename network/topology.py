"""The network's facts, loaded from `topology.yaml` (the one file that states them).

Everything else (certificates, configtx, node environments, lifecycle, gateways) derives from the
`Topology` returned by `load_topology()`; nothing about a node is written down twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_TOPOLOGY = Path(__file__).with_name("topology.yaml")
HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Identity:
    """A dev user of an org; `role` is written into its certificate as the `role` attribute."""

    org: str
    name: str
    role: str

    @property
    def ref(self) -> str:
        """How the API names it, e.g. `PlatformOrg/buyer-us`."""
        return f"{self.org}/{self.name}"


@dataclass(frozen=True, slots=True)
class Node:
    """A Fabric node of an org: its id is `<name>.<org domain>`, reached at 127.0.0.1:<port> natively."""

    org: str
    name: str
    port: int
    ops_port: int
    domain: str

    @property
    def id(self) -> str:
        return f"{self.name}.{self.domain}"

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"


@dataclass(frozen=True, slots=True)
class Orderer(Node):
    admin_port: int


@dataclass(frozen=True, slots=True)
class Peer(Node):
    chaincode_port: int


@dataclass(frozen=True, slots=True)
class Org:
    name: str
    msp_id: str
    domain: str
    orderer: Orderer
    peer: Peer
    chaincode_server_port: int
    gateway_port: int
    identities: tuple[Identity, ...]


@dataclass(frozen=True, slots=True)
class FabricRelease:
    module: str
    version: str
    replace: dict[str, str]
    binaries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Raft:
    tick_interval: str
    election_tick: int
    heartbeat_tick: int


@dataclass(frozen=True, slots=True)
class ChaincodeDefinition:
    name: str
    version: str
    endorsement_policy: str


@dataclass(frozen=True, slots=True)
class Topology:
    fabric: FabricRelease
    channel: str
    raft: Raft
    batch_timeout: str
    chaincode: ChaincodeDefinition
    orgs: tuple[Org, ...]

    @property
    def orderers(self) -> tuple[Orderer, ...]:
        return tuple(o.orderer for o in self.orgs)

    @property
    def peers(self) -> tuple[Peer, ...]:
        return tuple(o.peer for o in self.orgs)

    def org(self, name: str) -> Org:
        for org in self.orgs:
            if name in (org.name, org.msp_id):
                return org
        raise KeyError(f"no org named {name!r} in the topology")

    def ports(self) -> list[tuple[str, int]]:
        """Every (service, port) the network listens on, for the port-in-use check."""
        out: list[tuple[str, int]] = []
        for org in self.orgs:
            o, p = org.orderer, org.peer
            out += [(o.id, o.port), (f"{o.id} admin", o.admin_port), (f"{o.id} operations", o.ops_port)]
            out += [(p.id, p.port), (f"{p.id} chaincode", p.chaincode_port), (f"{p.id} operations", p.ops_port)]
            out += [(f"chaincode server {org.name}", org.chaincode_server_port)]
            out += [(f"gateway {org.name}", org.gateway_port)]
        return out


def _org(raw: dict[str, Any]) -> Org:
    name, domain = raw["name"], raw["domain"]
    return Org(
        name=name,
        msp_id=raw["msp_id"],
        domain=domain,
        orderer=Orderer(org=name, domain=domain, **raw["orderer"]),
        peer=Peer(org=name, domain=domain, **raw["peer"]),
        chaincode_server_port=int(raw["chaincode_server_port"]),
        gateway_port=int(raw["gateway_port"]),
        identities=tuple(Identity(org=name, **i) for i in raw["identities"]),
    )


def load_topology(path: Path = DEFAULT_TOPOLOGY) -> Topology:
    """Read and validate the topology file. Raises ValueError on a duplicate port or name."""
    raw = yaml.safe_load(path.read_text())
    fab, chan, cc = raw["fabric"], raw["channel"], raw["chaincode"]
    topo = Topology(
        fabric=FabricRelease(
            module=fab["module"],
            version=fab["version"],
            replace=dict(fab.get("replace") or {}),
            binaries=tuple(fab["binaries"]),
        ),
        channel=chan["name"],
        raft=Raft(**chan["raft"]),
        batch_timeout=chan["batch_timeout"],
        chaincode=ChaincodeDefinition(
            name=cc["name"], version=str(cc["version"]), endorsement_policy=cc["endorsement_policy"]
        ),
        orgs=tuple(_org(o) for o in raw["orgs"]),
    )
    seen: dict[int, str] = {}
    for service, port in topo.ports():
        if port in seen:
            raise ValueError(f"topology: port {port} used by both {seen[port]} and {service}")
        seen[port] = service
    names = [o.name for o in topo.orgs] + [o.msp_id for o in topo.orgs]
    if len(set(names)) != len(names):
        raise ValueError("topology: org names and MSP IDs must be unique")
    return topo
