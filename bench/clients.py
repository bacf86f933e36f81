"""The clients a benchmark (or a test) drives the network with: our Fabric client as a dev identity, and
each identity's gateway URL and API key."""

from __future__ import annotations

from network.clients import connect_as
from network.network import Network

__all__ = ["api_keys", "connect_as"]


def api_keys(net: Network) -> dict[str, tuple[str, str]]:
    """Identity ref (`PlatformOrg/buyer-us`) → (its gateway's URL, its API key)."""
    return {i["ref"]: (gw["url"], i["api_key"]) for gw in net.gateways_status() for i in gw["identities"]}
