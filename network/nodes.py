"""Each Fabric node's environment, derived from the topology (Fabric's sampleconfig + CORE_*/ORDERER_*)."""

from __future__ import annotations

import json
from pathlib import Path

from network.endpoints import NATIVE, Endpoints
from network.layout import Layout
from network.pki import OrgCrypto
from network.topology import Org, Topology

BUILDER_DIR = Path(__file__).with_name("builders") / "ccaas"


def _channel_tls_cas(layout: Layout, topology: Topology) -> list[str]:
    """Every channel org's TLS CA: whom a node's gRPC server accepts as a client (and trusts as a server)."""
    paths = [str(OrgCrypto(layout.crypto, o).tls_ca_cert) for o in topology.orgs]
    for path in paths:
        # The peer reads its list of client CAs from one environment variable split on whitespace.
        if any(c.isspace() for c in path):
            raise ValueError(f"Fabric cannot take a TLS CA path with whitespace in an env list: {path!r}")
    return paths


def _bracketed(paths: list[str]) -> str:
    """The orderer's list syntax for an environment variable."""
    return "[" + ",".join(paths) + "]"


def orderer_env(
    layout: Layout, topology: Topology, org: Org, cfg: Path, endpoints: Endpoints = NATIVE
) -> dict[str, str]:
    o = org.orderer
    crypto = OrgCrypto(layout.crypto, org)
    node = crypto.node_dir(o.id)
    tls = crypto.node_tls(o.id)
    data = layout.node(o.id)
    cas = _bracketed(_channel_tls_cas(layout, topology))
    return {
        "FABRIC_CFG_PATH": str(cfg),
        "FABRIC_LOGGING_SPEC": "INFO",
        "ORDERER_GENERAL_LISTENADDRESS": endpoints.listen_host,
        "ORDERER_GENERAL_LISTENPORT": str(o.port),
        "ORDERER_GENERAL_LOCALMSPID": org.msp_id,
        "ORDERER_GENERAL_LOCALMSPDIR": str(node / "msp"),
        "ORDERER_GENERAL_BOOTSTRAPMETHOD": "none",
        "ORDERER_GENERAL_TLS_ENABLED": "true",
        "ORDERER_GENERAL_TLS_CERTIFICATE": str(tls.cert),
        "ORDERER_GENERAL_TLS_PRIVATEKEY": str(tls.key),
        "ORDERER_GENERAL_TLS_ROOTCAS": cas,
        # Broadcast, deliver and the Raft cluster: only holders of a channel org's TLS certificate get in.
        "ORDERER_GENERAL_TLS_CLIENTAUTHREQUIRED": "true",
        "ORDERER_GENERAL_TLS_CLIENTROOTCAS": cas,
        # The Raft cluster shares the general listener; the TLS server pair doubles as the client pair.
        "ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE": str(tls.cert),
        "ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY": str(tls.key),
        "ORDERER_GENERAL_CLUSTER_ROOTCAS": cas,
        "ORDERER_CHANNELPARTICIPATION_ENABLED": "true",
        "ORDERER_FILELEDGER_LOCATION": str(data / "ledger"),
        "ORDERER_CONSENSUS_WALDIR": str(data / "etcdraft" / "wal"),
        "ORDERER_CONSENSUS_SNAPDIR": str(data / "etcdraft" / "snapshot"),
        "ORDERER_ADMIN_LISTENADDRESS": endpoints.listen(o.admin_port),
        "ORDERER_ADMIN_TLS_ENABLED": "true",
        "ORDERER_ADMIN_TLS_CERTIFICATE": str(tls.cert),
        "ORDERER_ADMIN_TLS_PRIVATEKEY": str(tls.key),
        "ORDERER_ADMIN_TLS_ROOTCAS": cas,
        # Channel participation is the org's own business: only its own TLS CA's clients.
        "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED": "true",
        "ORDERER_ADMIN_TLS_CLIENTROOTCAS": str(crypto.tls_ca_cert),
        "ORDERER_OPERATIONS_LISTENADDRESS": endpoints.listen(o.ops_port),
        "ORDERER_METRICS_PROVIDER": "prometheus",
        **(ACROSS_HOSTS_ORDERER_ENV if endpoints.addresses else {}),
    }


def ccaas_tls_env(layout: Layout, org: Org) -> dict[str, str]:
    """What our ccaas builder's `release` adds to connection.json, from the peer's environment: the CA of
    the chaincode server's certificate and the peer's own pair as the client pair. Packages carry only
    public facts, so no key is in a package and package IDs do not depend on key material."""
    crypto = OrgCrypto(layout.crypto, org)
    tls = crypto.node_tls(org.peer.id)
    return {
        "CCAAS_ROOT_CERT_FILE": str(crypto.tls_ca_cert),
        "CCAAS_CLIENT_CERT_FILE": str(tls.cert),
        "CCAAS_CLIENT_KEY_FILE": str(tls.key),
    }


