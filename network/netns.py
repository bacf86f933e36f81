"""The hosts runtime: native processes, each org's in its own Linux network namespace (needs root).

`prepare` makes what the network needs on this machine (`network.hosts.HostPlan`): a bridge with the
operator's own address on it, per org a namespace joined to the bridge by a veth pair and holding the org's
address, and NAT rules that publish every org's ports on the operator's 127.0.0.1 under their own numbers
(as the compose runtime's containers do), so the CLI, health checks and clients see one host as before.
`start` runs a service with `ip netns exec` in its org's namespace, its paths moved into the org's own
data directory. `prepare` on a running network adds what is missing only: that is how an org that joins
later (`deposits network add-org`) gets its host. `teardown` removes every namespace, link and rule this
network made, a joined org's included (found by name and by the rules' comment, so a crashed run is cleaned
up too). `partition`/`heal` take an org's link to the bridge down and up: its host is cut off from the
other orgs and from the operator.
"""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from network.hosts import HostPlan, OrgHost, exchange, own_env
from network.joined import recorded_joined
from network.layout import Layout
from network.native import NativeRuntime
from network.runtime import Service, check_free_ports
from network.topology import Topology


class HostSetupError(RuntimeError):
    """A namespace, link, address or NAT rule could not be made (the message has the command and its error)."""


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if path is None:
        raise HostSetupError(f"`{name}` not found: the hosts runtime needs iproute2 and iptables (and root)")
    return path


def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([_tool(argv[0]), *argv[1:]], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise HostSetupError(f"`{' '.join(argv)}` failed ({result.returncode}): {result.stderr.strip()}")
    return result


def _links() -> set[str]:
    out = _run("ip", "-o", "link", "show").stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line}


def _namespaces() -> set[str]:
    return {line.split()[0] for line in _run("ip", "netns", "list").stdout.splitlines() if line.strip()}


