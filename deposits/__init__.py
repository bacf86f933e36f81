"""The project's entry point: the `deposits` command, which drives network, chaincode, gateway and demo.

Public names: `main` (the console script), `build_parser`.
"""

from deposits.cli import build_parser, main

__all__ = ["build_parser", "main"]
