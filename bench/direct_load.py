"""The same transfers as bench/http_load.py, sent through our Fabric Gateway client straight to the payer's
peer (no HTTP gateway): the comparison says what the HTTP layer costs."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bench.clients import connect_as
from bench.scenarios import Load
from chaincode import protocol
from gateway import fabric
from gateway.fabric_ledger import retryable
from network.network import Network

# As many attempts as the HTTP gateway makes (its max_attempts), so both carry the same transfers.
MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class _Outcome:
    name: str  # "committed", or the error's class and code
    retries: int
    failure: str | None = None  # the error's message


def _submit(contract: fabric.Contract, args: protocol.Args) -> _Outcome:
    """Submit and wait for the commit, re-endorsing after a conflict as the gateway does."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            contract.submit_transaction(args.FUNCTION.value, [args.to_json()])
            return _Outcome("committed", attempt)
        except fabric.GatewayError as exc:
            if retryable(exc) and attempt + 1 < MAX_ATTEMPTS:
                continue
            detail = getattr(exc, "code_name", None) or (exc.code.name if exc.code is not None else "")
            return _Outcome(f"{type(exc).__name__} {detail}".strip(), attempt, str(exc)[:500])
    raise AssertionError("unreachable")


def run_direct(net: Network, holder: str, load: Load) -> dict[str, Any]:
    """One thread per payer as `holder` (`Org/name`); the same result shape as the load client's."""
    if load.payout_lines:
        raise ValueError("the direct carrier sends transfers only")
    payers, payees, count = load.payers, load.payees, load.count
    org_name, name = holder.split("/", 1)
    org = net.topology.org(org_name)
    lock = threading.Lock()
    outcomes: Counter[str] = Counter()
    examples: dict[str, str] = {}  # the first message of each kind of failure
    per_payer: Counter[str] = Counter()
    per_payee: Counter[str] = Counter()
    latencies: list[int] = []
    sent = [0]
    retries = [0]
    start = time.perf_counter_ns()
    stop = start + load.seconds * 1_000_000_000
    last = [start]
    with connect_as(net.layout, org, name) as gw:
        contract = gw.get_network(net.topology.channel).get_contract(net.topology.chaincode.name)

        def client(i: int) -> None:
            while time.perf_counter_ns() < stop:
                with lock:
                    sent[0] += 1
                    if count and sent[0] > count:
                        return
                args = protocol.Transfer(
                    from_account=payers[i],
                    to_account=payees[i],
                    currency=load.currency,
                    amount=load.amount_minor,
                    reference="BENCH",
                    request_id=uuid.uuid4().hex,
                )
                began = time.perf_counter_ns()
                outcome = _submit(contract, args)
                if outcome.failure is not None:
                    examples.setdefault(outcome.name, outcome.failure)
                done = time.perf_counter_ns()
                with lock:
                    outcomes[outcome.name] += 1
                    retries[0] += outcome.retries
                    last[0] = max(last[0], done)
                    if outcome.failure is None:
                        latencies.append(done - began)
                        per_payer[payers[i]] += 1
                        per_payee[payees[i]] += 1

        with ThreadPoolExecutor(len(payers)) as pool:
            list(pool.map(client, range(len(payers))))
    latencies.sort()
    elapsed_ns = last[0] - start

    def pct(p: int) -> int:
        return latencies[min(len(latencies) - 1, len(latencies) * p // 100)] if latencies else 0

    return {
        "clients": len(payers),
        "committed": len(latencies),
        "elapsed_s": elapsed_ns / 1e9,
        "committed_per_s": len(latencies) * 1e9 / elapsed_ns if elapsed_ns else 0,
        "p50_s": pct(50) / 1e9,
        "p95_s": pct(95) / 1e9,
        "outcomes": dict(outcomes),
        "examples": examples,
        "retries": retries[0],
        "per_payer": dict(per_payer),
        "per_payee": dict(per_payee),
    }
