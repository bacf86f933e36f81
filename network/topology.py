"""The network's facts, loaded from `topology.yaml` (the one file that states them).

Everything else (certificates, configtx, node environments, lifecycle, gateways) derives from the
`Topology` returned by `load_topology()`; nothing about a node is written down twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

DEFAULT_TOPOLOGY = Path(__file__).with_name("topology.yaml")
HOST = "127.0.0.1"
_T = TypeVar("_T", "Org", "Orderer", "Peer")


class TopologyError(ValueError):
    """The topology file (or a port base applied to it) does not describe a network that can run."""


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
    # The bank's reference core (core/), for the org that runs one (BankOrg).
    core_port: int | None = None


@dataclass(frozen=True, slots=True)
class JoiningOrg:
    """An org the topology describes for a later `add-org`, and the endorsement policy it brings."""

    org: Org
    endorsement_policy: str


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
    # Whole units of a currency above which a person's direct mint waits for a second BankMSP identity.
    mint_approval_limit: int = 10_000_000


@dataclass(frozen=True, slots=True)
class Topology:
    fabric: FabricRelease
    channel: str
    raft: Raft
    batch_timeout: str
    chaincode: ChaincodeDefinition
    orgs: tuple[Org, ...]
    currencies: tuple[tuple[str, int], ...] = ()  # (ISO 4217 code, minor digits), registered by `up`
    # Orgs that are not members at `up` but may join the running channel later (`deposits network add-org`),
    # each with the chaincode endorsement policy the channel adopts once it has joined.
    joining: tuple[JoiningOrg, ...] = ()
    # Each peer's Go runtime memory limit (GOMEMLIMIT, e.g. "256MiB"), or None for Go's default (no limit).
    peer_memory_limit: str | None = None

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

    def joining_org(self, name: str) -> JoiningOrg:
        """Raises KeyError when the topology names no such joining org."""
        for entry in self.joining:
            if name in (entry.org.name, entry.org.msp_id):
                return entry
        raise KeyError(f"no joining org named {name!r} in the topology")

    def with_joined(self, names: list[str]) -> Topology:
        """The network after the named joining orgs have joined, in that order: members after the founders,
        the chaincode's endorsement policy the last one's. Raises KeyError for a name not joining."""
        out = self
        for name in names:
            entry = out.joining_org(name)
            out = replace(
                out,
                orgs=(*out.orgs, entry.org),
                joining=tuple(j for j in out.joining if j is not entry),
                chaincode=replace(out.chaincode, endorsement_policy=entry.endorsement_policy),
            )
        return out

    @property
    def port_base(self) -> int:
        """The lowest port the network listens on; `with_port_base` moves every port relative to it."""
        return min(port for _, port in self.ports())

    def with_port_base(self, base: int | None) -> Topology:
        """The same network with every port moved by the same offset so the lowest is `base` (None: as is).

        Raises TopologyError if a moved port falls outside 1024..65535.
        """
        if base is None or base == self.port_base:
            return self
        offset = base - self.port_base
        highest = max(port for _, port in self.ports()) + offset
        if base < 1024 or highest > 65535:
            raise TopologyError(f"port base {base} puts the network's ports at {base}..{highest}, outside 1024..65535")

        def moved(org: Org) -> Org:
            return replace(
                _shifted(org, offset), orderer=_shifted(org.orderer, offset), peer=_shifted(org.peer, offset)
            )

        return replace(
            self,
            orgs=tuple(moved(org) for org in self.orgs),
            joining=tuple(replace(j, org=moved(j.org)) for j in self.joining),
        )

    @property
    def port_span(self) -> int:
        """How many consecutive ports, from `port_base`, the network's ports spread over."""
        return max(port for _, port in self.ports()) - self.port_base + 1

    def ports(self) -> list[tuple[str, int]]:
        """Every (service, port) the network listens on, for the port-in-use check."""
        out: list[tuple[str, int]] = []
        for org in self.orgs:
            o, p = org.orderer, org.peer
            out += [(o.id, o.port), (f"{o.id} admin", o.admin_port), (f"{o.id} operations", o.ops_port)]
            out += [(p.id, p.port), (f"{p.id} chaincode", p.chaincode_port), (f"{p.id} operations", p.ops_port)]
            out += [(f"chaincode server {org.name}", org.chaincode_server_port)]
            out += [(f"gateway {org.name}", org.gateway_port)]
            if org.core_port is not None:
                out += [(f"core {org.name}", org.core_port)]
        return out


def _shifted(node: _T, offset: int) -> _T:
    """node with every `*port` field moved by offset (a port added to the topology moves too; an optional one
    that is unset stays unset)."""
    return replace(
        node,
        **{
            f.name: getattr(node, f.name) + offset
            for f in fields(node)
            if f.name.endswith("port") and getattr(node, f.name) is not None
        },
    )


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
        core_port=int(raw["core_port"]) if raw.get("core_port") is not None else None,
    )


def load_topology(path: Path = DEFAULT_TOPOLOGY) -> Topology:
    """Read and validate the topology file. Raises TopologyError when it is not one (a missing or mistyped
    entry, bad YAML) or names a port or an org twice; OSError when it cannot be read."""
    try:
        return _read_topology(path)
    except (yaml.YAMLError, LookupError, TypeError, AttributeError) as exc:
        raise TopologyError(f"topology {path}: not a topology file ({type(exc).__name__}: {exc})") from exc


def _memory_limit(value: object) -> str | None:
    """A Go memory limit as GOMEMLIMIT spells it (a whole number of B, KiB, MiB or GiB), or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[1-9][0-9]*(B|KiB|MiB|GiB)", value):
        raise TopologyError(f"topology: peer_memory_limit {value!r} is not a size such as 256MiB")
    return value


def _read_topology(path: Path) -> Topology:
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
            name=cc["name"],
            version=str(cc["version"]),
            endorsement_policy=cc["endorsement_policy"],
            mint_approval_limit=int(cc.get("mint_approval_limit", 10_000_000)),
        ),
        orgs=tuple(_org(o) for o in raw["orgs"]),
        currencies=tuple((str(c["code"]), int(c["minor_digits"])) for c in raw.get("currencies") or ()),
        joining=tuple(
            JoiningOrg(org=_org(j), endorsement_policy=str(j["endorsement_policy"])) for j in raw.get("joining") or ()
        ),
        peer_memory_limit=_memory_limit(raw.get("peer_memory_limit")),
    )
    seen: dict[int, str] = {}
    for service, port in topo.with_joined([j.org.name for j in topo.joining]).ports():
        if port in seen:
            raise TopologyError(f"topology: port {port} used by both {seen[port]} and {service}")
        seen[port] = service
    low, high = topo.port_base, topo.port_base + topo.port_span
    for entry in topo.joining:
        # Inside the founders' block, so a block reserved for the network (ports.reserve_port_block) holds them.
        outside = [p for _, p in replace(topo, orgs=(entry.org,)).ports() if not low <= p < high]
        if outside:
            where = f"{low}..{high - 1}"
            raise TopologyError(f"topology: joining org {entry.org.name}'s ports {outside} lie outside {where}")
    everyone = [*topo.orgs, *(j.org for j in topo.joining)]
    names = [o.name for o in everyone] + [o.msp_id for o in everyone]
    if len(set(names)) != len(names):
        raise TopologyError("topology: org names and MSP IDs must be unique")
    return topo
