"""`deposits`: the parser and the one place where expected failures become one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from deposits.commands import bench as bench_commands
from deposits.commands import books as books_commands
from deposits.commands import core as core_commands
from deposits.commands import network as network_commands
from network.layout import default_data_dir
from network.topology import DEFAULT_TOPOLOGY

GROUPS = (network_commands, bench_commands, core_commands, books_commands)
EXPECTED_FAILURES: tuple[type[BaseException], ...] = tuple(e for g in GROUPS for e in g.EXPECTED_FAILURES)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="deposits", description="Tokenized deposits on a Fabric consortium")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=default_data_dir(),
        help="where crypto, ledgers, logs and pid files live (default: %(default)s)",
    )
    p.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="group", required=True)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EXPECTED_FAILURES as exc:
        print(f"deposits: {exc}", file=sys.stderr)
        return 1
