"""Bulk payouts (issue 11): payments per second carried as payouts of 100 and of 500 lines, through the
PlatformOrg gateway on the full network. Run against a network that is up:

    .venv/bin/python scripts/bench_payouts.py [--data-dir DIR] [--seconds 30] [--clients 4] [--lines 100 500]

Each client pays from its own account (a payout debits its payer once: payers never conflict), to payees
shared by all clients (credits are blind delta writes: they never conflict either). A payment is one
committed payout line.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.clients import api_keys
from network.layout import Layout, default_data_dir
from network.network import Network


def setup(bank: tuple[str, str], clients: int, payees: int) -> tuple[list[str], list[str]]:
    url, key = bank
    h = {"Authorization": f"Bearer {key}"}
    tag = uuid.uuid4().hex[:6]
    payers = [f"bp-{tag}-payer-{i}" for i in range(clients)]
    to = [f"bp-{tag}-{i:03d}" for i in range(payees)]
    with httpx.Client(base_url=url, timeout=120) as http, ThreadPoolExecutor(8) as pool:

        def open_(acct: str, holder: str) -> None:
            body = {"id": acct, "holder": holder, "kyc_ref": f"KYC-{acct}"}
            http.post("/v1/accounts", json=body, headers=h).raise_for_status()

        list(pool.map(lambda a: open_(a, "PlatformOrg/buyer-us"), payers))
        list(pool.map(lambda a: open_(a, "PlatformOrg/seller-cn"), to))
        for acct in payers:
            mint = {"account": acct, "currency": "USD", "amount": "1000000000.00", "reserve_ref": uuid.uuid4().hex}
            http.post("/v1/mints", json=mint, headers=h).raise_for_status()
    return payers, to


def run(buyer: tuple[str, str], payers: list[str], payees: list[str], lines: int, seconds: int) -> dict[str, object]:
    url, key = buyer
    lines_body = [{"to": p, "amount": "0.01", "reference": f"B-{i}"} for i, p in enumerate(payees[:lines])]
    outcomes: Counter[int] = Counter()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    def client(payer: str) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.monotonic() < deadline:
                started = time.monotonic()
                r = http.post(
                    "/v1/payouts",
                    json={"from": payer, "currency": "USD", "lines": lines_body},
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
                )
                outcomes[r.status_code] += 1
                if r.status_code == 201:
                    latencies.append(time.monotonic() - started)

    started = time.monotonic()
    with ThreadPoolExecutor(len(payers)) as pool:
        list(pool.map(client, payers))
    elapsed = time.monotonic() - started
    latencies.sort()
    committed = outcomes[201]
    return {
        "lines": lines,
        "payouts": committed,
        "payments_per_s": round(committed * lines / elapsed, 1),
        "payouts_per_s": round(committed / elapsed, 2),
        "p50_s": round(latencies[len(latencies) // 2], 3) if latencies else None,
        "statuses": dict(outcomes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--lines", type=int, nargs="+", default=[100, 500])
    args = parser.parse_args()
    keys = api_keys(Network.open(Layout(args.data_dir)))
    payers, payees = setup(keys["BankOrg/issuer"], args.clients, max(args.lines))
    for lines in args.lines:
        print(run(keys["PlatformOrg/buyer-us"], payers, payees, lines, args.seconds), flush=True)


if __name__ == "__main__":
    main()
