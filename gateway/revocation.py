"""Revocation the peers enforce: the org's CRL into the channel's MSP configuration.

`ChannelRevocations.publish` reads the current config block from the org's peer (cscc, as the gateway's
service identity: a channel Reader), builds the config update from it (`network.channel_config`), has the
org's admin sign it (the MSP values' mod policy is the org's Admins) and broadcasts it to the org's orderer,
then waits until its own peer has the new configuration. From then on every peer's MSP refuses what the
revoked certificates sign.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from fabric_protos.common import common_pb2, configtx_pb2
from fabric_protos.orderer import ab_pb2_grpc

from gateway import fabric
from gateway.deadline import Deadline
from gateway.errors import LedgerError, LedgerUnavailable
from network.channel_config import revocation_lists, revocation_update
from network.pki import TlsPair

CSCC = "cscc"


@dataclass(frozen=True, slots=True)
class Signatory:
    """An identity that signs or dials: its MSP folder and its TLS client pair."""

    msp_id: str
    msp_dir: Path
    tls: TlsPair


class ChannelRevocations:
    def __init__(
        self,
        msp_id: str,
        channel: str,
        peer_address: str,
        peer_tls_ca_pem: bytes,
        orderer_address: str,
        orderer_tls_ca_pem: bytes,
        reader: Signatory,
        admin: Signatory,
        timeout: int = 30,
    ) -> None:
        self._msp_id = msp_id
        self._channel = channel
        self._peer = (peer_address, peer_tls_ca_pem)
        self._orderer = (orderer_address, orderer_tls_ca_pem)
        self._reader = reader
        self._admin = admin
        self._timeout = timeout

    def _config_block(self) -> bytes:
        identity, signer = fabric.load_msp(self._reader.msp_dir, self._reader.msp_id)
        gw = fabric.connect(
            self._peer[0],
            self._peer[1],
            identity,
            signer,
            tls_client_cert_pem=self._reader.tls.cert.read_bytes(),
            tls_client_key_pem=self._reader.tls.key.read_bytes(),
        )
        try:
            contract = gw.get_network(self._channel).get_contract(CSCC)
            return contract.evaluate_transaction("GetConfigBlock", [self._channel])
        except fabric.GatewayError as exc:
            raise LedgerUnavailable(f"cannot read the channel configuration: {exc.message}") from exc
        finally:
            gw.close()

    def _envelope(self, update: bytes) -> bytes:
        identity, signer = fabric.load_msp(self._admin.msp_dir, self._admin.msp_id)
        creator = identity.serialize()

        def header() -> bytes:
            return bytes(common_pb2.SignatureHeader(creator=creator, nonce=os.urandom(24)).SerializeToString())

        config_header = header()
        signed = configtx_pb2.ConfigUpdateEnvelope(
            config_update=update,
            signatures=[
                configtx_pb2.ConfigSignature(
                    signature_header=config_header, signature=signer.sign(config_header + update)
                )
            ],
        )
        channel_header = common_pb2.ChannelHeader(
            type=common_pb2.HeaderType.CONFIG_UPDATE, channel_id=self._channel, version=0, epoch=0
        )
        channel_header.timestamp.GetCurrentTime()
        payload = common_pb2.Payload(
            header=common_pb2.Header(channel_header=channel_header.SerializeToString(), signature_header=header()),
            data=signed.SerializeToString(),
        ).SerializeToString()
        return bytes(common_pb2.Envelope(payload=payload, signature=signer.sign(payload)).SerializeToString())

    def _broadcast(self, envelope: bytes) -> None:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=self._orderer[1],
            private_key=self._admin.tls.key.read_bytes(),
            certificate_chain=self._admin.tls.cert.read_bytes(),
        )
        with grpc.secure_channel(self._orderer[0], credentials) as channel:
            stub = ab_pb2_grpc.AtomicBroadcastStub(channel)
            try:
                for response in stub.Broadcast(iter([common_pb2.Envelope.FromString(envelope)]), timeout=self._timeout):
                    if response.status != common_pb2.Status.SUCCESS:
                        status = common_pb2.Status.Name(response.status)
                        raise LedgerError(f"the orderer refused the config update: {status} {response.info}")
                    return
            except grpc.RpcError as exc:
                raise LedgerUnavailable(f"cannot reach the orderer {self._orderer[0]}: {exc.code().name}") from exc
        raise LedgerError("the orderer closed the broadcast without an answer")

    def _applied(self, block: bytes, crl_pem: bytes) -> bool:
        lists = revocation_lists(block, self._msp_id)
        return bool(lists) and all(crls == [crl_pem] for crls in lists.values())

    def publish(self, crl_pem: bytes) -> None:
        """Raises LedgerUnavailable (peer or orderer unreachable, or the new configuration not seen in time),
        LedgerError (the orderer refused the update)."""
        block = self._config_block()
        if self._applied(block, crl_pem):
            return
        self._broadcast(self._envelope(revocation_update(block, self._msp_id, crl_pem)))
        deadline = Deadline(self._timeout)
        while not deadline.expired():
            if self._applied(self._config_block(), crl_pem):
                return
            time.sleep(0.2)
        raise LedgerUnavailable("the config update was accepted but the peer has not applied it yet")
