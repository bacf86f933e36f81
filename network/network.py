"""The consortium network as a whole: bring it up, take it down, report its state.

`up` is idempotent: material that exists is kept, running processes are left alone, the channel is
joined only where it is not yet joined, so a second `up` resumes an existing ledger.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.directory import ensure_api_keys
from network import configtx, hosts, pki
from network.chaincode_deploy import PROJECT_ROOT, ChaincodeDeployer
from network.channel_config import parse_config_block
from network.endpoints import RUNTIMES, Endpoints, books_name, core_name, gateway_name
from network.fabric_build import ensure_binaries, sampleconfig_dir
from network.fabric_cli import FabricCommandError, FabricTools
from network.health import accepts, answers, healthz, is_healthy, metric, poll, wait_ready
from network.layout import Layout
from network.native import NativeRuntime
from network.netns import NetnsRuntime
from network.nodes import orderer_env, peer_env
from network.ports import record_port_base, topology_for
from network.runtime import INHERITED_ENV, Runtime, Service, record_runtime, recorded_runtime
from network.topology import DEFAULT_TOPOLOGY, Org, Topology


def _say(msg: str) -> None:
    print(f"[network] {msg}", file=sys.stderr, flush=True)


def _node_config(layout: Layout, sampleconfig: Path) -> Path:
    """Fabric's sampleconfig with Docker turned off (an empty env override does not unset vm.endpoint)."""
    cfg = layout.root / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    core = (sampleconfig / "core.yaml").read_text()
    docker = "    endpoint: unix:///var/run/docker.sock\n"
    if docker not in core:
        raise RuntimeError("sampleconfig/core.yaml has no vm.endpoint line to disable Docker")
    (cfg / "core.yaml").write_text(core.replace(docker, '    endpoint: ""\n', 1))
    shutil.copy(sampleconfig / "orderer.yaml", cfg / "orderer.yaml")
    return cfg


def _make_runtime(kind: str, layout: Layout, topology: Topology, bindir: Path, topology_path: Path) -> Runtime:
    if kind == "native":
        return NativeRuntime(layout)
    if kind == hosts.HOSTS:
        return NetnsRuntime(layout, topology, hosts.plan(topology, topology_path))
    from network.compose import ComposeRuntime  # the docker SDK is needed only by this runtime

    read_only = [PROJECT_ROOT]
    if not topology_path.resolve().is_relative_to(PROJECT_ROOT):
        read_only.append(topology_path.resolve())  # the gateways read the topology file
    return ComposeRuntime(layout, bindir=bindir, sampleconfig=sampleconfig_dir(topology.fabric), read_only=read_only)


def core_api_key(layout: Layout, org: Org) -> str | None:
    """The gateway API key of org's identity with role `core` (what the core delivers messages as), if the
    topology has one and the network's crypto exists."""
    ident = next((i for i in org.identities if i.role == "core"), None)
    if ident is None or not layout.crypto.exists():
        return None
    return ensure_api_keys(layout, org).get(ident.name)


