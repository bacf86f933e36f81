"""Benchmark the reference core's ledger in-process: fundings booked with their camt.054, one funding per
transaction and 1,000 in one camt.054, and pacs.008 payouts answered by pacs.002, on SQLite and PostgreSQL.

Usage: .venv/bin/python scripts/bench_core.py [--fundings N] [--payouts N] [--postgres]
--postgres starts a throwaway cluster (tests/postgres.py; Debian's server must be installed). Bounded: it
does exactly the requested counts. Numbers are operations per second of wall time (median of 3 rounds).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.money import Currencies
from core.schemas import FundingItem
from core.service import CoreService
from core.settings import DEFAULT_CURRENCIES
from core.store import Store
from tests.postgres import running_postgres
from tests.unit.core.messages import pacs008


def _service(url: str) -> CoreService:
    return CoreService(Store(url), Currencies(DEFAULT_CURRENCIES), bic="TKDPUS33XXX", notify=lambda: None)


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def bench(url: str, fundings: int, payouts: int) -> dict[str, str]:
    svc = _service(url)
    svc.open_dda("bench", "USD", "1000000000.00")
    out: dict[str, list[float]] = {"single": [], "batch": [], "payout": []}
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(fundings):
            svc.fund([FundingItem(dda="bench", amount="1.00")])
        out["single"].append(time.perf_counter() - t)
        t = time.perf_counter()
        svc.fund([FundingItem(dda="bench", amount="1.00")] * 1000)
        out["batch"].append(time.perf_counter() - t)
        messages = [
            pacs008(f"B-{time.time_ns()}-{i}", f"R-{time.time_ns()}-{i}", "1.00", "USD", dda="bench")
            for i in range(payouts)
        ]
        t = time.perf_counter()
        for xml in messages:
            svc.answer(xml)
        out["payout"].append(time.perf_counter() - t)
    svc.store.close()
    return {
        "fundings (1 per camt.054)": _rate(fundings, statistics.median(out["single"])),
        "fundings (1,000 per camt.054)": _rate(1000, statistics.median(out["batch"])),
        "pacs.008 payouts": _rate(payouts, statistics.median(out["payout"])),
    }


@contextlib.contextmanager
def _databases(postgres: bool) -> Iterator[list[tuple[str, str]]]:
    with tempfile.TemporaryDirectory() as tmp:
        dbs = [("sqlite", f"sqlite:///{tmp}/core.sqlite")]
        if not postgres:
            yield dbs
            return
        with running_postgres() as url:
            yield [*dbs, ("postgresql", url.replace("postgresql://", "postgresql+psycopg://"))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fundings", type=int, default=300)
    p.add_argument("--payouts", type=int, default=300)
    p.add_argument("--postgres", action="store_true")
    args = p.parse_args()
    with _databases(args.postgres) as dbs:
        for name, url in dbs:
            for what, rate in bench(url, args.fundings, args.payouts).items():
                print(f"{name:<11} {what:<32} {rate:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
