"""configtx.yaml derived from the topology, and the channel's genesis block made by `configtxgen`.

Reading the ledger is for nodes, admins and gateways only (`network.channel_policies`): each org's Readers
policy admits its admins, peers, orderers and gateway service identity, and the ACLs send every block,
event and qscc read to the Readers. Members keep what they need to transact: `peer/Propose` (endorse and
evaluate) and `gateway/CommitStatus` go to the Writers, and the orderers' Broadcast checks the Writers too.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from network import channel_policies
from network.endpoints import NATIVE, Endpoints
from network.pki import OrgCrypto
from network.topology import Org, Topology

PROFILE = "DepositsChannel"


def _sig(rule: str) -> dict[str, str]:
    return {"Type": "Signature", "Rule": rule}


def _meta(rule: str) -> dict[str, str]:
    return {"Type": "ImplicitMeta", "Rule": rule}


def _org_section(crypto_root: Path, org: Org, endpoints: Endpoints) -> dict[str, Any]:
    m = org.msp_id
    return {
        "Name": m,
        "ID": m,
        "MSPDir": str(OrgCrypto(crypto_root, org).msp),
        "Policies": {
            # What configtxgen can say; make_genesis_block adds the gateway's OU (channel_policies).
            "Readers": _sig(f"OR('{m}.admin', '{m}.peer', '{m}.orderer')"),
            # The orderer too: a config update is re-checked as the CONFIG envelope the orderer signs, against
            # /Channel/Writers; without it no channel update (a member's revocation) could ever pass.
            "Writers": _sig(f"OR('{m}.admin', '{m}.client', '{m}.orderer')"),
            "Admins": _sig(f"OR('{m}.admin')"),
            "Endorsement": _sig(f"OR('{m}.peer')"),
        },
        "OrdererEndpoints": [endpoints.address(org.orderer.id, org.orderer.port)],
        "AnchorPeers": [{"Host": endpoints.host(org.peer.id), "Port": org.peer.port}],
    }


_READERS = "/Channel/Application/Readers"
_WRITERS = "/Channel/Application/Writers"
# Every ledger read a member could make around the gateway, and the two calls members keep.
ACLS: dict[str, str] = {
    "event/Block": _READERS,
    "event/FilteredBlock": _READERS,
    "gateway/ChaincodeEvents": _READERS,
    "qscc/GetChainInfo": _READERS,
    "qscc/GetBlockByNumber": _READERS,
    "qscc/GetBlockByHash": _READERS,
    "qscc/GetTransactionByID": _READERS,
    "qscc/GetBlockByTxID": _READERS,
    "cscc/GetConfigBlock": _READERS,
    "cscc/GetChannelConfig": _READERS,
    "peer/Propose": _WRITERS,
    # Waiting for one's own commit reveals a validation code and a block number, for a transaction id only
    # its submitter knows: members keep it, so a Fabric Gateway client of their own can still submit.
    "gateway/CommitStatus": _WRITERS,
}


def render(topology: Topology, crypto_root: Path, endpoints: Endpoints = NATIVE) -> dict[str, Any]:
    """The configtx.yaml document for the channel profile; nodes are named as `endpoints` reaches them."""
    orgs = [_org_section(crypto_root, o, endpoints) for o in topology.orgs]
    consenters = []
    for org in topology.orgs:
        tls = OrgCrypto(crypto_root, org).node_tls(org.orderer.id).cert
        consenters.append(
            {
                "Host": endpoints.host(org.orderer.id),
                "Port": org.orderer.port,
                "ClientTLSCert": str(tls),
                "ServerTLSCert": str(tls),
            }
        )
    raft = topology.raft
    return {
        "Profiles": {
            PROFILE: {
                # V2_0, not V3_0: this Fabric snapshot's peer Gateway treats every V3_0 channel as BFT and
                # broadcasts each transaction to ALL orderers (a copy ordered by each, then DUPLICATE_TXID, and a
                # Submit that stalls when one is down). Raft needs one orderer to accept it (README "Channel").
                "Capabilities": {"V2_0": True},
                "Policies": {
                    "Readers": _meta("ANY Readers"),
                    "Writers": _meta("ANY Writers"),
                    "Admins": _meta("MAJORITY Admins"),
                },
                "Orderer": {
                    "OrdererType": "etcdraft",
                    "Addresses": [endpoints.address(o.id, o.port) for o in topology.orderers],
                    "BatchTimeout": topology.batch_timeout,
                    "BatchSize": {"MaxMessageCount": 500, "AbsoluteMaxBytes": "10 MB", "PreferredMaxBytes": "2 MB"},
                    "EtcdRaft": {
                        "Consenters": consenters,
                        "Options": {
                            "TickInterval": raft.tick_interval,
                            "ElectionTick": raft.election_tick,
                            "HeartbeatTick": raft.heartbeat_tick,
                            "MaxInflightBlocks": 5,
                            "SnapshotIntervalSize": "1 MB",
                        },
                    },
                    "Organizations": orgs,
                    "Policies": {
                        "Readers": _meta("ANY Readers"),
                        "Writers": _meta("ANY Writers"),
                        "Admins": _meta("MAJORITY Admins"),
                        # Blocks are signed by orderer nodes: any consenter org's orderer signs validly.
                        "BlockValidation": _sig(
                            "OR(" + ", ".join(f"'{o.msp_id}.orderer'" for o in topology.orgs) + ")"
                        ),
                    },
                    "Capabilities": {"V2_0": True},
                },
                "Application": {
                    "Organizations": orgs,
                    "ACLs": dict(ACLS),
                    "Policies": {
                        "Readers": _meta("ANY Readers"),
                        "Writers": _meta("ANY Writers"),
                        "Admins": _meta("MAJORITY Admins"),
                        "LifecycleEndorsement": _meta("MAJORITY Endorsement"),
                        "Endorsement": _meta("MAJORITY Endorsement"),
                    },
                    "Capabilities": {"V2_5": True},
                },
            }
        }
    }


def make_genesis_block(
    topology: Topology, crypto_root: Path, workdir: Path, configtxgen: Path, endpoints: Endpoints = NATIVE
) -> Path:
    """Write configtx.yaml into workdir and run configtxgen; returns the block's path (kept if present).

    configtxgen writes the block; each org's Readers policy is then rewritten with the principal its
    policy language lacks (`channel_policies.restrict_readers`). Raises subprocess.CalledProcessError when
    configtxgen fails.
    """
    block = workdir / f"{topology.channel}.block"
    if block.exists():
        return block
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "configtx.yaml").write_text(yaml.safe_dump(render(topology, crypto_root, endpoints), sort_keys=False))
    raw = workdir / f"{topology.channel}.configtxgen.block"
    subprocess.run(
        [
            str(configtxgen),
            "-profile",
            PROFILE,
            "-channelID",
            topology.channel,
            "-outputBlock",
            str(raw),
            "-configPath",
            str(workdir),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    # Only the finished block takes the final name: a failure here leaves nothing a later `up` would keep.
    block.write_bytes(channel_policies.restrict_readers(raw.read_bytes(), topology, crypto_root))
    raw.unlink()
    return block
