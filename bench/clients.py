"""The clients a benchmark (or a test) drives the network with: our Fabric client as a dev identity, and
each identity's gateway URL and API key."""

from __future__ import annotations

from gateway import fabric
from network.layout import Layout
from network.network import Network
from network.pki import OrgCrypto
from network.topology import Org


def connect_as(layout: Layout, org: Org, name: str) -> fabric.Gateway:
    """Our Fabric client as org's identity `name`, to org's peer, presenting that identity's TLS client pair."""
    crypto = OrgCrypto(layout.crypto, org)
    identity, signer = fabric.load_msp(crypto.user_msp(name), org.msp_id)
    tls = crypto.user_tls(name)
    return fabric.connect(
        org.peer.address,
        crypto.tls_ca_cert.read_bytes(),
        identity,
        signer,
        tls_client_cert_pem=tls.cert.read_bytes(),
        tls_client_key_pem=tls.key.read_bytes(),
    )


def api_keys(net: Network) -> dict[str, tuple[str, str]]:
    """Identity ref (`PlatformOrg/buyer-us`) → (its gateway's URL, its API key)."""
    return {i["ref"]: (gw["url"], i["api_key"]) for gw in net.gateways_status() for i in gw["identities"]}
