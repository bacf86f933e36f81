"""`deposits network|fabric|chaincode|demo`: run the consortium network and the payment story."""

from __future__ import annotations

import argparse
import json
import sys

from deposits.commands import Subcommands
from network.compose import ComposeError
from network.endpoints import RUNTIMES
from network.fabric_build import FabricBuildError, ensure_binaries
from network.fabric_cli import FabricCommandError
from network.health import NodeStartError
from network.hosts import HOSTS
from network.layout import Layout
from network.netns import HostSetupError, NetnsRuntime
from network.network import Network
from network.ports import PortBaseMismatchError
from network.runtime import PortInUseError, RuntimeMismatchError
from network.topology import TopologyError, load_topology


def _network(args: argparse.Namespace) -> Network:
    runtime = HOSTS if getattr(args, "hosts", None) == "netns" else getattr(args, "runtime", None)
    return Network.open(Layout(args.data_dir), args.topology, runtime, getattr(args, "port_base", None))


def _hosts(args: argparse.Namespace) -> NetnsRuntime:
    runtime = _network(args).runtime
    if not isinstance(runtime, NetnsRuntime):
        raise HostSetupError(f"{args.data_dir} runs on one host ({runtime.kind}): partitions need `up --hosts netns`")
    return runtime


def cmd_partition(args: argparse.Namespace) -> int:
    _hosts(args).partition(args.org)
    print(f"{args.org}'s host is cut off (its link to the bridge is down); `deposits network heal {args.org}`")
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    _hosts(args).heal(args.org)
    print(f"{args.org}'s host is reachable again")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    _network(args).up()
    return 0


def cmd_add_org(args: argparse.Namespace) -> int:
    from network.add_org import add_org

    net = _network(args)
    try:
        joined = add_org(net, args.name)
    except KeyError as exc:
        print(f"add-org: {exc.args[0]}", file=sys.stderr)
        return 2
    org = joined.topology.org(args.name)
    print(f"{org.name} ({org.msp_id}) joined {joined.topology.channel}: gateway http://127.0.0.1:{org.gateway_port}")
    return 0


