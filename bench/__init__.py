"""`deposits bench`: named throughput scenarios run side by side against a running network, each bounded by
count and time, each explained (latency per Fabric step, CPU seconds per committed transaction per process
kind, memory, failures by code) and each checked afterwards (balances moved by exactly what committed).

Public names: `SCENARIOS`, `BenchSettings`, `run_bench`, `format_table`.
"""

from bench.report import format_table
from bench.run import BenchSettings, run_bench
from bench.scenarios import SCENARIOS

__all__ = ["SCENARIOS", "BenchSettings", "format_table", "run_bench"]
