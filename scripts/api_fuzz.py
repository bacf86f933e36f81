"""Fuzz the gateway's API contract with schemathesis, as every dev identity and as callers without a key.

Usage: .venv/bin/python scripts/api_fuzz.py [--requests N] [--seed S] [--max-examples M] [--caller NAME ...]

In-process and offline: each org's gateway app is built with `create_app` over the fake ledger that runs the
real contract in memory, and schemathesis calls it as an ASGI app (no network, no sockets). Per caller, the
first round runs every phase (examples, coverage, fuzzing, stateful) with every check; further rounds
(fuzzing and stateful, a new seed each) run until the caller has sent at least --requests requests.
Prints one line per caller and the failures; exits 1 if schemathesis found anything.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# The harness and the fake ledger are test code, which is not installed: run them from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from network.topology import load_topology
from tests.api_contract import ANONYMOUS, WRONG_KEY, Caller, Result, fuzz_app
from tests.unit.gateway.fake_gateways import FakeGateways, dev_layout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=5000, help="at least this many requests per caller")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--max-examples", type=int, default=250, help="per operation and round")
    ap.add_argument("--caller", action="append", default=[], help="only these callers (repeatable)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="api-fuzz-") as tmp:
        gateways = FakeGateways(dev_layout(Path(tmp) / "data"), Path(tmp))
        roles = {f"{org.name}/{i.name}": i.role for org in load_topology().orgs for i in org.identities}
        callers = [
            *(Caller(ref, role, f"Bearer {gateways.keys[ref]}") for ref, role in roles.items()),
            Caller(ANONYMOUS, None, None),
            Caller(WRONG_KEY, None, "Bearer dev-not-a-key"),
        ]
        chosen = [c for c in callers if not args.caller or c.name in args.caller]
        started = time.monotonic()
        results = []
        for caller in chosen:
            app = gateways.app_of(caller.name) if caller.name in roles else gateways.apps["PlatformOrg"]
            total = Result(caller.name)
            rounds = 0
            while total.requests < args.requests:
                phases = ("examples", "coverage", "fuzzing", "stateful") if rounds == 0 else ("fuzzing", "stateful")
                found = fuzz_app(
                    app,
                    caller,
                    max_examples=args.max_examples,
                    seed=args.seed + rounds,
                    phases=phases,
                    ledger_height=lambda: gateways.ledger.world.height,
                )
                total.add(found)
                rounds += 1
            print(total.report(), flush=True)
            results.append(total)
        gateways.close()

    requests = sum(r.requests for r in results)
    found = sum(len(r.failures) + len(r.errors) for r in results)
    print(
        f"{len(results)} callers, {requests} requests in {time.monotonic() - started:.0f} s, "
        f"{found} failures or errors (schemathesis {_version()}, seed {args.seed})"
    )
    return 1 if found else 0


def _version() -> str:
    import schemathesis

    return schemathesis.__version__


if __name__ == "__main__":
    sys.exit(main())
