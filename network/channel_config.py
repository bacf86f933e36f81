"""Reading the channel's current configuration block: its member orgs and its Raft consenters."""

from __future__ import annotations

from dataclasses import dataclass

from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.orderer import configuration_pb2 as orderer_config_pb2
from fabric_protos.orderer.etcdraft import configuration_pb2 as etcdraft_pb2


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    members: list[str]
    consenters: list[str]
    orderer_orgs: list[str]


def parse_config_block(block_bytes: bytes) -> ChannelConfig:
    """Decode a config block (as fetched by `peer channel fetch config`)."""
    block = common_pb2.Block.FromString(block_bytes)
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    config = configtx_pb2.ConfigEnvelope.FromString(payload.data).config
    groups = config.channel_group.groups
    orderer = groups["Orderer"]
    consensus = orderer_config_pb2.ConsensusType.FromString(orderer.values["ConsensusType"].value)
    meta = etcdraft_pb2.ConfigMetadata.FromString(consensus.metadata)
    return ChannelConfig(
        members=sorted(groups["Application"].groups.keys()),
        consenters=[f"{c.host}:{c.port}" for c in meta.consenters],
        orderer_orgs=sorted(orderer.groups.keys()),
    )
