"""The consortium across hosts: which host each org runs on, and what each org keeps on its own disk.

`deposits network up --hosts netns` gives every org a host of its own (a Linux network namespace, run by
`network.netns`) with its own address on a bridge, and a data directory of its own, `<data>/hosts/<Org>/`:

- its own key material, made there (`crypto/<Org>/`: CAs, node and user keys) and nowhere else;
- the others' public material, copied in (`crypto/<Other>/`: MSP certificates, TLS CA and node TLS
  certificates, users' signing certificates), the channel's genesis block, Fabric's node configuration;
- its nodes' ledgers, its gateway's state, its core's and books' databases.

Each org's services read and write only their org's directory: `own_env` rewrites a service's paths from
the shared data directory into it. The shared directory keeps what the operator's host needs to drive the
network (logs, pid files, the genesis block, chaincode packages), and `crypto/<Org>` and `gateways/<Org>` as
links into each org's directory, so the `peer` CLI acting as an org's admin finds that org's files.

Addresses come from the topology file's `hosts` section: a network takes the /24 its port base names, and
an org that joins the running channel later (`deposits network add-org`) takes the next free host number.
"""

from __future__ import annotations

import ipaddress
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from network.endpoints import Endpoints
from network.layout import Layout
from network.topology import DEFAULT_TOPOLOGY, Org, Topology, TopologyError

HOSTS = "hosts"  # the runtime's name in runtime.json and `--runtime`
_PRIVATE = b"PRIVATE KEY"  # every PEM private key's armour (PKCS#8, EC, RSA) contains it


