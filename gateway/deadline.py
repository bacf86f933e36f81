"""A request's time budget in whole seconds, on the monotonic clock (integer nanoseconds: no float clock)."""

from __future__ import annotations

import time


class Deadline:
    def __init__(self, seconds: int) -> None:
        self._end = time.monotonic_ns() + seconds * 1_000_000_000

    def remaining(self) -> int:
        """Seconds left, rounded up, at least 1 (a gRPC deadline of 0 would mean no deadline at all)."""
        left = self._end - time.monotonic_ns()
        return max(1, -(-left // 1_000_000_000))

    def expired(self) -> bool:
        return time.monotonic_ns() >= self._end
