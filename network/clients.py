"""Our Fabric Gateway client as one of the topology's identities, for the network's own transactions (add-org
registers an issuing bank) and for benchmarks and tests."""

from __future__ import annotations

from gateway import fabric
from network.layout import Layout
from network.pki import OrgCrypto
from network.topology import Org


def connect_as(layout: Layout, org: Org, name: str, peer_org: Org | None = None) -> fabric.Gateway:
    """Our Fabric client as org's identity `name`, presenting that identity's TLS client pair, to peer_org's
    peer (default: org's own)."""
    crypto = OrgCrypto(layout.crypto, org)
    identity, signer = fabric.load_msp(crypto.user_msp(name), org.msp_id)
    tls = crypto.user_tls(name)
    target = peer_org or org
    return fabric.connect(
        target.peer.address,
        OrgCrypto(layout.crypto, target).tls_ca_cert.read_bytes(),
        identity,
        signer,
        tls_client_cert_pem=tls.cert.read_bytes(),
        tls_client_key_pem=tls.key.read_bytes(),
    )
