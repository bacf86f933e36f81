"""`deposits network add-org NAME`: an org the topology lists under `joining:` joins the running channel.

Nothing is re-created and nothing stops; each step is skipped when already done, so a failed run resumes:

1. the org's CAs, MSPs and TLS pairs (its own; nothing of the founders' changes); across hosts (`--hosts
   netns`) made in its own data directory, `<data>/hosts/<Org>/`, its servers' certificates naming the
   address of the host it will get;
2. config update 1, its MSP into the Application and Orderer sections, signed by every member org's admin
   (the sections' Admins policies need a MAJORITY of them) and submitted by the last; from then on the org
   is a member of the data directory's network (`network.joined`);
3. config update 2, its orderer into the Raft consenter set (and the BlockValidation policy), signed the same
   way by the member orgs — the new org's admin does not sign its own admission;
4. its host is prepared (`Runtime.prepare`; natively nothing): across hosts its namespace, its address on the
   bridge (the next free host number), its link and the NAT rule publishing its ports, and the exchange of
   public material (the founders' into its directory, its own into theirs); then its orderer starts, joins
   with the latest config block (osnadmin) and pulls the chain from the others;
5. its peer starts, joins with the genesis block and replays the ledger;
6. its chaincode package is installed and its server started; it approves the committed definition; then
   every member approves, and one commits, the next sequence with the endorsement policy the topology gives
   for the joined channel; a bank (an org with an `issuer`) is registered as an issuer on the ledger, and so
   is the founding bank, so each bank's issuance needs its own peer (key-level endorsement);
7. its gateway starts.
"""

from __future__ import annotations

import functools
import re
import sys
import tempfile
import time
from pathlib import Path

from chaincode import protocol
from chaincode.errors import ErrorCode
from gateway import fabric
from gateway.directory import ensure_api_keys
from network import config_update
from network.channel_config import parse_config_block
from network.clients import connect_as
from network.endpoints import gateway_name
from network.fabric_cli import FabricCommandError
from network.health import accepts, answers, poll
from network.joined import record_joined, recorded_joined
from network.network import Network
from network.topology import Org, load_topology

# What a node logs about getting blocks: a joining orderer's Raft membership, onboarding and pulling (Fabric
# spells `commmon` so), a peer's deliverer and its commits.
_CATCH_UP_LOGGERS = (
    "orderer.consensus.etcdraft",
    "orderer.commmon.follower",
    "orderer.common.cluster.puller",
    "peer.blocksprovider",
    "kvledger",
)


def catch_up_lines(log: str, keep: int = 15) -> str:
    """The last `keep` lines of a node's log that tell how it is getting its blocks (once, a joining orderer
    stopped at `switched to configuration voters=(1)`), without their colour codes."""
    plain = (re.sub(r"\x1b\[[0-9;]*m", "", line) for line in log.splitlines())
    return "\n".join([line for line in plain if any(f"[{name}]" in line for name in _CATCH_UP_LOGGERS)][-keep:])


def _say(msg: str) -> None:
    print(f"[add-org] {msg}", file=sys.stderr, flush=True)


