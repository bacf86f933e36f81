"""The books connector's lag behind the chain tip under load (issue 17): the Go load client (bench/loadgen)
sends transfers through PlatformOrg's gateway at --rate a second for --seconds, while this script samples the
newest block of BankOrg's peer (the peer the connector reads, `peer channel getinfo`) and the connector's
checkpoint (the block of the last event it recorded, from its store, read only). Prints the rate the network
committed and the lag: in blocks (tip - checkpoint, at each tip sample) and in seconds (for each block, from
the first sample showing it on the peer to the first showing the connector past it), p50/p95/max. Run against
a network that is up (`deposits network up`):

    .venv/bin/python scripts/bench_books_lag.py [--data-dir DIR] [--rate 100] [--seconds 60] [--clients 32]

The seconds are as coarse as the tip sampling (one `peer channel getinfo` at a time, about a second each on
a loaded machine): a lag under that reads as 0 to 1 s.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.accounts import PAYER_HOLDER, open_accounts
from bench.clients import api_keys
from bench.http_load import loadgen, run_loadgen
from bench.scenarios import Load
from books.settings import books_db
from network.layout import Layout, default_data_dir
from network.network import Network


def percentiles(values: list[int]) -> str:
    if not values:
        return "no samples"
    v = sorted(values)
    return f"p50 {v[len(v) // 2]}, p95 {v[min(len(v) - 1, len(v) * 95 // 100)]}, max {v[-1]}"


class Sampler:
    """The peer's newest block and the connector's checkpoint block over time (monotonic ms)."""

    def __init__(self, net: Network, store: Path) -> None:
        self.net = net
        self.bank = next(o for o in net.topology.orgs if o.name == "BankOrg")
        self.db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, check_same_thread=False)
        self.tips: list[tuple[int, int]] = []
        self.checkpoints: list[tuple[int, int]] = []
        self.stop = threading.Event()

    def checkpoint(self) -> int:
        row = self.db.execute("SELECT block FROM checkpoint WHERE id = 1").fetchone()
        return -1 if row is None else int(row[0])

    def follow_checkpoint(self) -> None:
        while not self.stop.is_set():
            self.checkpoints.append((time.monotonic_ns() // 1_000_000, self.checkpoint()))
            self.stop.wait(0.1)

    def follow_tip(self) -> None:
        while not self.stop.is_set():
            height = self.net.peer_height(self.bank)
            if height is not None:
                self.tips.append((time.monotonic_ns() // 1_000_000, height - 1))

    def lag_blocks(self) -> list[int]:
        """At each tip sample: the tip minus the checkpoint read just after it."""
        out = []
        for at, tip in self.tips:
            after = next((b for t, b in self.checkpoints if t >= at), None)
            if after is not None:
                out.append(max(0, tip - after))
        return out

    def lag_seconds(self) -> list[int]:
        """For each block seen at the tip: ms from that sample until the checkpoint was past it."""
        out = []
        seen: set[int] = set()
        for at, tip in self.tips:
            if tip in seen:
                continue
            seen.add(tip)
            reached = next((t for t, b in self.checkpoints if b >= tip and t >= at), None)
            if reached is not None:
                out.append(reached - at)
        return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=default_data_dir())
    p.add_argument("--rate", type=int, default=100, help="transfers a second, all clients together")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--clients", type=int, default=32)
    args = p.parse_args()
    net = Network.open(Layout(args.data_dir))
    keys = api_keys(net)
    accounts = open_accounts(keys["BankOrg/issuer"], args.clients, False, "USD")
    loadgen()  # built before measuring
    net.wait_peers_in_sync(timeout=120)
    sampler = Sampler(net, books_db(args.data_dir))
    threads = [threading.Thread(target=f, daemon=True) for f in (sampler.follow_checkpoint, sampler.follow_tip)]
    for t in threads:
        t.start()
    time.sleep(3)  # a few idle samples first
    url, key = keys[PAYER_HOLDER]
    load = Load(accounts.payers, accounts.payees, args.seconds, 0, "USD", "0.01", 1, rate=args.rate)
    result = run_loadgen(url, key, load)
    load_end = time.monotonic()
    # Keep sampling until the connector has caught up with the tip the load left (or 60 s).
    deadline = time.monotonic() + 60
    end_tip = sampler.tips[-1][1] if sampler.tips else 0
    while time.monotonic() < deadline and sampler.checkpoint() < end_tip:
        time.sleep(0.2)
    caught_up = time.monotonic()
    time.sleep(2)
    sampler.stop.set()
    for t in threads:
        t.join(10)
    blocks, ms = sampler.lag_blocks(), sampler.lag_seconds()
    outcomes = result["outcomes"]
    print(
        f"load: {args.clients} clients paced at {args.rate}/s for {args.seconds} s: {result['committed']} committed, "
        f"{result['committed_per_s']:.0f}/s; latency p50 {result['p50_s']:.2f} s, p95 {result['p95_s']:.2f} s; "
        f"outcomes {json.dumps(outcomes)}"
    )
    print(
        f"tip: block {sampler.tips[0][1] if sampler.tips else '?'} → {end_tip} "
        f"({len(sampler.tips)} samples of the peer; {len(sampler.checkpoints)} of the checkpoint)"
    )
    print(f"connector lag in blocks: {percentiles(blocks)}")
    print(f"connector lag in ms (per block, tip sampling ~1 s): {percentiles(ms)}")
    print(f"the connector was past the load's last tip {(caught_up - load_end):.1f} s after the load ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())
