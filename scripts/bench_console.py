"""Benchmark the web console of a running network: page latency per role, and how soon a payment reaches a
payee's live feed.

Usage: .venv/bin/python scripts/bench_console.py [--data-dir DIR] [--requests N] [--payments N]
Start the network first (`deposits network up`). Signs in to each org's console as its dev identities
(httpx, as a browser would: sign-in form, CSRF token, session cookie), GETs each identity's home page N
times, then pays N times through the API and times each payment from its 201 to its row on the payee's
`/console/feed`. Bounded: it sends exactly the requested counts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import threading
import time
import uuid
from pathlib import Path

import httpx

from network.layout import Layout, default_data_dir
from network.network import Network

HOME = {"auditor": "auditor", "issuer": "bank", "compliance": "bank", "holder": "member", "operator": "operator"}


def signed_in(url: str, key: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post("/console/sign-in", data={"csrf_token": token.group(1), "api_key": key})
    assert r.status_code == 303, r.text
    return client


def ms(ns: int) -> str:
    return f"{ns // 100_000 / 10} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--payments", type=int, default=20)
    args = ap.parse_args()
    net = Network.open(Layout(args.data_dir))
    ids = {i["ref"]: (gw["url"], i["api_key"], i["role"]) for gw in net.gateways_status() for i in gw["identities"]}

    bank_url, bank_key, _ = ids["BankOrg/issuer"]
    buyer_url, buyer_key, _ = ids["PlatformOrg/buyer-us"]
    seller_url, seller_key, _ = ids["PlatformOrg/seller-cn"]
    bank = httpx.Client(base_url=bank_url, timeout=60, headers={"Authorization": f"Bearer {bank_key}"})
    buyer = httpx.Client(base_url=buyer_url, timeout=60, headers={"Authorization": f"Bearer {buyer_key}"})
    suffix = uuid.uuid4().hex[:8]
    payer, payee = f"bench-buyer-{suffix}", f"bench-seller-{suffix}"
    for acct, holder in ((payer, "PlatformOrg/buyer-us"), (payee, "PlatformOrg/seller-cn")):
        bank.post("/v1/accounts", json={"id": acct, "holder": holder, "kyc_ref": "KYC-BENCH"}).raise_for_status()
    mint = {"account": payer, "currency": "USD", "amount": "1000000", "reserve_ref": f"RES-{suffix}"}
    bank.post("/v1/mints", json=mint).raise_for_status()

    arrived: dict[str, int] = {}
    ready = threading.Event()
    seller = signed_in(seller_url, seller_key)

    def listen() -> None:
        with seller.stream("GET", "/console/feed", timeout=None) as stream:
            ready.set()
            for line in stream.iter_lines():
                found = re.search(r'data-tx="([0-9a-f]{64})"', line)
                if found:
                    arrived[found.group(1)] = time.perf_counter_ns()
                    if len(arrived) >= args.payments:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(10)
    answered: dict[str, int] = {}
    for n in range(args.payments):
        body = {"from": payer, "to": payee, "currency": "USD", "amount": "1.00", "reference": f"INV-B-{n}"}
        r = buyer.post("/v1/transfers", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        r.raise_for_status()
        answered[r.json()["tx_id"]] = time.perf_counter_ns()
    listener.join(30)
    lags = sorted(arrived[tx] - at for tx, at in answered.items() if tx in arrived)
    print(
        f"live feed: {len(lags)}/{args.payments} payments on the payee's feed; from the payer's 201 to the row: "
        f"p50 {ms(int(statistics.median(lags)))}, max {ms(lags[-1])} (negative: the row came first)"
    )
    print(f"page latency, {args.requests} sequential GETs of each identity's home page (after the payments):")
    for ref, (url, key, role) in ids.items():
        client = signed_in(url, key)
        times = []
        for _ in range(args.requests):
            started = time.perf_counter_ns()
            r = client.get(f"/console/{HOME[role]}")
            times.append(time.perf_counter_ns() - started)
            assert r.status_code == 200, r.text
        client.close()
        times.sort()
        p95 = times[len(times) * 95 // 100 - 1]
        print(f"  {ref:24} p50 {ms(int(statistics.median(times)))}  p95 {ms(p95)}  ({len(r.content)} bytes)")

    seller.close()
    bank.close()
    buyer.close()


if __name__ == "__main__":
    main()