def cmd_compose_file(args: argparse.Namespace) -> int:
    from network.compose.examples import example_compose_file

    if args.example:
        print(example_compose_file(), end="")
        return 0
    path = Layout(args.data_dir).compose / "docker-compose.yaml"
    if not path.exists():
        print(f"no compose file under {path.parent}: run `deposits network up --runtime compose`", file=sys.stderr)
        return 2
    print(path.read_text(), end="")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stopped = _network(args).down()
    print(f"stopped {len(stopped)} process(es)" + (": " + ", ".join(stopped) if stopped else ""))
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    _network(args).clean()
    print(f"removed {args.data_dir}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    status = _network(args).status()
    if args.json:
        print(json.dumps(status, indent=2, sort_keys=True))
        return 0
    ch = status["channel"]
    print(
        f"channel {ch['name']}: members {', '.join(ch['members']) or '-'}; "
        f"consenters {', '.join(ch['consenters']) or '-'}; raft leader {ch['raft_leader'] or '-'}"
    )
    for n in status["nodes"]:
        height = "-" if n["height"] is None else n["height"]
        print(f"  {n['name']:<32} {n['kind']:<8} {n['health']:<10} height {height}")
    cc = status["chaincode"]
    print(
        f"  chaincode {cc['name']} {cc['version'] or '-'} sequence {cc['sequence'] or '-'}"
        f"{' (code changed: deposits chaincode upgrade)' if cc['version'] and not cc['current_code'] else ''}"
    )
    for gw in status.get("gateways", []):
        state = "running" if gw["running"] else "stopped"
        print(f"  gateway {gw['org']:<24} {state:<8} {gw['url']}  (API keys: status --json)")
    for core in status.get("cores", []):
        print(f"  core    {core['org']:<24} {'running' if core['running'] else 'stopped':<8} {core['url']}")
    for host in status.get("hosts", []):
        print(f"  host    {host['org']:<24} {host['address']:<15} namespace {host['namespace']} (link {host['link']})")
    return 0


def cmd_fabric_build(args: argparse.Namespace) -> int:
    bindir = ensure_binaries(load_topology(args.topology).fabric)
    print(bindir)
    return 0


def cmd_chaincode_upgrade(args: argparse.Namespace) -> int:
    net = _network(args)
    net.deploy_chaincode(restart_servers=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from gateway.demo import DemoError, run_demo

    net = _network(args)
    try:
        # The bank's reference core, when the topology runs one: the demo then funds tokens from it.
        core_port = getattr(net.topology.org("BankOrg"), "core_port", None)
        run_demo(net.gateways_status(), core_url=None if core_port is None else f"http://127.0.0.1:{core_port}")
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    net = _network(args)
    out = net.runtime.logs(args.node, args.lines)
    if out is None:
        print(f"no log for {args.node!r} ({net.runtime.kind} runtime, {args.data_dir})", file=sys.stderr)
        return 2
    print(out)
    return 0


def register(sub: Subcommands) -> None:
    """Add the network, fabric, chaincode and demo groups to the `deposits` parser."""

    net = sub.add_parser("network", help="run the consortium network").add_subparsers(dest="action", required=True)
    up = net.add_parser("up", help="start (or resume) the network")
    up.add_argument(
        "--runtime",
        choices=sorted(RUNTIMES),
        default=None,
        help="native processes or containers (docker compose); default: the data directory's, else native",
    )
    up.add_argument(
        "--port-base",
        type=int,
        default=None,
        metavar="PORT",
        help="move every port of the topology so the lowest is PORT (run several networks side by side); "
        "default: the data directory's, else the topology file's (7050)",
    )
    up.add_argument(
        "--hosts",
        choices=["netns"],
        default=None,
        help="netns: each org on its own host, a Linux network namespace with its own address (root only; "
        'README "The consortium across hosts")',
    )
    up.set_defaults(func=cmd_up)
    for name, func, text in (
        ("partition", cmd_partition, "cut an org's host off from the others (--hosts netns)"),
        ("heal", cmd_heal, "reconnect an org's host cut off by `partition`"),
    ):
        cut = net.add_parser(name, help=text)
        cut.add_argument("org", help="the org's name or MSP ID, e.g. BankOrg")
        cut.set_defaults(func=func)
    add = net.add_parser("add-org", help="join an org the topology lists under `joining:` to the running channel")
    add.add_argument("name", help="the joining org's name (or MSP ID), e.g. EuroBankOrg")
    add.set_defaults(func=cmd_add_org)
    net.add_parser("down", help="stop every process, keep data").set_defaults(func=cmd_down)
    net.add_parser("clean", help="stop and delete the data directory").set_defaults(func=cmd_clean)
    st = net.add_parser("status", help="health, heights, channel members and consenters")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    lg = net.add_parser("logs", help="the tail of one node's log")
    lg.add_argument("node")
    lg.add_argument("-n", "--lines", type=int, default=100)
    lg.set_defaults(func=cmd_logs)
    cf = net.add_parser("compose-file", help="print the data directory's generated docker-compose.yaml")
    cf.add_argument("--example", action="store_true", help="print the committed example instead (fixed paths)")
    cf.set_defaults(func=cmd_compose_file)
    fab = sub.add_parser("fabric", help="Fabric's binaries").add_subparsers(dest="action", required=True)
    fab.add_parser("build", help="build (or find cached) peer, orderer, ... and print their folder").set_defaults(
        func=cmd_fabric_build
    )
    cc = sub.add_parser("chaincode", help="the deposits chaincode").add_subparsers(dest="action", required=True)
    cc.add_parser(
        "upgrade", help="restart the chaincode servers with the current code and commit a new definition sequence"
    ).set_defaults(func=cmd_chaincode_upgrade)
    sub.add_parser("demo", help="run the payment story against the running gateways").set_defaults(func=cmd_demo)


# What an operator can meet and act on: each prints one line (plus a log tail) instead of a traceback.
EXPECTED_FAILURES = (
    PortInUseError,
    PortBaseMismatchError,
    RuntimeMismatchError,
    FabricBuildError,
    FabricCommandError,
    NodeStartError,
    TimeoutError,
    ComposeError,
    TopologyError,
    HostSetupError,
)
