"""How many concurrent /v1/events clients one gateway holds, its memory with them, and the fan-out time.

Usage: .venv/bin/python scripts/sse_capacity.py [--data-dir DIR] [--org PlatformOrg] [--steps 250,1000,2000]
                                               [--streams-per-key N]
Start the network first (`deposits network up`). The front door allows each API key 100 streams (and 100
requests/s); an org has only a few dev keys, so with --streams-per-key the script restarts the org's gateway
with that cap (and the rate limit raised to match) for the run, and restarts it as configured at the end.
For each step it opens that many event streams to the org's gateway, spread over the org's identities,
waits until every one is connected, reads the gateway's resident memory, commits one transfer that every
one of those identities may see (a payment between two of the platform's holders), and times until every
stream has received it; then it closes them all. Bounded: the
steps given, each within --timeout seconds; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from gateway.directory import ensure_api_keys
from network.endpoints import gateway_name
from network.layout import Layout, default_data_dir
from network.native import NativeRuntime
from network.network import Network
from network.ports import topology_for
from network.topology import Org


def rss_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Stream:
    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.got = asyncio.Event()
        self.failed: str | None = None


async def follow(http: httpx.AsyncClient, key: str, marker: str, s: Stream) -> None:
    try:
        async with http.stream("GET", "/v1/events", headers={"Authorization": f"Bearer {key}"}) as r:
            if r.status_code != 200:
                s.failed = f"HTTP {r.status_code}"
                s.connected.set()
                return
            async for line in r.aiter_lines():
                if line.startswith(": connected"):
                    s.connected.set()
                elif line.startswith("data: ") and marker in line:
                    s.got.set()
    except (httpx.HTTPError, OSError) as exc:
        s.failed = type(exc).__name__
        s.connected.set()


async def step(url: str, keys: list[str], n: int, timeout: int, pay: object, pid: int) -> str:
    marker = f"SSE-{uuid.uuid4().hex[:12]}"
    streams = [Stream() for _ in range(n)]
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(timeout, read=None), limits=limits) as http:
        tasks = [asyncio.create_task(follow(http, keys[i % len(keys)], marker, s)) for i, s in enumerate(streams)]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(s.connected.wait() for s in streams))
        except TimeoutError:
            pass
        connected = sum(s.connected.is_set() and s.failed is None for s in streams)
        connect_s = time.perf_counter() - started
        memory = rss_mib(pid)
        sent = time.perf_counter()
        await asyncio.to_thread(pay, marker)  # type: ignore[arg-type]
        try:
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(s.got.wait() for s in streams if s.failed is None))
        except TimeoutError:
            pass
        fanout_s = time.perf_counter() - sent
        received = sum(s.got.is_set() for s in streams)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    failures = sorted({s.failed for s in streams if s.failed})
    return (
        f"{n:>5} streams: {connected} connected in {connect_s:.1f} s, gateway RSS {memory} MiB, "
        f"one event reached {received} of them in {fanout_s:.2f} s{'; failures ' + str(failures) if failures else ''}"
    )


@contextlib.contextmanager
def raised_caps(layout: Layout, org: Org, streams_per_key: int | None) -> Iterator[None]:
    """The org's gateway restarted with a per-key stream cap of streams_per_key (None: as it is)."""
    if streams_per_key is None:
        yield
        return
    net = Network.open(layout)
    service = net.gateway_service(org)
    caps = {
        "DEPOSITS_GATEWAY_STREAMS_PER_KEY": str(streams_per_key),
        "DEPOSITS_GATEWAY_RATE_PER_KEY": str(streams_per_key),
        "DEPOSITS_GATEWAY_BURST_PER_KEY": str(streams_per_key),
    }
    net.runtime.stop(service.name)
    net.runtime.start(dataclasses.replace(service, env={**service.env, **caps}))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{org.gateway_port}/healthz", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        yield
    finally:
        net.runtime.stop(service.name)
        net.start_gateways()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--org", default="PlatformOrg")
    ap.add_argument("--steps", default="250,1000,2000")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--streams-per-key", type=int, default=None)
    args = ap.parse_args()
    layout = Layout(args.data_dir)
    topo = topology_for(layout)
    org = topo.org(args.org)
    bank = topo.org("BankOrg")
    url = f"http://127.0.0.1:{org.gateway_port}"
    keys = list(ensure_api_keys(layout, org).values())
    bank_key = ensure_api_keys(layout, bank)["issuer"]
    platform_keys = ensure_api_keys(layout, topo.org("PlatformOrg"))
    if NativeRuntime(layout).pid(gateway_name(org)) is None:
        raise SystemExit(f"the {org.name} gateway is not running: `deposits network up` first")

    with raised_caps(layout, org, args.streams_per_key), httpx.Client(timeout=60) as http:
        pid = NativeRuntime(layout).pid(gateway_name(org))
        assert pid is not None
        bank_url = f"http://127.0.0.1:{bank.gateway_port}"
        platform_url = f"http://127.0.0.1:{topo.org('PlatformOrg').gateway_port}"

        def post(base: str, key: str, path: str, body: object) -> None:
            headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
            r = http.post(base + path, json=body, headers=headers)
            if r.status_code != 201:
                raise SystemExit(f"{path}: {r.status_code} {r.text}")

        src, dst = f"sse-{uuid.uuid4().hex[:8]}", f"sse-{uuid.uuid4().hex[:8]}"
        for acct, holder in ((src, "buyer-us"), (dst, "seller-cn")):
            post(bank_url, bank_key, "/v1/accounts", {"id": acct, "holder": f"PlatformOrg/{holder}", "kyc_ref": "K"})
        reserve = f"RES-{uuid.uuid4().hex}"
        post(
            bank_url,
            bank_key,
            "/v1/mints",
            {"account": src, "currency": "USD", "amount": "100.00", "reserve_ref": reserve},
        )

        def pay(marker: str) -> None:
            body = {"from": src, "to": dst, "currency": "USD", "amount": "0.01", "reference": marker}
            post(platform_url, platform_keys["buyer-us"], "/v1/transfers", body)

        print(f"{org.name} gateway (pid {pid}), idle RSS {rss_mib(pid)} MiB; identities {len(keys)}")
        for n in (int(x) for x in args.steps.split(",")):
            print(asyncio.run(step(url, keys, n, args.timeout, pay, pid)), flush=True)
            time.sleep(2)
        print(f"after closing them: gateway RSS {rss_mib(pid)} MiB")


if __name__ == "__main__":
    main()