# Across hosts a lost link is silent (nothing refuses a connection, as a dead process's port does on one host):
# only timeouts notice it. The peer's Gateway gives up on an endorser or an orderer within seconds (defaults:
# 30 s, a dial 2 min); gossip declares a silent peer dead after 6 s (default 25 s), after which a write that
# needs it is refused at once; a peer whose orderer went silent notices by keepalive within 4 s (default 80 s)
# and takes its blocks from another. Servers accept pings that often (README "The consortium across hosts").
ACROSS_HOSTS_PEER_ENV = {
    "CORE_PEER_GATEWAY_ENDORSEMENTTIMEOUT": "3s",
    "CORE_PEER_GATEWAY_BROADCASTTIMEOUT": "3s",
    "CORE_PEER_GATEWAY_DIALTIMEOUT": "3s",
    "CORE_PEER_GOSSIP_ALIVETIMEINTERVAL": "1s",
    "CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT": "6s",
    "CORE_PEER_KEEPALIVE_DELIVERYCLIENT_INTERVAL": "2s",
    "CORE_PEER_KEEPALIVE_DELIVERYCLIENT_TIMEOUT": "2s",
    "CORE_PEER_KEEPALIVE_CLIENT_INTERVAL": "2s",
    "CORE_PEER_KEEPALIVE_CLIENT_TIMEOUT": "2s",
    "CORE_PEER_KEEPALIVE_MININTERVAL": "1s",
}
ACROSS_HOSTS_ORDERER_ENV = {"ORDERER_GENERAL_KEEPALIVE_SERVERMININTERVAL": "1s"}


def peer_env(layout: Layout, topology: Topology, org: Org, cfg: Path, endpoints: Endpoints = NATIVE) -> dict[str, str]:
    p = org.peer
    advertised = endpoints.address(p.id, p.port)
    crypto = OrgCrypto(layout.crypto, org)
    tls = crypto.node_tls(p.id)
    data = layout.node(p.id)
    ccaas = ccaas_tls_env(layout, org)
    builders = [{"name": "ccaas", "path": str(BUILDER_DIR), "propagateEnvironment": sorted(ccaas)}]
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
        "CORE_PEER_MSPCONFIGPATH": str(crypto.node_dir(p.id) / "msp"),
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_CERT_FILE": str(tls.cert),
        "CORE_PEER_TLS_KEY_FILE": str(tls.key),
        "CORE_PEER_TLS_ROOTCERT_FILE": str(tls.ca),
        # Endorse, deliver, gossip and the Gateway: only holders of a channel org's TLS certificate get in.
        "CORE_PEER_TLS_CLIENTAUTHREQUIRED": "true",
        "CORE_PEER_TLS_CLIENTROOTCAS_FILES": " ".join(_channel_tls_cas(layout, topology)),
        # Gossip, deliver from the orderers and the Gateway's endorse/broadcast present the server pair.
        "CORE_PEER_TLS_CLIENTCERT_FILE": str(tls.cert),
        "CORE_PEER_TLS_CLIENTKEY_FILE": str(tls.key),
        "CORE_PEER_FILESYSTEMPATH": str(data / "ledger"),
        "CORE_LEDGER_SNAPSHOTS_ROOTDIR": str(data / "snapshots"),
        # The contract keeps each account's history in its own keys, and nothing reads Fabric's history
        # index (GetHistoryForKey): maintaining it cost every commit a write per key for nobody.
        "CORE_LEDGER_HISTORY_ENABLEHISTORYDATABASE": "false",
        "CORE_OPERATIONS_LISTENADDRESS": endpoints.listen(p.ops_port),
        "CORE_METRICS_PROVIDER": "prometheus",
        "CORE_CHAINCODE_EXTERNALBUILDERS": json.dumps(builders),
        # Without a limit Go lets the heap grow to twice its live data between collections (README "Levers
        # measured"); near the limit the collector runs sooner. It never refuses an allocation.
        **({"GOMEMLIMIT": topology.peer_memory_limit} if topology.peer_memory_limit else {}),
        **ccaas,
        **(ACROSS_HOSTS_PEER_ENV if endpoints.addresses else {}),
    }


def admin_cli_env(layout: Layout, org: Org, cfg: Path) -> dict[str, str]:
    """Environment for the `peer` CLI acting as the org's admin against the org's peer (and, with
    `--peerAddresses`, other orgs' peers: the same client pair, which they accept)."""
    crypto = OrgCrypto(layout.crypto, org)
    tls = crypto.admin_tls()
    return {
        "FABRIC_CFG_PATH": str(cfg),
        "FABRIC_LOGGING_SPEC": "WARN",
        "CORE_PEER_LOCALMSPID": org.msp_id,
        "CORE_PEER_MSPCONFIGPATH": str(crypto.admin_msp()),
        "CORE_PEER_ADDRESS": org.peer.address,
        "CORE_PEER_TLS_ENABLED": "true",
        "CORE_PEER_TLS_ROOTCERT_FILE": str(crypto.tls_ca_cert),
        "CORE_PEER_TLS_CLIENTAUTHREQUIRED": "true",
        "CORE_PEER_TLS_CLIENTCERT_FILE": str(tls.cert),
        "CORE_PEER_TLS_CLIENTKEY_FILE": str(tls.key),
    }


def orderer_cli_args(layout: Layout, client: Org, orderer: Org) -> list[str]:
    """`peer` CLI flags to reach orderer's orderer as client's admin: its TLS CA and the admin's client pair
    (flags, not CORE_ORDERER_*: the CLI sets those settings from its flags, defaults included)."""
    tls = OrgCrypto(layout.crypto, client).admin_tls()
    ca = OrgCrypto(layout.crypto, orderer).tls_ca_cert
    server = ["-o", orderer.orderer.address, "--tls", "--cafile", str(ca)]
    return [*server, "--clientauth", "--certfile", str(tls.cert), "--keyfile", str(tls.key)]
