"""`deposits bench`: throughput scenarios against the running network, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from bench import SCENARIOS, BenchSettings, format_table, run_bench
from deposits.commands import Subcommands


def cmd_bench(args: argparse.Namespace) -> int:
    names = tuple(args.scenarios.split(",")) if args.scenarios else tuple(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(
            f"deposits bench: unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}", file=sys.stderr
        )
        return 2
    settings = BenchSettings(args.data_dir, names, seconds=args.seconds, count=args.count)
    result = run_bench(settings, progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=2) if args.json else format_table(result))
    return 0


def register(sub: Subcommands) -> None:
    """Add the bench command to the `deposits` parser."""
    b = sub.add_parser(
        "bench",
        help="run throughput scenarios against the running network",
        description="Scenarios: " + "; ".join(f"{s.name}: {s.about}" for s in SCENARIOS.values()),
    )
    b.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    b.add_argument("--seconds", type=int, default=20, help="time bound per scenario (default: %(default)s)")
    b.add_argument("--count", type=int, default=4000, help="transaction bound per scenario (default: %(default)s)")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    b.set_defaults(func=cmd_bench)


EXPECTED_FAILURES: tuple[type[BaseException], ...] = (RuntimeError,)
