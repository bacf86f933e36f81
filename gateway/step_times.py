"""How long each Fabric step of a write takes in this gateway (endorse, submit, commit wait), exported on
/metrics as one histogram so a benchmark can split a transaction's latency without tracing it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

# Seconds; commits on this network take BatchTimeout (100 ms) plus validation, endorsements a few ms.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Step(StrEnum):
    ENDORSE = "endorse"  # proposal signed, sent to the peer's Gateway, endorsements collected
    SUBMIT = "submit"  # the envelope handed to the orderer (first attempt)
    COMMIT = "commit"  # waiting for the commit status (resubmissions included)


class StepTimes(Collector):
    """Thread-safe fixed-bucket histograms, one per step."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets = {s: [0] * len(BUCKETS) for s in Step}
        self._count = dict.fromkeys(Step, 0)
        self._sum_ns = dict.fromkeys(Step, 0)

    @contextmanager
    def timed(self, step: Step) -> Iterator[None]:
        started = time.perf_counter_ns()
        try:
            yield
        finally:
            self.observe(step, time.perf_counter_ns() - started)

    def observe(self, step: Step, nanoseconds: int) -> None:
        seconds = nanoseconds / 1e9
        with self._lock:
            self._count[step] += 1
            self._sum_ns[step] += nanoseconds
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._buckets[step][i] += 1

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(
            "gateway_fabric_step_seconds", "time spent in each Fabric step of a write", labels=["step"]
        )
        with self._lock:
            for step in Step:
                buckets = [(str(b), n) for b, n in zip(BUCKETS, self._buckets[step], strict=True)]
                buckets.append(("+Inf", self._count[step]))
                family.add_metric([step.value], buckets, self._sum_ns[step] / 1e9)
        yield family
