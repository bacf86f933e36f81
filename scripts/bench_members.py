"""Members at scale (issue 9): enroll N members (10,000 by default) at PlatformOrg's gateway, and measure
enrollments/s, authentication latency with 10 and with N keys (GET /v1/me over HTTP, and the database
lookup alone), and the gateway's memory. Run against a network that is up:

    .venv/bin/python scripts/bench_members.py [--data-dir DIR] [--members 10000] [--clients 8]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from gateway.members import MemberStore, key_digest
from network.endpoints import gateway_name
from network.layout import Layout, default_data_dir
from network.network import Network

ORG = "PlatformOrg"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def operator_keys(url: str, operator_key: str, count: int) -> list[str]:
    """count API keys of the operator (one per client: each key has its own rate cap, 100/s by default)."""
    with httpx.Client(base_url=url, timeout=30) as http:
        return [
            http.post("/v1/members/operator/keys", headers={"Authorization": f"Bearer {operator_key}"}).json()[
                "api_key"
            ]
            for _ in range(count)
        ]


def enroll(url: str, keys: list[str], count: int, clients: int, prefix: str) -> list[str]:
    """Enroll count members with `clients` concurrent connections, each with its own operator key."""

    def one(i: int, http: httpx.Client) -> str:
        body = {"name": f"{prefix}-{i}", "role": "holder", "legal_name": f"Bench supplier {i}", "country": "CN"}
        r = http.post("/v1/members", json=body, headers={"Authorization": f"Bearer {keys[i % clients]}"})
        if r.status_code != 201:
            raise RuntimeError(f"enrollment {i}: {r.status_code} {r.text}")
        key: str = r.json()["api_key"]
        return key

    pool = [httpx.Client(base_url=url, timeout=60) for _ in range(clients)]
    try:
        with ThreadPoolExecutor(clients) as ex:
            return list(ex.map(lambda i: one(i, pool[i % clients]), range(count)))
    finally:
        for http in pool:
            http.close()


def http_auth_ms(url: str, keys: list[str], requests: int) -> list[float]:
    """Latency of GET /v1/me, one request at a time, each with the next key (no key near its rate cap)."""
    samples = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(requests):
            started = time.perf_counter()
            r = http.get("/v1/me", headers={"Authorization": f"Bearer {keys[i % len(keys)]}"})
            samples.append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"/v1/me: {r.status_code} {r.text}")
    return samples


def lookup_us(db: Path, keys: list[str], rounds: int) -> float:
    """Median microseconds of the indexed digest lookup alone (the database the gateway uses)."""
    store = MemberStore(db)
    try:
        samples = []
        for i in range(rounds):
            digest = key_digest(keys[i % len(keys)])
            started = time.perf_counter()
            assert store.member_of_key(digest) is not None
            samples.append((time.perf_counter() - started) * 1e6)
        return statistics.median(samples)
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    net = Network.open(Layout(args.data_dir))
    org = net.topology.org(ORG)
    gateway = next(g for g in net.gateways_status() if g["org"] == ORG)
    url = gateway["url"]
    operator_key = next(i["api_key"] for i in gateway["identities"] if i["name"] == "operator")
    # The operator's keys share its rate cap (100 requests/s): lift it for the run, restore it at the end.
    service = net.gateway_service(org)
    lifted = {"DEPOSITS_GATEWAY_RATE_PER_KEY": "1000000", "DEPOSITS_GATEWAY_BURST_PER_KEY": "1000000"}
    net.runtime.stop(service.name)
    net.runtime.start(dataclasses.replace(service, env={**service.env, **lifted}))
    try:
        _wait(url)
        return _run(net, args, url, operator_key)
    finally:
        net.runtime.stop(service.name)
        net.start_gateways()


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come back")


def _run(net: Network, args: argparse.Namespace, url: str, operator_key: str) -> int:
    org = net.topology.org(ORG)
    pid = net.runtime.pid(gateway_name(org))
    assert pid is not None, "PlatformOrg's gateway is not running: deposits network up"
    db = net.layout.gateways / ORG / "members.sqlite3"
    prefix = f"bench-{uuid.uuid4().hex[:6]}"

    rss_before = rss_mb(pid)
    before = MemberStore(db)
    members_before = before.count()
    before.close()
    onboarders = operator_keys(url, operator_key, args.clients)
    first = enroll(url, onboarders[:1], 10, 1, f"{prefix}-a")
    auth_10 = http_auth_ms(url, first, 500)
    lookup_10 = lookup_us(db, first, 5000)
    started = time.perf_counter()
    rest = enroll(url, onboarders, args.members - 10, args.clients, f"{prefix}-b")
    seconds = time.perf_counter() - started
    keys = first + rest
    auth_n = http_auth_ms(url, keys, 500)
    lookup_n = lookup_us(db, keys, 5000)
    rss_after = rss_mb(pid)

    n = len(keys)
    print(f"members in the database before: {members_before}, enrolled now: {n}")
    print(f"enrollment: {len(rest)} in {seconds:.1f} s = {len(rest) / seconds:.0f}/s ({args.clients} clients)")
    for label, http, lookup in ((f"{len(first)} keys", auth_10, lookup_10), (f"{n} keys", auth_n, lookup_n)):
        print(
            f"auth with {label:>11}: GET /v1/me p50 {percentile(http, 0.5):.2f} ms,"
            f" p99 {percentile(http, 0.99):.2f} ms;"
            f" digest lookup median {lookup:.1f} µs"
        )
    print(f"PlatformOrg gateway RSS: {rss_before:.0f} MiB before, {rss_after:.0f} MiB after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
