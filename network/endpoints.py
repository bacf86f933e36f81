"""The one thing that differs between runtimes: where a node is reached by other nodes, and where it listens.

Natively every node listens on 127.0.0.1 and is reached there. In containers each node listens on 0.0.0.0
inside its own network namespace and the others reach it by its container's DNS name, which is the node's
id (e.g. `peer0.bank.example.com`, already a SAN in its TLS certificate). Ports are the same either way.

On separate hosts (`network.hosts`, one Linux network namespace per org) each org's services listen on its
host's own address and the others reach them there (`addresses`, by org domain: a service's name ends in
its org's domain).

The host's own view (the `peer`/`osnadmin` CLI, health checks, gateways' URLs) is always 127.0.0.1 and the
topology's `address` properties: containers publish every port on 127.0.0.1 under the same number, and so
does the hosts runtime (a DNAT rule per org).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from network.topology import HOST, Org


@dataclass(frozen=True, slots=True)
class Endpoints:
    runtime: str
    listen_host: str
    by_name: bool
    # (org domain, address) per org when each org runs on its own host; empty: one host for all.
    addresses: tuple[tuple[str, str], ...] = ()

    def host(self, name: str) -> str:
        """The host other nodes dial to reach the service called name (a node id or service name)."""
        if self.by_name:
            return name
        for domain, address in self.addresses:
            if name == domain or name.endswith("." + domain):
                return address
        return HOST

    def on(self, org: Org) -> Endpoints:
        """These endpoints as org's own services use them: listening on org's host address (separate hosts)."""
        return replace(self, listen_host=self.host(org.domain)) if self.addresses else self

    @property
    def dials_by_address(self) -> bool:
        """Whether a service must be told where its org's nodes are (they are not on its own 127.0.0.1)."""
        return self.by_name or bool(self.addresses)

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
