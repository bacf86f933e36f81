"""configtx.yaml derived from the topology, and the channel's genesis block made by `configtxgen`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

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
            "Readers": _sig(f"OR('{m}.admin', '{m}.peer', '{m}.client', '{m}.orderer')"),
            "Writers": _sig(f"OR('{m}.admin', '{m}.client')"),
            "Admins": _sig(f"OR('{m}.admin')"),
            "Endorsement": _sig(f"OR('{m}.peer')"),
        },
        "OrdererEndpoints": [endpoints.address(org.orderer.id, org.orderer.port)],
        "AnchorPeers": [{"Host": endpoints.host(org.peer.id), "Port": org.peer.port}],
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

    Raises subprocess.CalledProcessError when configtxgen fails.
    """
    block = workdir / f"{topology.channel}.block"
    if block.exists():
        return block
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "configtx.yaml").write_text(yaml.safe_dump(render(topology, crypto_root, endpoints), sort_keys=False))
    subprocess.run(
        [
            str(configtxgen),
            "-profile",
            PROFILE,
            "-channelID",
            topology.channel,
            "-outputBlock",
            str(block),
            "-configPath",
            str(workdir),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return block
