"""Reading the channel's current configuration block: its member orgs and its Raft consenters."""

from __future__ import annotations

from dataclasses import dataclass

from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import msp_config_pb2
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


def _config(block_bytes: bytes) -> configtx_pb2.Config:
    block = common_pb2.Block.FromString(block_bytes)
    envelope = common_pb2.Envelope.FromString(block.data.data[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    return configtx_pb2.ConfigEnvelope.FromString(payload.data).config


def channel_id_of(block_bytes: bytes) -> str:
    block = common_pb2.Block.FromString(block_bytes)
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(block.data.data[0]).payload)
    return str(common_pb2.ChannelHeader.FromString(payload.header.channel_header).channel_id)


def revocation_lists(block_bytes: bytes, msp_id: str) -> dict[str, list[bytes]]:
    """The CRLs (PEM) of the MSP in each section (`Application`, `Orderer`) that defines it (an org's group
    is named by its MSP ID)."""
    groups = _config(block_bytes).channel_group.groups
    out: dict[str, list[bytes]] = {}
    for section in ("Application", "Orderer"):
        org = groups[section].groups.get(msp_id)
        if org is not None and "MSP" in org.values:
            msp = msp_config_pb2.MSPConfig.FromString(org.values["MSP"].value)
            out[section] = list(msp_config_pb2.FabricMSPConfig.FromString(msp.config).revocation_list)
    return out


def revocation_update(block_bytes: bytes, msp_id: str, crl_pem: bytes) -> bytes:
    """A serialized `ConfigUpdate` that sets the MSP's revocation list to [crl_pem] in every org group (named
    by its MSP ID) that defines it: application and orderer (Fabric refuses two different MSPs under one ID).

    Built from the current config block, not from configtx.yaml: only the MSP values change, so everything
    configtxgen cannot express (the Readers policies `network.channel_policies` wrote) stays as it is. The
    read set pins the versions it was built on (a concurrent update makes it fail, not overwrite); the write
    set carries each changed MSP value at its next version, under its own mod policy (the org's Admins).
    Raises KeyError when the MSP is in neither section.
    """
    channel = _config(block_bytes).channel_group
    read = configtx_pb2.ConfigGroup(version=channel.version)
    write = configtx_pb2.ConfigGroup(version=channel.version)
    touched = False
    for section in ("Application", "Orderer"):
        group = channel.groups[section]
        org = group.groups.get(msp_id)
        if org is None or "MSP" not in org.values:
            continue
        current = org.values["MSP"]
        msp = msp_config_pb2.MSPConfig.FromString(current.value)
        fabric = msp_config_pb2.FabricMSPConfig.FromString(msp.config)
        del fabric.revocation_list[:]
        fabric.revocation_list.append(crl_pem)
        msp.config = fabric.SerializeToString()
        for target in (read, write):
            target.groups[section].version = group.version
            target.groups[section].groups[msp_id].version = org.version
        write.groups[section].groups[msp_id].values["MSP"].CopyFrom(
            configtx_pb2.ConfigValue(
                version=current.version + 1, mod_policy=current.mod_policy, value=msp.SerializeToString()
            )
        )
        touched = True
    if not touched:
        raise KeyError(f"no MSP {msp_id} in the channel configuration")
    update = configtx_pb2.ConfigUpdate(channel_id=channel_id_of(block_bytes), read_set=read, write_set=write)
    return bytes(update.SerializeToString())
