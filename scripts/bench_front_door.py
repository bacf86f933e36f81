"""What one gateway withstands (issue 16): committed transfers/s at 32 and at 256 concurrent clients, and
its memory while ten anonymous 300 MB bodies arrive. Run against a network that is up:

    .venv/bin/python scripts/bench_front_door.py [--data-dir DIR] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from network.layout import Layout, default_data_dir
from network.network import Network

MB = 1 << 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def keys(net: Network) -> dict[str, tuple[str, str]]:
    return {i["ref"]: (gw["url"], i["api_key"]) for gw in net.gateways_status() for i in gw["identities"]}


def setup_accounts(bank: tuple[str, str], n: int) -> tuple[list[str], str]:
    url, key = bank
    h = {"Authorization": f"Bearer {key}"}
    payers = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(n)]
    payee = f"bench-payee-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=url, timeout=60) as http:

        def open_and_fund(acct: str, holder: str, fund: bool) -> None:
            body = {"id": acct, "holder": holder, "kyc_ref": "KYC"}
            http.post("/v1/accounts", json=body, headers={**h, "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()
            if fund:
                mint = {"account": acct, "currency": "USD", "amount": "100000.00", "reserve_ref": uuid.uuid4().hex}
                http.post("/v1/mints", json=mint, headers={**h, "Idempotency-Key": uuid.uuid4().hex}).raise_for_status()

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda a: open_and_fund(a, "PlatformOrg/buyer-us", True), payers))
        open_and_fund(payee, "PlatformOrg/seller-cn", False)
    return payers, payee


def load(buyer: tuple[str, str], payers: list[str], payee: str, clients: int, seconds: float) -> dict[str, object]:
    url, key = buyer
    stop = time.monotonic() + seconds
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.monotonic() < stop:
                body = {"from": payers[i], "to": payee, "currency": "USD", "amount": "0.01", "reference": "B"}
                started = time.monotonic()
                r = http.post(
                    "/v1/transfers",
                    json=body,
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
                )
                with lock:
                    outcomes[str(r.status_code)] += 1
                    if r.status_code == 201:
                        latencies.append(time.monotonic() - started)
                if r.status_code == 503:
                    time.sleep(int(r.headers.get("Retry-After", "1")))

    began = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    took = time.monotonic() - began
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    return {
        "clients": clients,
        "committed_per_s": round(outcomes["201"] / took, 1),
        "p50_s": round(p50, 3),
        "outcomes": dict(outcomes),
    }


def bodies(net: Network, url: str) -> dict[str, float]:
    org = net.topology.org("PlatformOrg")
    pid = net.runtime.pid(f"gateway.{org.domain}")
    assert pid is not None
    before = rss_mb(pid)
    peak = [before]

    def upload(_: int) -> None:
        def chunks() -> object:
            for _ in range(300):
                peak[0] = max(peak[0], rss_mb(pid))
                yield b"x" * MB

        try:
            with httpx.Client(timeout=60) as http:
                http.post(f"{url}/v1/transfers", content=chunks())  # type: ignore[arg-type]
        except httpx.TransportError:
            pass

    with ThreadPoolExecutor(10) as pool:
        list(pool.map(upload, range(10)))
    return {"rss_before_mb": round(before, 1), "rss_peak_mb": round(peak[0], 1), "rss_after_mb": round(rss_mb(pid), 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", type=Path, default=default_data_dir())
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    net = Network.open(Layout(args.data_dir))
    k = keys(net)
    payers, payee = setup_accounts(k["BankOrg/issuer"], 256)
    out = {
        "anonymous_300mb_bodies_x10": bodies(net, k["PlatformOrg/buyer-us"][0]),
        "load": [load(k["PlatformOrg/buyer-us"], payers, payee, n, args.seconds) for n in (32, 256)],
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