class NetnsRuntime:
    kind = "hosts"

    def __init__(self, layout: Layout, topology: Topology, plan: HostPlan) -> None:
        self.layout = layout
        self.topology = topology
        self.plan = plan
        self.native = NativeRuntime(layout)
        self._tag = f"tokenized-deposits:{plan.prefix}"  # marks our NAT/filter rules for removal

    # -- the machine's side: bridge, namespaces, links, NAT -----------------------------------------------
    def prepare(self, services: Sequence[Service]) -> None:
        """Share the orgs' public material, then make the bridge, namespaces and rules that are missing.
        Raises HostSetupError (the subnet is taken on this machine, or a command failed)."""
        exchange(self.layout, self.topology)
        links, namespaces = _links(), _namespaces()
        if self.plan.bridge not in links:
            self._check_subnet_free()
            _run("ip", "link", "add", self.plan.bridge, "type", "bridge")
            _run("ip", "addr", "add", f"{self.plan.host_address}/{self.plan.subnet.prefixlen}", "dev", self.plan.bridge)
            # The operator's 127.0.0.1 may be routed onto the bridge (after DNAT): see _publish.
            _run("sysctl", "-q", "-w", f"net.ipv4.conf.{self.plan.bridge}.route_localnet=1")
        _run("ip", "link", "set", self.plan.bridge, "up")
        for host in self.plan.orgs:
            if host.namespace not in namespaces:
                self._make_host(host)
        self._publish()

    def _check_subnet_free(self) -> None:
        for line in _run("ip", "-o", "-4", "addr", "show").stdout.splitlines():
            fields = line.split()
            if "inet" in fields:
                address = ipaddress.IPv4Interface(fields[fields.index("inet") + 1])
                if address.ip in self.plan.subnet:
                    raise HostSetupError(
                        f"{self.plan.subnet} (the hosts of port base {self.topology.port_base}) is in use on "
                        f"{fields[1]}: choose another `--port-base` or `hosts.range` in the topology"
                    )

    def _make_host(self, host: OrgHost) -> None:
        ns, prefix = host.namespace, self.plan.subnet.prefixlen
        with contextlib.suppress(HostSetupError):
            _run("ip", "link", "del", host.veth)  # left from a namespace deleted by hand
        _run("ip", "netns", "add", ns)
        _run("ip", "link", "add", host.veth, "type", "veth", "peer", "name", host.inner_veth)
        _run("ip", "link", "set", host.inner_veth, "netns", ns)
        _run("ip", "link", "set", host.veth, "master", self.plan.bridge, "up")
        _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "-n", ns, "link", "set", host.inner_veth, "name", "eth0")
        _run("ip", "-n", ns, "addr", "add", f"{host.address}/{prefix}", "dev", "eth0")
        _run("ip", "-n", ns, "link", "set", "eth0", "up")

    def _rules(self) -> list[tuple[str, list[str]]]:
        """(table, rule) for every NAT and filter rule this network needs, each carrying our comment."""
        tag = ["-m", "comment", "--comment", self._tag]
        rules: list[tuple[str, list[str]]] = [
            # Bridged traffic between the orgs' hosts passes the filter table when br_netfilter is loaded
            # (Docker loads it and sets FORWARD's policy to DROP).
            ("filter", ["FORWARD", "-i", self.plan.bridge, "-o", self.plan.bridge, *tag, "-j", "ACCEPT"]),
            # Connections the operator makes to its 127.0.0.1 leave with its bridge address.
            (
                "nat",
                [
                    "POSTROUTING",
                    "-s",
                    "127.0.0.1/32",
                    "-o",
                    self.plan.bridge,
                    *tag,
                    "-j",
                    "SNAT",
                    "--to-source",
                    self.plan.host_address,
                ],
            ),
        ]
        for host in self.plan.orgs:
            ports = ",".join(map(str, host.ports))
            rules.append(
                (
                    "nat",
                    [
                        "OUTPUT",
                        "-d",
                        "127.0.0.1/32",
                        "-p",
                        "tcp",
                        "-m",
                        "multiport",
                        "--dports",
                        ports,
                        *tag,
                        "-j",
                        "DNAT",
                        "--to-destination",
                        host.address,
                    ],
                )
            )
        return rules

    def _publish(self) -> None:
        for table, rule in self._rules():
            chain, spec = rule[0], rule[1:]
            if _run("iptables", "-w", "-t", table, "-C", chain, *spec, check=False).returncode == 0:
                continue
            where = ["-I", chain, "1"] if table == "filter" else ["-A", chain]
            _run("iptables", "-w", "-t", table, *where, *spec)

    def teardown(self) -> None:
        """Remove our rules (every one with our comment), the namespaces and the bridge."""
        for table in ("nat", "filter"):
            listed = _run("iptables", "-w", "-t", table, "-S", check=False).stdout.splitlines()
            for line in listed:
                if line.startswith("-A ") and self._tag in line:
                    # `-S` prints the rule as it was added: replay it with -D (quotes around the comment go).
                    spec = line[3:].replace('"', "").split()
                    _run("iptables", "-w", "-t", table, "-D", *spec, check=False)
        namespaces, links = _namespaces(), _links()
        for host in self.hosts_made():
            if host.namespace in namespaces:
                _run("ip", "netns", "del", host.namespace)
            if host.veth in links:
                _run("ip", "link", "del", host.veth, check=False)
        if self.plan.bridge in links:
            _run("ip", "link", "del", self.plan.bridge)

    def hosts_made(self) -> tuple[OrgHost, ...]:
        """Every org host this data directory's network may have: its topology's, and those of orgs that joined
        the channel after that topology was read (`network.joined`), so a `down` through any view of the
        network removes a joined org's namespace and link too."""
        members = {o.name for o in self.topology.orgs}
        joinable = {j.org.name for j in self.topology.joining}
        later = [n for n in recorded_joined(self.layout) if n not in members and n in joinable]
        return self.plan.of(self.topology.with_joined(later)).orgs if later else self.plan.orgs

    def made(self) -> list[str]:
        """What of this network exists on the machine now (namespaces, links, rules): empty after teardown."""
        made = self.hosts_made()
        out = sorted(_namespaces() & {h.namespace for h in made})
        out += sorted(_links() & {self.plan.bridge, *(h.veth for h in made)})
        for table in ("nat", "filter"):
            rules = _run("iptables", "-w", "-t", table, "-S", check=False).stdout.splitlines()
            out += [r for r in rules if self._tag in r]
        return out

    # -- partitions -------------------------------------------------------------------------------------
    def partition(self, org_name: str) -> None:
        """Cut org's host off: its link to the bridge goes down (packets to and from it are lost, as on a
        failed uplink; nothing is refused). Raises HostSetupError (no such org, or `ip` failed)."""
        _run("ip", "link", "set", self._host(org_name).veth, "down")

    def heal(self, org_name: str) -> None:
        """Bring org's link to the bridge back up. Raises HostSetupError."""
        _run("ip", "link", "set", self._host(org_name).veth, "up")

    def _host(self, org_name: str) -> OrgHost:
        try:
            return self.plan.host(org_name)
        except KeyError as exc:
            raise HostSetupError(str(exc).strip("'\"")) from exc

    def cut_off(self) -> set[str]:
        """The orgs whose host is cut off now (`partition`): nothing on it answers the operator either."""
        return {h["org"] for h in self.describe() if h["link"] != "up"}

    def describe(self) -> list[dict[str, str]]:
        """Each org's host for `status`: namespace, address, and its link's state (`down` while cut off)."""
        out = []
        for host in self.plan.orgs:
            shown = _run("ip", "-o", "link", "show", host.veth, check=False).stdout
            flags = shown.partition("<")[2].partition(">")[0].split(",")
            link = "absent" if not shown else "up" if "UP" in flags else "down"
            out.append({"org": host.org.name, "namespace": host.namespace, "address": host.address, "link": link})
        return out

    # -- processes: the native runtime's, inside each org's namespace --------------------------------------
    def on_host(self, svc: Service) -> Service:
        """svc as it runs on its org's host: in its namespace, reading and writing its org's directory."""
        host = self.plan.host_of(svc.name)
        if host is None:
            return svc
        argv = [_tool("ip"), "netns", "exec", host.namespace, *svc.argv]
        cwd = Path(own_env(self.layout, host.org, {"cwd": str(svc.cwd)})["cwd"]) if svc.cwd else None
        return replace(svc, argv=argv, env=own_env(self.layout, host.org, svc.env), cwd=cwd)

    def check_ports(self, services: Sequence[Service]) -> None:
        """The operator's 127.0.0.1 publishes every port: it must be free there (PortInUseError)."""
        check_free_ports(services, self.running)

    def start(self, svc: Service) -> int:
        return self.native.start(self.on_host(svc))

    def stop(self, name: str) -> bool:
        return self.native.stop(name)

    def running(self, name: str) -> bool:
        return self.native.running(name)

    def pid(self, name: str) -> int | None:
        return self.native.pid(name)

    def names(self) -> list[str]:
        return self.native.names()

    def logs(self, name: str, lines: int) -> str | None:
        return self.native.logs(name, lines)
