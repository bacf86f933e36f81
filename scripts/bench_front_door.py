"""What one gateway withstands (issue 16): committed transfers/s at 32 and at 256 concurrent clients, and
its memory while ten anonymous 300 MB bodies arrive. Run against a network that is up:

    .venv/bin/python scripts/bench_front_door.py [--data-dir DIR] [--seconds 30] [--client go|python]

The load client is a small Go program (bench/loadgen, built once with `go`): a Python one on the same two
cores cost as much CPU as the gateway it measured, and more per request at 256 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.clients import api_keys
from bench.http_load import run_loadgen
from bench.scenarios import Load
from network.layout import Layout, default_data_dir
from network.network import Network

MB = 1 << 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(net: Network) -> dict[str, float]:
    """CPU seconds (user + system) each of the network's processes has used so far, and this one's."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name in [*net.all_service_names(), "load client"]:
        pid = os.getpid() if name == "load client" else net.runtime.pid(name)
        if pid is None:
            continue
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out[name] = (int(fields[11]) + int(fields[12])) / tick
    return out


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
    """`clients` concurrent clients, each paying in a loop for `seconds`. One asyncio loop drives them all, so
    the load generator itself stays cheap at 256 clients (256 threads on 2 cores measured the client)."""
    return asyncio.run(_load(buyer, payers, payee, clients, seconds))


async def _load(
    buyer: tuple[str, str], payers: list[str], payee: str, clients: int, seconds: float
) -> dict[str, object]:
    url, key = buyer
    stop = time.monotonic() + seconds
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    in_window = [0]  # commits answered before `stop`: the steady rate, without the queue draining after it

    async def client(i: int) -> None:
        # One connection per client, each with its own pool: httpcore's shared pool costs the load generator
        # time that grows with the number of waiting requests (it ate the 2 cores at 256 clients).
        async with httpx.AsyncClient(base_url=url, timeout=120) as http:
            while time.monotonic() < stop:
                body = {"from": payers[i], "to": payee, "currency": "USD", "amount": "0.01", "reference": "B"}
                headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
                started = time.monotonic()
                try:
                    r = await http.post("/v1/transfers", json=body, headers=headers)
                except httpx.TransportError as exc:
                    outcomes[f"transport {type(exc).__name__}"] += 1
                    continue
                outcomes[str(r.status_code)] += 1
                if r.status_code == 201:
                    latencies.append(time.monotonic() - started)
                    if time.monotonic() <= stop:
                        in_window[0] += 1
                elif r.status_code in (429, 503):
                    await asyncio.sleep(int(r.headers.get("Retry-After", "1")))

    began = stop - seconds
    await asyncio.gather(*(client(i) for i in range(clients)))
    took = time.monotonic() - began
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    return {
        "clients": clients,
        "committed_per_s": round(in_window[0] / seconds, 1),
        "drain_s": round(took - seconds, 1),
        "p50_s": round(p50, 3),
        "outcomes": dict(outcomes),
    }


def go_load(buyer: tuple[str, str], payers: list[str], payee: str, clients: int, seconds: int) -> dict[str, object]:
    url, key = buyer
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = Load(payers[:clients], [payee] * clients, seconds, 0, "USD", "0.01", 1)
    row: dict[str, object] = run_loadgen(url, key, load)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row["load_client_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    for detail in ("per_payer", "per_payee"):
        row.pop(detail)
    return row


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
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument(
        "--client", choices=["go", "python"], default="go", help="the load client (default: the cheap Go one)"
    )
    args = p.parse_args()
    net = Network.open(Layout(args.data_dir))
    k = api_keys(net)
    payers, payee = setup_accounts(k["BankOrg/issuer"], 256)
    out = {
        "anonymous_300mb_bodies_x10": bodies(net, k["PlatformOrg/buyer-us"][0]),
        "load": [],
    }
    for n in (32, 256):
        before = cpu_seconds(net)
        run = go_load if args.client == "go" else load
        row = run(k["PlatformOrg/buyer-us"], payers, payee, n, args.seconds)
        after = cpu_seconds(net)
        row["cpu_s"] = {name: round(after[name] - before.get(name, 0.0), 1) for name in after}
        out["load"].append(row)  # type: ignore[attr-defined]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
