"""Read-your-writes across orgs: a request may name the block its client has seen (`Min-Block`), and this
gateway acts only once its own org's peer has committed that block.

Each org's peer commits every block on its own schedule, so a write answered by one org's gateway (with its
`block_number`) may reach another org's peer a few milliseconds later. A client that then reads, or writes on
what it read, through another org's gateway sends that block number; the gateway waits for its peer, bounded,
rather than answer from the state before it (a 404, or a refusal such as INSUFFICIENT_FUNDS on a balance it
has not seen yet).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.directory import Caller
from gateway.errors import LedgerBehind
from gateway.ledger import Ledger

# A block this far past the peer's height is not waited for: it will not arrive within any wait here.
MAX_AHEAD = 1_000


@dataclass(frozen=True, slots=True)
class BlockWait:
    """How long a request waits for its `Min-Block` (milliseconds), and how often the peer is asked."""

    within_ms: int = 3_000
    every_ms: int = 50


def await_block(
    ledger: Ledger,
    reader: Caller,
    block: int,
    wait: BlockWait,
    *,
    clock: Callable[[], int] = time.monotonic_ns,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Return the peer's height once it is above `block` (it has committed that block), asking as `reader`.

    Raises LedgerBehind when it is not within `wait` (at once when the block is more than MAX_AHEAD past the
    height), LedgerUnavailable when the peer cannot be asked.
    """
    deadline = clock() + wait.within_ms * 1_000_000
    while True:
        height = ledger.height(reader)
        if height > block:
            return height
        if block - height >= MAX_AHEAD or clock() >= deadline:
            raise LedgerBehind(f"this org's peer has committed blocks up to {height - 1}, not yet block {block}")
        sleep(wait.every_ms / 1000)