class Network:
    def __init__(
        self,
        topology: Topology,
        layout: Layout,
        bindir: Path,
        cfg: Path,
        topology_path: Path = DEFAULT_TOPOLOGY,
        runtime: str = "native",
    ) -> None:
        if runtime not in (*RUNTIMES, hosts.HOSTS):
            raise ValueError(f"unknown runtime {runtime!r} (one of: {', '.join(RUNTIMES)}, {hosts.HOSTS})")
        self.topology = topology
        self.topology_path = topology_path
        self.layout = layout
        self.bindir = bindir
        self.cfg = cfg
        self.runtime: Runtime = _make_runtime(runtime, layout, topology, bindir, topology_path)
        self.endpoints: Endpoints = (
            self.runtime.plan.endpoints() if isinstance(self.runtime, NetnsRuntime) else RUNTIMES[runtime]
        )
        self.tools = FabricTools(bindir, cfg, layout, topology)
        self.chaincode = ChaincodeDeployer(topology, layout, self.tools, self.endpoints)

    @classmethod
    def open(
        cls,
        layout: Layout,
        topology_path: Path = DEFAULT_TOPOLOGY,
        runtime: str | None = None,
        port_base: int | None = None,
    ) -> Network:
        """Load the topology, build (or reuse cached) Fabric binaries. Raises FabricBuildError.

        runtime: 'native' or 'compose'; None means the one the data directory was set up with (else native).
        port_base: move every port so the lowest is this one; None means the data directory's (else the file's).
        """
        topology = topology_for(layout, topology_path, port_base)
        bindir = ensure_binaries(topology.fabric)
        cfg = _node_config(layout, sampleconfig_dir(topology.fabric))
        kind = runtime or recorded_runtime(layout) or "native"
        return cls(topology, layout, bindir, cfg, topology_path, kind)

    def with_topology(self, topology: Topology) -> Network:
        """The same data directory, binaries and runtime with another view of its orgs (before or after an org
        joins: `network.add_org`)."""
        return Network(topology, self.layout, self.bindir, self.cfg, self.topology_path, self.runtime.kind)

    # -- services ------------------------------------------------------------------------------------
    def orderer_service(self, org: Org) -> Service:
        o = org.orderer
        return Service(
            o.id,
            [str(self.bindir / "orderer")],
            orderer_env(self.layout, self.topology, org, self.cfg, self.endpoints.on(org)),
            ports=(o.port, o.admin_port, o.ops_port),
        )

    def peer_service(self, org: Org) -> Service:
        p = org.peer
        return Service(
            p.id,
            [str(self.bindir / "peer"), "node", "start"],
            peer_env(self.layout, self.topology, org, self.cfg, self.endpoints.on(org)),
            ports=(p.port, p.chaincode_port, p.ops_port),
        )

    def fabric_services(self) -> list[Service]:
        return [self.orderer_service(o) for o in self.topology.orgs] + [
            self.peer_service(o) for o in self.topology.orgs
        ]

    def chaincode_services(self) -> list[Service]:
        return [self.chaincode.server_service(o) for o in self.topology.orgs]

    def gateway_service(self, org: Org) -> Service:
        env = {
            "DEPOSITS_GATEWAY_ORG": org.name,
            "DEPOSITS_GATEWAY_DATA_DIR": str(self.layout.root),
            "DEPOSITS_GATEWAY_TOPOLOGY": str(self.topology_path),
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        if self.endpoints.dials_by_address:
            # In a container or on the org's own host: listen there, reach the peer where it is.
            env["DEPOSITS_GATEWAY_HOST"] = self.endpoints.on(org).listen_host
            env["DEPOSITS_GATEWAY_PEER_ADDRESS"] = self.endpoints.address(org.peer.id, org.peer.port)
            env["DEPOSITS_GATEWAY_ORDERER_ADDRESS"] = self.endpoints.address(org.orderer.id, org.orderer.port)
        argv = [sys.executable, "-m", "gateway"]
        return Service(name=gateway_name(org), argv=argv, env=env, ports=(org.gateway_port,))

    def gateway_services(self) -> list[Service]:
        return [self.gateway_service(o) for o in self.topology.orgs]

    # A bank-side service beside an org's gateway (the reference core; the books connector the same way):
    # a Service built from the topology's port, started after the gateways by `up`, stopped by `down`,
    # reported by `status`.
    def core_orgs(self) -> list[Org]:
        """The orgs that run a reference core (the topology gives them a `core_port`)."""
        return [o for o in self.topology.orgs if o.core_port is not None]

    def core_service(self, org: Org) -> Service:
        """org's reference core (`python -m core`): its ledger under `<data>/core/`, its outbox delivering to
        org's gateway as the org's identity with role `core` (when the topology has one)."""
        assert org.core_port is not None
        env = {
            "DEPOSITS_CORE_DATA_DIR": str(self.layout.root),
            "DEPOSITS_CORE_PORT": str(org.core_port),
            "DEPOSITS_CORE_GATEWAY_URL": f"http://{self.endpoints.host(gateway_name(org))}:{org.gateway_port}",
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        key = core_api_key(self.layout, org)
        if key is not None:
            env["DEPOSITS_CORE_GATEWAY_API_KEY"] = key
        if self.endpoints.dials_by_address:
            env["DEPOSITS_CORE_HOST"] = self.endpoints.on(org).listen_host
        # PostgreSQL instead of SQLite: `DEPOSITS_CORE_DATABASE_URL=postgresql://… deposits network up`.
        inherit = (*INHERITED_ENV, "DEPOSITS_CORE_DATABASE_URL")
        return Service(
            name=core_name(org),
            argv=[sys.executable, "-m", "core"],
            env=env,
            ports=(org.core_port,),
            inherit_env=inherit,
        )

    def core_services(self) -> list[Service]:
        return [self.core_service(o) for o in self.core_orgs()]

    def books_orgs(self) -> list[Org]:
        """The orgs that keep books: those with a `treasury` identity for the connector (README "The bank's
        books")."""
        return [o for o in self.topology.orgs if any(i.role == "treasury" for i in o.identities)]

    def books_service(self, org: Org, core_url: str | None = None, kill_at: str | None = None) -> Service:
        """The org's books connector (`python -m books`); `core_url`: the core's ISO 20022 endpoint."""
        env = {
            "DEPOSITS_BOOKS_ORG": org.name,
            "DEPOSITS_BOOKS_DATA_DIR": str(self.layout.root),
            "DEPOSITS_BOOKS_TOPOLOGY": str(self.topology_path),
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        # The org's reference core when the topology gives it one (`core_port`); a bank names its own core.
        if core_url is None and org.core_port is not None:
            core_url = f"http://{self.endpoints.host(core_name(org))}:{org.core_port}"
        if self.endpoints.dials_by_address:
            # In a container or on the org's own host: reach the peer where it is (as the gateway does).
            env["DEPOSITS_BOOKS_PEER_ADDRESS"] = self.endpoints.address(org.peer.id, org.peer.port)
        if core_url is not None:
            env["DEPOSITS_BOOKS_CORE_URL"] = core_url
        if kill_at is not None:
            env["DEPOSITS_BOOKS_KILL_AT"] = kill_at
        return Service(name=books_name(org), argv=[sys.executable, "-m", "books"], env=env, ports=())

    def books_services(self) -> list[Service]:
        return [self.books_service(o) for o in self.books_orgs()]

    def all_services(self) -> list[Service]:
        """In start order."""
        return [
            *self.fabric_services(),
            *self.chaincode_services(),
            *self.gateway_services(),
            *self.core_services(),
            *self.books_services(),
        ]

    def all_service_names(self) -> list[str]:
        return [s.name for s in self.all_services()]

    # -- lifecycle -----------------------------------------------------------------------------------
    def up(self) -> None:
        """Start everything and join the channel.

        Raises RuntimeMismatchError (data dir set up for the other runtime) or PortInUseError before starting
        anything; the compose runtime also DockerUnavailableError, ImageBuildError, ComposeCommandError.
        """
        record_runtime(self.layout, self.runtime.kind)
        record_port_base(self.layout, self.topology)
        self.runtime.check_ports(self.all_services())
        self.make_crypto()
        block = configtx.make_genesis_block(
            self.topology,
            self.layout.crypto,
            self.layout.channel,
            self.bindir / "configtxgen",
            self.endpoints,
        )
        self.runtime.prepare(self.all_services())
        for org in self.topology.orgs:
            self.runtime.start(self.orderer_service(org))
        for org in self.topology.orgs:
            self._wait_orderer(org)
            self._join_orderer(org, block)
        for org in self.topology.orgs:
            self.runtime.start(self.peer_service(org))
        for org in self.topology.orgs:
            self._wait_peer(org)
            self._join_peer(org, block)
        self.wait_for_leader()
        self.wait_for_gossip()
        _say(f"channel {self.topology.channel} up: {len(self.topology.orgs)} orderers, {len(self.topology.orgs)} peers")
        self.deploy_chaincode()
        self.start_gateways()
        self.register_currencies()
        self.start_cores()

    def make_crypto(self) -> None:
        """Every org's CAs, MSPs and TLS pairs, keeping what exists; servers' certificates name where they are
        reached. Across hosts each org's are made on its own disk only."""
        if isinstance(self.runtime, NetnsRuntime):
            hosts.link_org_dirs(self.layout, self.topology)
        pki.generate(self.layout.crypto, self.topology, self.endpoints)

    def start_gateways(self) -> None:
        for org in self.topology.orgs:
            ensure_api_keys(self.layout, org)
            self.runtime.start(self.gateway_service(org))
        for org in self.topology.orgs:
            url = f"http://127.0.0.1:{org.gateway_port}/healthz"
            self._wait(gateway_name(org), f"answering {url}", functools.partial(answers, url))
        _say("gateways: " + ", ".join(f"{o.name} http://127.0.0.1:{o.gateway_port}" for o in self.topology.orgs))
        for svc in self.books_services():
            self.runtime.start(svc)
            _say(f"books connector {svc.name} started")

    def register_currencies(self) -> None:
        """The topology's currencies in the ledger's registry, registered by BankOrg's issuer through its
        gateway; those registered already are left alone (a resumed network registers nothing)."""
        org = next(o for o in self.topology.orgs if any(i.role == "issuer" for i in o.identities))
        issuer = next(i for i in org.identities if i.role == "issuer")
        key = ensure_api_keys(self.layout, org)[issuer.name]
        url = f"http://127.0.0.1:{org.gateway_port}/v1/currencies"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            known = {c["code"] for c in json.loads(r.read())}
        for code, digits in self.topology.currencies:
            if code in known:
                continue
            body = json.dumps({"code": code, "minor_digits": digits}).encode()
            request = urllib.request.Request(
                url, body, {**headers, "Idempotency-Key": f"register-currency-{code}"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=60):
                pass
        _say("currencies: " + ", ".join(f"{c} ({d})" for c, d in self.topology.currencies))

    def start_cores(self) -> None:
        for org in self.core_orgs():
            self.runtime.start(self.core_service(org))
        for org in self.core_orgs():
            url = f"http://127.0.0.1:{org.core_port}/healthz"
            self._wait(core_name(org), f"answering {url}", functools.partial(answers, url))
        if self.core_orgs():
            _say("core: " + ", ".join(f"{o.name} http://127.0.0.1:{o.core_port}" for o in self.core_orgs()))

    def cores_status(self) -> list[dict[str, Any]]:
        return [
            {
                "org": org.name,
                "name": core_name(org),
                "url": f"http://127.0.0.1:{org.core_port}",
                "running": self.runtime.running(core_name(org)),
            }
            for org in self.core_orgs()
        ]

    def _chaincode_status(self) -> dict[str, Any]:
        """The committed definition (as the channel has it) and whether each org's server is running."""
        try:
            committed = self.chaincode.committed()
        except FabricCommandError:
            committed = None
        return {
            "name": self.topology.chaincode.name,
            "version": committed.version if committed else None,
            "sequence": committed.sequence if committed else None,
            "current_code": committed is not None and committed.version == self.chaincode.wanted_version(),
            "servers": {
                o.name: self.runtime.running(svc.name)
                for o, svc in zip(self.topology.orgs, self.chaincode_services(), strict=True)
            },
        }

    def gateways_status(self) -> list[dict[str, Any]]:
        out = []
        for org in self.topology.orgs:
            keys = ensure_api_keys(self.layout, org) if self.layout.crypto.exists() else {}
            out.append(
                {
                    "org": org.name,
                    "msp_id": org.msp_id,
                    "url": f"http://127.0.0.1:{org.gateway_port}",
                    "running": self.runtime.running(gateway_name(org)),
                    "identities": [
                        {"name": i.name, "ref": i.ref, "role": i.role, "api_key": keys.get(i.name)}
                        for i in org.identities
                    ],
                }
            )
        return out

    def deploy_chaincode(self, *, restart_servers: bool = False) -> None:
        """Start each org's chaincode server; commit the current definition (a new sequence if the code changed)."""
        committed = self.chaincode.committed()
        if restart_servers or (committed is not None and committed.version != self.chaincode.wanted_version()):
            for svc in self.chaincode_services():
                self.runtime.stop(svc.name)
        for svc in self.chaincode_services():
            self.runtime.start(svc)
        for org, svc in zip(self.topology.orgs, self.chaincode_services(), strict=True):
            port = org.chaincode_server_port
            self._wait(svc.name, f"listening on port {port}", functools.partial(accepts, port))
        definition = self.chaincode.deploy()
        name = self.topology.chaincode.name
        _say(f"chaincode {name} {definition.version} committed at sequence {definition.sequence}")

    def _wait(self, name: str, what: str, ready: Callable[[], bool], timeout: float = 60.0) -> None:
        """Wait until ready(); raise NodeStartError (with its log tail) as soon as name's process is gone."""
        wait_ready(name, what, ready, lambda: self.runtime.running(name), lambda: self.runtime.logs(name, 12), timeout)

    def _wait_orderer(self, org: Org) -> None:
        # Healthy is not enough: the admin endpoint (osnadmin, used next) may open a moment after /healthz.
        o = org.orderer
        self._wait(o.id, "ready", lambda: is_healthy(o.ops_port) and accepts(o.admin_port) and accepts(o.port))

    def _wait_peer(self, org: Org) -> None:
        p = org.peer
        self._wait(p.id, "ready", lambda: is_healthy(p.ops_port) and accepts(p.port))

    def _join_orderer(self, org: Org, block: Path) -> None:
        status, _ = self.tools.osnadmin(org, "list", "--channelID", self.topology.channel)
        if status == 200:
            return
        _say(f"{org.orderer.id} joins {self.topology.channel}")
        status, body = self.tools.osnadmin(
            org, "join", "--channelID", self.topology.channel, "--config-block", str(block)
        )
        if status != 201:
            raise FabricCommandError(f"osnadmin join on {org.orderer.id}: HTTP {status} {body}")

    def _join_peer(self, org: Org, block: Path) -> None:
        if self.topology.channel in self.tools.peer(org, "channel", "list").split():
            return
        _say(f"{org.peer.id} joins {self.topology.channel}")
        self.tools.peer_retrying(org, "channel", "join", "-b", str(block))

    def _cut_off(self) -> set[str]:
        """The orgs whose host is cut off from this one (`deposits network partition`): asking them would only
        wait out a timeout."""
        return self.runtime.cut_off() if isinstance(self.runtime, NetnsRuntime) else set()

    def raft_leader(self) -> str | None:
        """The id of the orderer that currently leads the channel's Raft cluster, if one does."""
        cut = self._cut_off()
        for org in self.topology.orgs:
            if not self.runtime.running(org.orderer.id) or org.name in cut:
                continue
            v = metric(org.orderer.ops_port, "consensus_etcdraft_is_leader", {"channel": self.topology.channel})
            if v is not None and v.startswith("1"):
                return org.orderer.id
        return None

    def _peers_known(self, org: Org) -> str | None:
        return metric(org.peer.ops_port, "gossip_membership_total_peers_known", {"channel": self.topology.channel})

    def wait_for_gossip(self, timeout: float = 60.0) -> None:
        """Wait until every peer knows every other org's peer on the channel: until then the peers' Gateway
        cannot find endorsers that satisfy the policy (FAILED_PRECONDITION)."""
        want = str(len(self.topology.orgs) - 1)
        deadline = time.monotonic() + timeout

        def settled(org: Org) -> bool:
            return (self._peers_known(org) or "").split(".")[0] == want

        for org in self.topology.orgs:
            if not poll(functools.partial(settled, org), deadline - time.monotonic(), 0.2):
                raise TimeoutError(
                    f"{org.peer.id} knows {self._peers_known(org)} of {want} other peers after {timeout:.0f}s"
                )

    def wait_for_leader(self, timeout: float = 30.0) -> str:
        leader: list[str | None] = [None]

        def elected() -> bool:
            leader[0] = self.raft_leader()
            return leader[0] is not None

        if not poll(elected, timeout, 0.2) or leader[0] is None:
            raise TimeoutError(f"no Raft leader for {self.topology.channel} after {timeout:.0f}s")
        return leader[0]

    def stop_service(self, name: str) -> bool:
        return self.runtime.stop(name)

    def start_service(self, name: str) -> None:
        """(Re)start one Fabric node by name and wait until it is healthy."""
        for org in self.topology.orgs:
            if name == org.orderer.id:
                self.runtime.start(self.orderer_service(org))
                self._wait_orderer(org)
                return
            if name == org.peer.id:
                self.runtime.start(self.peer_service(org))
                self._wait_peer(org)
                return
        raise KeyError(f"no node named {name!r}")

    def down(self) -> list[str]:
        """Stop every process this data directory started (peers first); keep all data."""
        known = self.all_service_names()
        extra = [n for n in self.runtime.names() if n not in known]
        stopped = []
        for name in [*extra, *reversed(known)]:
            if self.runtime.stop(name):
                stopped.append(name)
        self.runtime.teardown()
        return stopped

    def clean(self) -> None:
        """`down`, then delete the data directory."""
        self.down()
        shutil.rmtree(self.layout.root, ignore_errors=True)

    # -- status --------------------------------------------------------------------------------------
    def peer_height(self, org: Org) -> int | None:
        try:
            out = self.tools.peer(org, "channel", "getinfo", "-c", self.topology.channel, timeout=15)
        except FabricCommandError:
            return None
        return int(json.loads(out.split("Blockchain info:", 1)[1])["height"])

    def wait_peers_in_sync(self, timeout: float = 30.0) -> int:
        """Wait until every peer has the same ledger height (each org's peer commits on its own schedule,
        so a read on one org's peer may briefly lag a write confirmed by another's); returns that height."""
        heights: set[int | None] = set()

        def same() -> bool:
            heights.clear()
            heights.update(self.peer_height(org) for org in self.topology.orgs)
            return len(heights) == 1 and None not in heights

        if not poll(same, timeout, 0.05):
            raise TimeoutError(f"peers not in sync after {timeout:.0f}s: heights {sorted(map(str, heights))}")
        (height,) = heights
        assert height is not None
        return height

    def orderer_height(self, org: Org) -> int | None:
        try:
            status, body = self.tools.osnadmin(org, "list", "--channelID", self.topology.channel)
        except FabricCommandError:
            return None
        return int(body["height"]) if status == 200 and body else None

    def channel_config(self) -> dict[str, Any] | None:
        cut = self._cut_off()
        for org in self.topology.orgs:
            if not self.runtime.running(org.peer.id) or org.name in cut:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / "config.block"
                try:
                    self.tools.peer(
                        org,
                        "channel",
                        "fetch",
                        "config",
                        str(target),
                        "-c",
                        self.topology.channel,
                        *self._orderer_args(org),
                        timeout=15,
                    )
                except FabricCommandError:
                    continue
                cfg = parse_config_block(target.read_bytes())
                return {"members": cfg.members, "consenters": cfg.consenters, "orderer_orgs": cfg.orderer_orgs}
        return None

    def _orderer_args(self, client: Org) -> list[str]:
        """Orderer flags for the `peer` CLI as client's admin, naming an orderer that is running (any may be
        stopped)."""
        running = [o for o in self.topology.orgs if self.runtime.running(o.orderer.id)]
        return self.tools.orderer_tls_args(client, running[0] if running else None)

    def status(self) -> dict[str, Any]:
        nodes: list[dict[str, Any]] = []
        cut = self._cut_off()
        for org in self.topology.orgs:
            for kind, node, ops, height in (
                ("orderer", org.orderer, org.orderer.ops_port, self.orderer_height),
                ("peer", org.peer, org.peer.ops_port, self.peer_height),
            ):
                running = self.runtime.running(node.id)
                reachable = running and org.name not in cut
                nodes.append(
                    {
                        "name": node.id,
                        "kind": kind,
                        "org": org.name,
                        "msp_id": org.msp_id,
                        "address": node.address,
                        "running": running,
                        "pid": self.runtime.pid(node.id),
                        "health": healthz(ops) if reachable else "stopped" if not running else "cut off",
                        "height": height(org) if reachable else None,
                    }
                )
        return {
            "runtime": self.runtime.kind,
            "data_dir": str(self.layout.root),
            "fabric_version": self.topology.fabric.version,
            "channel": {
                "name": self.topology.channel,
                "raft_leader": self.raft_leader(),
                **(self.channel_config() or {"members": [], "consenters": []}),
            },
            "nodes": nodes,
            "chaincode": self._chaincode_status(),
            "gateways": self.gateways_status(),
            "cores": self.cores_status(),
            **({"hosts": self.runtime.describe()} if isinstance(self.runtime, NetnsRuntime) else {}),
        }
