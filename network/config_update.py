"""Channel config updates that grow the consortium: a new org's MSP, then its orderer as a Raft consenter.

Both are computed from the channel's current config block, never from configtx.yaml alone, so whatever
configtxgen cannot express (the Readers policies `network.channel_policies` wrote, revocation lists) stays as
it is. The new org's own groups come from configtxgen too: a scratch genesis block of the joined topology
(`scratch_block`) holds them exactly as `up` would have made them, Readers policies rewritten the same way.

A ConfigUpdate carries a read set (the versions it was computed on: a concurrent update makes it fail, not
overwrite) and a write set. A group whose membership changes is written at its next version and lists every
child (unchanged ones by version only), because the write set's list of children is the group's new list;
a changed value or policy is written at its next version under its own mod policy. Which signatures that
needs (README "A second issuing bank"): adding an org to /Channel/Application and /Channel/Orderer is
governed by those groups' Admins (MAJORITY of the member orgs' admins), and so are the consenter set
(ConsensusType) and the BlockValidation policy.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import yaml
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.orderer import configuration_pb2 as orderer_config_pb2
from fabric_protos.orderer.etcdraft import configuration_pb2 as etcdraft_pb2

from network import channel_policies, configtx
from network.channel_config import _config, channel_id_of
from network.endpoints import Endpoints
from network.topology import Org, Topology

SCRATCH_CHANNEL = "scratch"


def scratch_block(topology: Topology, crypto_root: Path, configtxgen: Path, endpoints: Endpoints) -> bytes:
    """A genesis block configtxgen makes for the (joined) topology, for a channel nobody joins: the source of a
    new org's config groups and consenter entry. Raises subprocess.CalledProcessError when configtxgen fails."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        doc = configtx.render(topology, crypto_root, endpoints)
        (work / "configtx.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        out = work / "scratch.block"
        subprocess.run(
            [
                *(str(configtxgen), "-profile", configtx.PROFILE, "-channelID", SCRATCH_CHANNEL),
                *("-outputBlock", str(out), "-configPath", str(work)),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return channel_policies.restrict_readers(out.read_bytes(), topology, crypto_root)


def _versions_only(group: configtx_pb2.ConfigGroup, into: configtx_pb2.ConfigGroup) -> None:
    """Name every child of group in into at its current version (no content: the channel keeps its own)."""
    for key, child in group.groups.items():
        into.groups[key].version = child.version
    for key, value in group.values.items():
        into.values[key].version = value.version
    for key, policy in group.policies.items():
        into.policies[key].version = policy.version


def _with_member(
    current: configtx_pb2.ConfigGroup, msp_id: str, member: configtx_pb2.ConfigGroup
) -> tuple[configtx_pb2.ConfigGroup, configtx_pb2.ConfigGroup]:
    """(read, write) of a section group that gains the org group `member` under msp_id."""
    read = configtx_pb2.ConfigGroup(version=current.version)
    write = configtx_pb2.ConfigGroup(version=current.version + 1, mod_policy=current.mod_policy)
    _versions_only(current, read)
    _versions_only(current, write)
    write.groups[msp_id].CopyFrom(member)
    return read, write


def _update(block: bytes, read: configtx_pb2.ConfigGroup, write: configtx_pb2.ConfigGroup) -> bytes:
    update = configtx_pb2.ConfigUpdate(channel_id=channel_id_of(block), read_set=read, write_set=write)
    return bytes(update.SerializeToString())


def add_org_update(current_block: bytes, scratch: bytes, org: Org) -> bytes:
    """The serialized ConfigUpdate adding org's group (as the scratch block has it) to the Application and the
    Orderer sections. Raises ValueError when the channel has it already, KeyError when the scratch block lacks it."""
    channel = _config(current_block).channel_group
    source = _config(scratch).channel_group
    read = configtx_pb2.ConfigGroup(version=channel.version)
    write = configtx_pb2.ConfigGroup(version=channel.version)
    for section in ("Application", "Orderer"):
        if org.msp_id in channel.groups[section].groups:
            raise ValueError(f"{org.msp_id} is already in the channel's {section} section")
        member = source.groups[section].groups[org.msp_id]
        r, w = _with_member(channel.groups[section], org.msp_id, member)
        read.groups[section].CopyFrom(r)
        write.groups[section].CopyFrom(w)
    return _update(current_block, read, write)


def _consensus(group: configtx_pb2.ConfigGroup) -> tuple[orderer_config_pb2.ConsensusType, etcdraft_pb2.ConfigMetadata]:
    consensus = orderer_config_pb2.ConsensusType.FromString(group.values["ConsensusType"].value)
    return consensus, etcdraft_pb2.ConfigMetadata.FromString(consensus.metadata)


def add_consenter_update(current_block: bytes, scratch: bytes, host: str, port: int) -> bytes:
    """The serialized ConfigUpdate adding the orderer at host:port (its TLS certificates as the scratch block
    has them) to the Raft consenter set, and the BlockValidation policy that accepts blocks its org's orderer
    signs. One consenter per update: etcdraft refuses to change more at once. Raises ValueError when it is a
    consenter already, KeyError when the scratch block has no such consenter."""
    orderer = _config(current_block).channel_group.groups["Orderer"]
    source = _config(scratch).channel_group.groups["Orderer"]
    consensus, meta = _consensus(orderer)
    if any((c.host, c.port) == (host, port) for c in meta.consenters):
        raise ValueError(f"{host}:{port} is a consenter already")
    _, wanted = _consensus(source)
    new = next((c for c in wanted.consenters if (c.host, c.port) == (host, port)), None)
    if new is None:
        raise KeyError(f"no consenter {host}:{port} in the scratch block")
    meta.consenters.append(new)
    consensus.metadata = meta.SerializeToString()

    value = orderer.values["ConsensusType"]
    policy = orderer.policies["BlockValidation"]
    channel_version = _config(current_block).channel_group.version
    read = configtx_pb2.ConfigGroup(version=channel_version)
    write = configtx_pb2.ConfigGroup(version=channel_version)
    read.groups["Orderer"].version = orderer.version
    section = write.groups["Orderer"]
    section.version = orderer.version
    section.values["ConsensusType"].CopyFrom(
        configtx_pb2.ConfigValue(
            version=value.version + 1, mod_policy=value.mod_policy, value=consensus.SerializeToString()
        )
    )
    section.policies["BlockValidation"].CopyFrom(
        configtx_pb2.ConfigPolicy(
            version=policy.version + 1, mod_policy=policy.mod_policy, policy=source.policies["BlockValidation"].policy
        )
    )
    return _update(current_block, read, write)


def unsigned_envelope(update: bytes, channel: str) -> bytes:
    """A CONFIG_UPDATE envelope with no signature yet: what each org's admin signs in turn (`peer channel
    signconfigtx`) and the last one submits (`peer channel update`, which adds its own)."""
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.CONFIG_UPDATE, channel_id=channel)
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()),
        data=configtx_pb2.ConfigUpdateEnvelope(config_update=update).SerializeToString(),
    )
    return bytes(common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString())


def signers_of(envelope: bytes) -> list[str]:
    """The MSP IDs whose admins have signed a CONFIG_UPDATE envelope, in order."""
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    signed = configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data)
    out = []
    for sig in signed.signatures:
        creator = common_pb2.SignatureHeader.FromString(sig.signature_header).creator
        out.append(identities_pb2.SerializedIdentity.FromString(creator).mspid)
    return out
