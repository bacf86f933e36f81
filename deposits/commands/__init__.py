"""Command groups of the `deposits` CLI: each module adds its groups with `register(sub)` and names the
failures an operator can meet in `EXPECTED_FAILURES` (printed as one line, not a traceback)."""

import argparse
from typing import TypeAlias

# argparse names this type privately; every group module receives one.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
