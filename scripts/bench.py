"""Benchmark a running network: commit latency, hot-account throughput, and each process's memory.

Usage: .venv/bin/python scripts/bench.py [--data-dir DIR] [--sequential N] [--concurrent N] [--threads T]
Start the network first (`deposits network up`). Talks to BankOrg's peer as the issuer through our
Fabric Gateway client; every transaction is a mint into one hot account, so the concurrent phase shows
whether credits to one account conflict (they must not). Bounded: it sends exactly the requested count.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chaincode import protocol
from gateway import fabric
from gateway.directory import Directory
from network.layout import Layout, default_data_dir
from network.native import NativeRuntime
from network.pki import OrgCrypto
from network.ports import topology_for


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=default_data_dir())
    ap.add_argument("--sequential", type=int, default=50)
    ap.add_argument("--concurrent", type=int, default=400)
    ap.add_argument("--threads", type=int, default=32)
    args = ap.parse_args()
    layout = Layout(args.data_dir)
    topo = topology_for(layout)
    bank = topo.org("BankOrg")
    crypto = OrgCrypto(layout.crypto, bank)
    identity, signer = fabric.load_msp(crypto.user_msp("issuer"), bank.msp_id)
    tls = crypto.user_tls("issuer")  # the peers require a TLS client certificate
    holder = Directory(topo, layout, topo.org("PlatformOrg")).holder("PlatformOrg/seller-cn")
    assert holder is not None
    with fabric.connect(
        bank.peer.address,
        crypto.tls_ca_cert.read_bytes(),
        identity,
        signer,
        tls_client_cert_pem=tls.cert.read_bytes(),
        tls_client_key_pem=tls.key.read_bytes(),
    ) as gw:
        contract = gw.get_network(topo.channel).get_contract(topo.chaincode.name)

        def submit(a: protocol.Args) -> None:
            contract.submit_transaction(a.FUNCTION.value, [a.to_json()])

        hot = f"bench-{uuid.uuid4().hex[:8]}"
        submit(protocol.OpenAccount(hot, *holder, "KYC-BENCH", uuid.uuid4().hex))

        def mint() -> float:
            started = time.perf_counter()
            submit(protocol.Mint(hot, "USD", 1, f"RES-{uuid.uuid4().hex}", uuid.uuid4().hex))
            return time.perf_counter() - started

        lat = sorted(mint() for _ in range(args.sequential))
        print(
            f"sequential submit+commit, {args.sequential} tx: p50 {_ms(statistics.median(lat))}, "
            f"p95 {_ms(lat[int(len(lat) * 0.95) - 1])}, max {_ms(lat[-1])}"
        )

        failures: list[str] = []

        def guarded(_: int) -> None:
            try:
                mint()
            except fabric.GatewayError as exc:
                failures.append(getattr(exc, "code_name", None) or exc.message)

        started = time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(guarded, range(args.concurrent)))
        elapsed = time.perf_counter() - started
        print(
            f"hot account, {args.concurrent} concurrent credits on {args.threads} threads: "
            f"{args.concurrent / elapsed:.0f} tx/s, {len(failures)} failed {sorted(set(failures))}"
        )

    runtime = NativeRuntime(layout)
    print("resident memory:")
    for name in runtime.names():
        pid = runtime.pid(name)
        if pid is None:
            continue
        rss_kb = next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        print(f"  {name:<34} {rss_kb // 1024} MiB")


if __name__ == "__main__":
    main()
