"""The one thing that differs between runtimes: where a node is reached by other nodes, and where it listens.

Natively every node listens on 127.0.0.1 and is reached there. In containers each node listens on 0.0.0.0
inside its own network namespace and the others reach it by its container's DNS name, which is the node's
id (e.g. `peer0.bank.example.com`, already a SAN in its TLS certificate). Ports are the same either way.

The host's own view (the `peer`/`osnadmin` CLI, health checks, gateways' URLs) is always 127.0.0.1 and the
topology's `address` properties: containers publish every port on 127.0.0.1 under the same number.
"""

from __future__ import annotations

from dataclasses import dataclass

from network.topology import HOST, Org


@dataclass(frozen=True, slots=True)
class Endpoints:
    runtime: str
    listen_host: str
    by_name: bool

    def host(self, name: str) -> str:
        """The host other nodes dial to reach the service called name (a node id or service name)."""
        return name if self.by_name else HOST

    def address(self, name: str, port: int) -> str:
        return f"{self.host(name)}:{port}"

    def listen(self, port: int) -> str:
        return f"{self.listen_host}:{port}"


NATIVE = Endpoints(runtime="native", listen_host=HOST, by_name=False)
CONTAINERS = Endpoints(runtime="compose", listen_host="0.0.0.0", by_name=True)

RUNTIMES = {e.runtime: e for e in (NATIVE, CONTAINERS)}


def chaincode_server_name(org: Org) -> str:
    """The service name (and, in containers, the DNS name) of org's chaincode server."""
    return f"chaincode.{org.domain}"


def gateway_name(org: Org) -> str:
    return f"gateway.{org.domain}"


def core_name(org: Org) -> str:
    """The service name of org's reference core (core/)."""
    return f"core.{org.domain}"


def books_name(org: Org) -> str:
    """The service name of an org's books connector."""
    return f"books.{org.domain}"
