"""Each Fabric node's environment, derived from the topology (Fabric's sampleconfig + CORE_*/ORDERER_*)."""

from __future__ import annotations

import json
from pathlib import Path

from network.endpoints import NATIVE, Endpoints
from network.layout import Layout
from network.pki import OrgCrypto
from network.topology import Org, Topology

BUILDER_DIR = Path(__file__).with_name("builders") / "ccaas"


def _all_tls_cas(layout: Layout, topology: Topology) -> str:
    return "[" + ",".join(str(OrgCrypto(layout.crypto, o).tls_ca_cert) for o in topology.orgs) + "]"


def orderer_env(
    layout: Layout, topology: Topology, org: Org, cfg: Path, endpoints: Endpoints = NATIVE
) -> dict[str, str]:
    o = org.orderer
    node = OrgCrypto(layout.crypto, org).node_dir(o.id)
    tls = node / "tls"
    data = layout.node(o.id)
    cas = _all_tls_cas(layout, topology)
    return {
        "FABRIC_CFG_PATH": str(cfg),
        "FABRIC_LOGGING_SPEC": "INFO",
        "ORDERER_GENERAL_LISTENADDRESS": endpoints.listen_host,
        "ORDERER_GENERAL_LISTENPORT": str(o.port),
        "ORDERER_GENERAL_LOCALMSPID": org.msp_id,
        "ORDERER_GENERAL_LOCALMSPDIR": str(node / "msp"),
        "ORDERER_GENERAL_BOOTSTRAPMETHOD": "none",
        "ORDERER_GENERAL_TLS_ENABLED": "true",
        "ORDERER_GENERAL_TLS_CERTIFICATE": str(tls / "server.crt"),
        "ORDERER_GENERAL_TLS_PRIVATEKEY": str(tls / "server.key"),
        "ORDERER_GENERAL_TLS_ROOTCAS": cas,
        # The Raft cluster shares the general listener; the TLS server pair doubles as the client pair.
        "ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE": str(tls / "server.crt"),
        "ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY": str(tls / "server.key"),
        "ORDERER_GENERAL_CLUSTER_ROOTCAS": cas,
        "ORDERER_CHANNELPARTICIPATION_ENABLED": "true",
        "ORDERER_FILELEDGER_LOCATION": str(data / "ledger"),
        "ORDERER_CONSENSUS_WALDIR": str(data / "etcdraft" / "wal"),
        "ORDERER_CONSENSUS_SNAPDIR": str(data / "etcdraft" / "snapshot"),
        "ORDERER_ADMIN_LISTENADDRESS": endpoints.listen(o.admin_port),
        "ORDERER_ADMIN_TLS_ENABLED": "true",
        "ORDERER_ADMIN_TLS_CERTIFICATE": str(tls / "server.crt"),
        "ORDERER_ADMIN_TLS_PRIVATEKEY": str(tls / "server.key"),
        "ORDERER_ADMIN_TLS_ROOTCAS": cas,
        "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED": "true",
        "ORDERER_ADMIN_TLS_CLIENTROOTCAS": str(OrgCrypto(layout.crypto, org).tls_ca_cert),
        "ORDERER_OPERATIONS_LISTENADDRESS": endpoints.listen(o.ops_port),
        "ORDERER_METRICS_PROVIDER": "prometheus",
    }


def peer_env(layout: Layout, org: Org, cfg: Path, endpoints: Endpoints = NATIVE) -> dict[str, str]:
    p = org.peer
    advertised = endpoints.address(p.id, p.port)
    node = OrgCrypto(layout.crypto, org).node_dir(p.id)
    tls = node / "tls"
    data = layout.node(p.id)
    builders = [{"name": "ccaas", "path": str(BUILDER_DIR)}]
    return {
        "FABRIC_CFG_PATH": str(cfg),
        "FABRIC_LOGGING_SPEC": "INFO",
        "CORE_PEER_ID": p.id,
        "CORE_PEER_ADDRESS": advertised,
        "CORE_PEER_LISTENADDRESS": endpoints.listen(p.port),
        "CORE_PEER_CHAINCODEADDRESS": endpoints.address(p.id, p.chaincode_port),
        "CORE_PEER_CHAINCODELISTENADDRESS": endpoints.listen(p.chaincode_port),
        "CORE_PEER_GOSSIP_BOOTSTRAP": advertised,
        # Without the external endpoint other orgs never learn this peer, and the Gateway finds no endorsers.
        "CORE_PEER_GOSSIP_EXTERNALENDPOINT": advertised,
        # With the default 25 s the first endorsement waits that long for cross-org membership.
        "CORE_PEER_GOSSIP_RECONNECTINTERVAL": "1s",
        # The block deliverer backs off exponentially while no orderer answers (default cap 3600 s): after a
        # loss of Raft quorum it slept through the recovery and commits stalled for tens of seconds.
        "CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD": "2s",
        "CORE_PEER_LOCALMSPID": org.msp_id,
        "CORE_PEER_MSPCONFIGPATH": str(node / "msp"),
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_CERT_FILE": str(tls / "server.crt"),
        "CORE_PEER_TLS_KEY_FILE": str(tls / "server.key"),
        "CORE_PEER_TLS_ROOTCERT_FILE": str(tls / "ca.crt"),
        "CORE_PEER_FILESYSTEMPATH": str(data / "ledger"),
        "CORE_LEDGER_SNAPSHOTS_ROOTDIR": str(data / "snapshots"),
        "CORE_OPERATIONS_LISTENADDRESS": endpoints.listen(p.ops_port),
        "CORE_METRICS_PROVIDER": "prometheus",
        "CORE_CHAINCODE_EXTERNALBUILDERS": json.dumps(builders),
    }


def admin_cli_env(layout: Layout, org: Org, cfg: Path) -> dict[str, str]:
    """Environment for the `peer` CLI acting as the org's admin against the org's peer."""
    crypto = OrgCrypto(layout.crypto, org)
    return {
        "FABRIC_CFG_PATH": str(cfg),
        "FABRIC_LOGGING_SPEC": "WARN",
        "CORE_PEER_LOCALMSPID": org.msp_id,
        "CORE_PEER_MSPCONFIGPATH": str(crypto.admin_msp()),
        "CORE_PEER_ADDRESS": org.peer.address,
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_ROOTCERT_FILE": str(crypto.tls_ca_cert),
    }