class OrgJoin:
    """One joining org and the running network it joins. Raises KeyError when the topology lists no such
    joining org (and it has not joined already)."""

    def __init__(self, network: Network, name: str) -> None:
        self.founders = network
        self.entry = network.topology.joining_org(name)
        self.org = self.entry.org
        self.topology = network.topology.with_joined([self.org.name])
        # The network it becomes: where the org's nodes will be reached (its host's address, across hosts).
        self.joined = network.with_topology(self.topology)

    # -- the channel's configuration ----------------------------------------------------------------------
    def config_block(self) -> bytes:
        """The channel's latest config block, fetched as a member admin from a running orderer."""
        net = self.founders
        client = net.topology.orgs[0]
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "config.block"
            net.tools.peer_retrying(
                client,
                *("channel", "fetch", "config", str(target), "-c", net.topology.channel),
                *net._orderer_args(client),
                within=30,
            )
            return target.read_bytes()

    def _submit(self, update: bytes, what: str) -> None:
        """Have every member org's admin sign the update and the last one submit it."""
        net = self.founders
        signers = list(net.topology.orgs)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "update.pb"
            path.write_bytes(config_update.unsigned_envelope(update, net.topology.channel))
            for org in signers[:-1]:
                net.tools.peer(org, "channel", "signconfigtx", "-f", str(path))
            submitter = signers[-1]
            net.tools.peer_retrying(
                submitter,
                *("channel", "update", "-f", str(path), "-c", net.topology.channel),
                *net._orderer_args(submitter),
                within=30,
            )
        _say(f"{what}: signed by {', '.join(o.msp_id for o in signers)}, submitted by {signers[-1].msp_id}")

    def _wait_config(self, done: functools.partial[bool], what: str, timeout: float = 60.0) -> None:
        if not poll(done, timeout, 0.3):
            raise TimeoutError(f"{what} not in the channel's configuration after {timeout:.0f}s")

    def _is_member(self) -> bool:
        return self.org.msp_id in parse_config_block(self.config_block()).members

    def _consenter(self) -> tuple[str, int]:
        return (self.joined.endpoints.host(self.org.orderer.id), self.org.orderer.port)

    def _is_consenter(self) -> bool:
        host, port = self._consenter()
        return f"{host}:{port}" in parse_config_block(self.config_block()).consenters

    def admit(self) -> None:
        """Steps 1-3: crypto, the MSP, the consenter."""
        net = self.founders
        self.joined.make_crypto()
        scratch = config_update.scratch_block(
            self.topology, net.layout.crypto, net.bindir / "configtxgen", self.joined.endpoints
        )
        if not self._is_member():
            self._submit(config_update.add_org_update(self.config_block(), scratch, self.org), f"{self.org.msp_id} in")
            self._wait_config(functools.partial(self._is_member), f"{self.org.msp_id}")
        record_joined(net.layout, self.org.name)
        if not self._is_consenter():
            host, port = self._consenter()
            self._submit(
                config_update.add_consenter_update(self.config_block(), scratch, host, port),
                f"consenter {host}:{port}",
            )
            self._wait_config(functools.partial(self._is_consenter), f"consenter {host}:{port}")

    # -- the org's nodes ----------------------------------------------------------------------------------
    def _founders_height(self, kind: str) -> int:
        net = self.founders
        heights = [(net.orderer_height(o) if kind == "orderer" else net.peer_height(o)) for o in net.topology.orgs]
        return max(h for h in heights if h is not None)

    def _catch_up(self, what: str, height: functools.partial[int | None], target: int, timeout: float) -> float:
        started = time.monotonic()

        def reached() -> bool:
            h = height()
            return h is not None and h >= target

        if not poll(reached, timeout, 0.2):
            # The data directory may be gone by the time anyone reads the error: carry the node's own account.
            told = catch_up_lines(self.joined.runtime.logs(what, 2000) or "")
            raise TimeoutError(
                f"{what} at height {height()} after {timeout:.0f}s, wanted {target}; its last block lines:\n{told}"
            )
        return time.monotonic() - started

    def start_nodes(self, joined: Network) -> None:
        """Steps 4-5 on the joined network (its topology has the org)."""
        org = joined.topology.org(self.org.name)
        joined.runtime.prepare(joined.all_services())  # across hosts: its namespace, link, NAT, public files
        block = self.config_block()
        with tempfile.TemporaryDirectory() as tmp:
            latest = Path(tmp) / "latest-config.block"
            latest.write_bytes(block)
            joined.runtime.start(joined.orderer_service(org))
            joined._wait_orderer(org)
            joined._join_orderer(org, latest)
        target = self._founders_height("orderer")
        took = self._catch_up(org.orderer.id, functools.partial(joined.orderer_height, org), target, 120)
        _say(f"{org.orderer.id} joined the consenters and caught up to block {target} in {took:.1f}s")
        joined.runtime.start(joined.peer_service(org))
        joined._wait_peer(org)
        joined._join_peer(org, joined.layout.channel / f"{joined.topology.channel}.block")
        target = self._founders_height("peer")
        took = self._catch_up(org.peer.id, functools.partial(joined.peer_height, org), target, 120)
        _say(f"{org.peer.id} joined and replayed the ledger to height {target} in {took:.1f}s")
        joined.wait_for_gossip()

    def deploy(self, joined: Network) -> None:
        """Step 6: its server, its approval of the committed definition, the definition with the new policy."""
        org = joined.topology.org(self.org.name)
        cc = joined.chaincode
        package_id = cc.install(org)
        server = cc.server_service(org)
        joined.runtime.start(server)
        joined._wait(
            server.name,
            f"listening on port {org.chaincode_server_port}",
            functools.partial(accepts, org.chaincode_server_port),
        )
        current = cc.committed()
        if current is None:
            raise FabricCommandError(f"no {joined.topology.chaincode.name} definition committed on the channel")
        cc.approve(org, package_id, current, self.founders.topology.chaincode.endorsement_policy)
        policy = joined.topology.chaincode.endorsement_policy
        if policy != self.founders.topology.chaincode.endorsement_policy:
            definition = cc.redefine(policy)
            _say(f"definition sequence {definition.sequence}: endorsement policy {policy}")

    def register_issuers(self, joined: Network) -> None:
        """Step 6b, for a bank (an org with an `issuer` identity): the default issuer registers it, and itself,
        on the ledger's issuer registry, so each bank's mints and settlements need its own peer from now on
        (key-level endorsement, README "Instruments"). A registration already committed is left as it is."""
        if not any(i.role == "issuer" for i in self.org.identities):
            return
        founder = joined.topology.orgs[0]
        gw = connect_as(joined.layout, founder, "issuer")
        try:
            contract = gw.get_network(joined.topology.channel).get_contract(joined.topology.chaincode.name)
            for msp_id in (founder.msp_id, self.org.msp_id):
                args = protocol.RegisterIssuer(msp_id, f"register-issuer-{msp_id}")
                try:
                    contract.submit_transaction(args.FUNCTION.value, [args.to_json()])
                except fabric.EndorseError as exc:
                    if exc.chaincode_code != ErrorCode.DUPLICATE_REQUEST.value:
                        raise
        finally:
            gw.close()
        _say(f"issuers registered: {founder.msp_id}, {self.org.msp_id} (each bank's issuance needs its own peer)")

    def start_gateway(self, joined: Network) -> None:
        """Step 7."""
        org: Org = joined.topology.org(self.org.name)
        ensure_api_keys(joined.layout, org)
        joined.runtime.start(joined.gateway_service(org))
        url = f"http://127.0.0.1:{org.gateway_port}/healthz"
        joined._wait(gateway_name(org), f"answering {url}", functools.partial(answers, url))
        _say(f"gateway {org.name} http://127.0.0.1:{org.gateway_port}")


def founders_of(network: Network, name: str) -> Network:
    """network as it was before `name` joined (itself while `name` has not): what a resumed add-org starts
    from. Raises KeyError when name is neither joining nor joined."""
    joined = recorded_joined(network.layout)
    if name not in joined:
        return network
    topology = load_topology(network.topology_path).with_port_base(network.topology.port_base)
    topology = topology.with_joined([n for n in joined if n != name])
    return network.with_topology(topology)


def add_org(network: Network, name: str) -> Network:
    """Join the topology's joining org `name` to network's running channel; returns the joined network.

    Raises KeyError (no such joining org), FabricCommandError (a Fabric command failed: the update refused,
    an approval or commit failed), TimeoutError (a node did not catch up, or the update was not applied),
    HostSetupError (across hosts: the org's namespace, link or NAT rule could not be made)."""
    join = OrgJoin(founders_of(network, name), name)
    join.admit()
    joined = join.joined
    join.start_nodes(joined)
    join.deploy(joined)
    join.register_issuers(joined)
    join.start_gateway(joined)
    return joined
