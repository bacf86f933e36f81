"""The add-org config updates (network/config_update.py), on hand-made config blocks: what is read, what is
written at which version, and what is refused."""

from __future__ import annotations

import pytest
from fabric_protos.common import common_pb2, configtx_pb2, policies_pb2
from fabric_protos.orderer import configuration_pb2 as orderer_config_pb2
from fabric_protos.orderer.etcdraft import configuration_pb2 as etcdraft_pb2

from network.config_update import add_consenter_update, add_org_update, signers_of, unsigned_envelope
from network.topology import load_topology


def _consensus(hosts: list[tuple[str, int]]) -> bytes:
    meta = etcdraft_pb2.ConfigMetadata(
        consenters=[
            etcdraft_pb2.Consenter(host=h, port=p, client_tls_cert=f"{p}".encode(), server_tls_cert=f"{p}".encode())
            for h, p in hosts
        ]
    )
    return bytes(
        orderer_config_pb2.ConsensusType(type="etcdraft", metadata=meta.SerializeToString()).SerializeToString()
    )


def _block(orgs: list[str], consenters: list[tuple[str, int]], validation: bytes) -> bytes:
    channel = configtx_pb2.ConfigGroup(version=3)
    for section in ("Application", "Orderer"):
        group = channel.groups[section]
        group.version, group.mod_policy = 1, "Admins"
        group.values["Capabilities"].version = 4
        group.policies["Admins"].version = 5
        for i, msp in enumerate(orgs):
            org = group.groups[msp]
            org.version, org.mod_policy = 2 + i, "Admins"
            org.values["MSP"].CopyFrom(configtx_pb2.ConfigValue(version=0, mod_policy="Admins", value=msp.encode()))
    orderer = channel.groups["Orderer"]
    orderer.values["ConsensusType"].CopyFrom(
        configtx_pb2.ConfigValue(version=7, mod_policy="Admins", value=_consensus(consenters))
    )
    orderer.policies["BlockValidation"].CopyFrom(
        configtx_pb2.ConfigPolicy(version=6, mod_policy="Admins", policy=policies_pb2.Policy(type=1, value=validation))
    )
    envelope = configtx_pb2.ConfigEnvelope(config=configtx_pb2.Config(sequence=9, channel_group=channel))
    header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.CONFIG, channel_id="deposits")
    payload = common_pb2.Payload(
        header=common_pb2.Header(channel_header=header.SerializeToString()), data=envelope.SerializeToString()
    )
    block = common_pb2.Block()
    block.data.data.append(common_pb2.Envelope(payload=payload.SerializeToString()).SerializeToString())
    return bytes(block.SerializeToString())


FOUNDERS = ["BankMSP", "PlatformMSP"]
CURRENT = _block(FOUNDERS, [("127.0.0.1", 7050), ("127.0.0.1", 8050)], b"two orderers")
SCRATCH = _block(
    [*FOUNDERS, "EuroBankMSP"], [("127.0.0.1", 7050), ("127.0.0.1", 8050), ("127.0.0.1", 7150)], b"three orderers"
)
EURO = load_topology().joining_org("EuroBankOrg").org


def test_adding_an_org_writes_each_section_at_its_next_version_with_every_member_listed() -> None:
    update = configtx_pb2.ConfigUpdate.FromString(add_org_update(CURRENT, SCRATCH, EURO))
    assert update.channel_id == "deposits"
    assert update.read_set.version == update.write_set.version == 3
    for section in ("Application", "Orderer"):
        read, write = update.read_set.groups[section], update.write_set.groups[section]
        assert (read.version, write.version, write.mod_policy) == (1, 2, "Admins")
        # The founders by version only: the channel keeps their content; the write set's list is the new list.
        assert {k: g.version for k, g in read.groups.items()} == {"BankMSP": 2, "PlatformMSP": 3}
        assert {k: g.version for k, g in write.groups.items() if k != "EuroBankMSP"} == {"BankMSP": 2, "PlatformMSP": 3}
        assert not any(g.values for k, g in write.groups.items() if k != "EuroBankMSP")
        assert write.values["Capabilities"].version == 4 and not write.values["Capabilities"].value
        assert write.policies["Admins"].version == 5
        # The new org's group exactly as configtxgen made it in the scratch block.
        assert write.groups["EuroBankMSP"].values["MSP"].value == b"EuroBankMSP"
    with pytest.raises(ValueError, match="already"):
        add_org_update(SCRATCH, SCRATCH, EURO)


def test_adding_a_consenter_changes_only_the_consenter_set_and_the_block_validation_policy() -> None:
    update = configtx_pb2.ConfigUpdate.FromString(add_consenter_update(CURRENT, SCRATCH, "127.0.0.1", 7150))
    read, write = update.read_set.groups["Orderer"], update.write_set.groups["Orderer"]
    assert read.version == write.version == 1 and not write.groups and not read.values
    value = write.values["ConsensusType"]
    assert (value.version, value.mod_policy) == (8, "Admins")
    meta = etcdraft_pb2.ConfigMetadata.FromString(orderer_config_pb2.ConsensusType.FromString(value.value).metadata)
    assert [c.port for c in meta.consenters] == [7050, 8050, 7150]
    assert meta.consenters[2].server_tls_cert == b"7150"
    policy = write.policies["BlockValidation"]
    assert (policy.version, policy.policy.value) == (7, b"three orderers")
    assert set(update.write_set.groups) == {"Orderer"}
    with pytest.raises(ValueError, match="already"):
        add_consenter_update(CURRENT, SCRATCH, "127.0.0.1", 8050)
    with pytest.raises(KeyError):
        add_consenter_update(CURRENT, SCRATCH, "127.0.0.1", 9999)


def test_the_unsigned_envelope_carries_the_update_and_no_signature_yet() -> None:
    raw = add_org_update(CURRENT, SCRATCH, EURO)
    envelope = unsigned_envelope(raw, "deposits")
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    assert (header.type, header.channel_id) == (common_pb2.HeaderType.CONFIG_UPDATE, "deposits")
    assert configtx_pb2.ConfigUpdateEnvelope.FromString(payload.data).config_update == raw
    assert signers_of(envelope) == []