@dataclass(frozen=True, slots=True)
class OrgHost:
    """One org's host: its network namespace, its address, the host's end of its link to the bridge."""

    org: Org
    namespace: str
    address: str
    veth: str  # on the bridge, in the operator's namespace: what a partition takes down
    inner_veth: str  # the namespace's end before it is moved in and renamed eth0

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port org's services listen on (published on the operator's 127.0.0.1)."""
        org, o, p = self.org, self.org.orderer, self.org.peer
        ports = [o.port, o.admin_port, o.ops_port, p.port, p.chaincode_port, p.ops_port]
        ports += [org.chaincode_server_port, org.gateway_port]
        return tuple([*ports, org.core_port] if org.core_port is not None else ports)


@dataclass(frozen=True, slots=True)
class HostPlan:
    """Where every org's host is on this network's bridge. Names carry the port base, so two networks on one
    machine never share a namespace, a bridge or a subnet (interface names stay within Linux's 15 bytes)."""

    prefix: str
    bridge: str
    subnet: ipaddress.IPv4Network
    host_address: str  # the operator's own address on the bridge
    first_host: int  # the first org's host number in the subnet; each next org takes the next one
    orgs: tuple[OrgHost, ...]

    def of(self, topology: Topology) -> HostPlan:
        """This network's hosts for topology's orgs, in their order: an org that joined later (it follows the
        founders in `Topology.orgs`) takes the next free host number and link. Raises TopologyError when the
        subnet has no room for them."""
        if self.first_host + len(topology.orgs) > 254:
            raise TopologyError(f"hosts subnet {self.subnet} has no room for {len(topology.orgs)} orgs")
        orgs = tuple(
            OrgHost(
                org=org,
                namespace=f"{self.prefix}-{org.name.lower()}",
                address=str(self.subnet[self.first_host + i]),
                veth=f"{self.prefix}v{i}",
                inner_veth=f"{self.prefix}n{i}",
            )
            for i, org in enumerate(topology.orgs)
        )
        return replace(self, orgs=orgs)

    def endpoints(self) -> Endpoints:
        """Each org listens on, and is reached at, its host's address."""
        return Endpoints(
            runtime=HOSTS,
            listen_host="0.0.0.0",
            by_name=False,
            addresses=tuple((h.org.domain, h.address) for h in self.orgs),
        )

    def host(self, org_name: str) -> OrgHost:
        """The host of the org named org_name (name or MSP ID). Raises KeyError."""
        for h in self.orgs:
            if org_name in (h.org.name, h.org.msp_id):
                return h
        raise KeyError(f"no org named {org_name!r} in the topology")

    def host_of(self, service: str) -> OrgHost | None:
        """The host a service (named `<what>.<org domain>`) runs on, if it belongs to an org."""
        for h in self.orgs:
            if service.endswith("." + h.org.domain):
                return h
        return None


def plan(topology: Topology, path: Path = DEFAULT_TOPOLOGY) -> HostPlan:
    """The hosts of topology's orgs, from the topology file's `hosts` section. Raises TopologyError when the
    section is missing or its range has no /24 for this port base."""
    try:
        raw = yaml.safe_load(path.read_text())["hosts"]
        space = ipaddress.IPv4Network(raw["range"])
        first = int(raw["first_org_host"])
    except (OSError, LookupError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise TopologyError(f"topology {path}: no usable `hosts` section ({type(exc).__name__}: {exc})") from exc
    subnets = list(space.subnets(new_prefix=24)) if space.prefixlen <= 24 else []
    if not subnets:
        raise TopologyError(f"topology {path}: hosts range {space} has no /24 for the orgs' hosts")
    base = topology.port_base
    subnet = subnets[(base // 100) % len(subnets)]
    prefix = f"td{base}"
    bare = HostPlan(
        prefix=prefix, bridge=f"{prefix}br", subnet=subnet, host_address=str(subnet[1]), first_host=first, orgs=()
    )
    return bare.of(topology)


# -- each org's own data directory ----------------------------------------------------------------------
def org_layout(layout: Layout, org: Org) -> Layout:
    """org's own data directory, laid out as a whole network's is (its services see nothing else)."""
    return Layout(layout.root / HOSTS / org.name)


def own_env(layout: Layout, org: Org, env: dict[str, str]) -> dict[str, str]:
    """env with every path under the shared data directory moved into org's own directory."""
    root, own = str(layout.root), str(org_layout(layout, org).root)
    return {k: own if v == root else v.replace(root + "/", own + "/") for k, v in env.items()}


def _link(link: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)


def link_org_dirs(layout: Layout, topology: Topology) -> None:
    """Before any key is made: `crypto/<Org>` and `gateways/<Org>` of the shared directory become links into
    each org's own directory, so what an org generates lands on its own disk only."""
    for org in topology.orgs:
        own = org_layout(layout, org)
        _link(layout.crypto / org.name, own.crypto / org.name)
        _link(layout.gateways / org.name, own.gateways / org.name)


def is_private(path: Path) -> bool:
    """Whether the file holds a private key."""
    try:
        return _PRIVATE in path.read_bytes()
    except OSError:
        return False


def private_keys(root: Path) -> list[Path]:
    """Every private key file under root (links not followed)."""
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and is_private(p))


def _share(source: Path, target: Path, own: Layout) -> None:
    """Copy source to target in own's directory unless target already holds the same bytes. Written at own's
    root and renamed into place, so a running service never reads half a file, nor a stray copy in a folder it
    loads whole (an MSP's cacerts): the founders' services run while a joining org's material is exchanged."""
    data = source.read_bytes()
    if target.is_file() and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=own.root, prefix=".exchange-", delete=False) as tmp:
        tmp.write(data)
    Path(tmp.name).replace(target)


def exchange(layout: Layout, topology: Topology) -> None:
    """Give every org what the others publish: each other org's crypto folder without its private keys, the
    channel's blocks, Fabric's node configuration, the port base and the orgs that joined later (so an org's
    own services read the same topology as the operator's). Repeatable: refreshes what changed."""
    shared = [
        *layout.channel.glob("*.block"),
        *(layout.root / "config").glob("*"),
        layout.ports_file,
        layout.runtime_file,
        layout.joined_file,
    ]
    for org in topology.orgs:
        own = org_layout(layout, org)
        for other in topology.orgs:
            if other.name == org.name:
                continue
            source = org_layout(layout, other).crypto / other.name
            for path in source.rglob("*"):
                if path.is_file() and not is_private(path):
                    _share(path, own.crypto / other.name / path.relative_to(source), own)
        for path in shared:
            if path.is_file():
                _share(path, own.root / path.relative_to(layout.root), own)
