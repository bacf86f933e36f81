"""Run scenarios one after another against a running network, each from a synced ledger, and explain and
check each one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import processes, step_metrics
from bench.accounts import FUNDING, PAYER_HOLDER, Accounts, open_accounts
from bench.clients import api_keys
from bench.direct_load import run_direct
from bench.http_load import loadgen, run_loadgen
from bench.scenarios import SCENARIOS, Carrier, Load, Scenario
from network.layout import Layout
from network.network import Network

CURRENCY = "USD"
AMOUNT, AMOUNT_MINOR = "0.01", 1
# Answers after which a transfer may still have committed: balances can then only be checked loosely.
_AMBIGUOUS = ("504", "transport", "CommitStatusError", "SubmitError")


@dataclass(frozen=True, slots=True)
class BenchSettings:
    data_dir: Path
    scenarios: tuple[str, ...] = tuple(SCENARIOS)
    seconds: int = 20  # per scenario, at most
    count: int = 4000  # transactions per scenario, at most


def _minor(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def check_balances(auditor: tuple[str, str], accounts: Accounts, result: dict[str, Any], lines: int = 0) -> str:
    """`ok` when every payer lost and every payee gained exactly what committed (as the auditor reads it),
    else what differs; `lines`: each transaction was a payout of that many lines."""
    if any(outcome.startswith(_AMBIGUOUS) for outcome in result["outcomes"]):
        return "unverifiable: some answers left the outcome open"
    url, key = auditor
    lines = max(1, lines)  # a committed payout debits its payer once per line
    expected = {p: _minor(FUNDING) - result["per_payer"].get(p, 0) * lines * AMOUNT_MINOR for p in accounts.payers}
    for payee in set(accounts.payees):
        expected[payee] = result["per_payee"].get(payee, 0) * AMOUNT_MINOR
    wrong = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        for account, want in expected.items():
            got = _minor(http.get(f"/v1/accounts/{account}").json()["balances"].get(CURRENCY, "0.00"))
            if got != want:
                wrong.append(f"{account}: {got} != {want}")
    return "ok" if not wrong else f"{len(wrong)} wrong: " + "; ".join(wrong[:3])


def run_scenario(net: Network, scenario: Scenario, settings: BenchSettings) -> dict[str, Any]:
    keys = api_keys(net)
    lines = scenario.payout_lines
    accounts = open_accounts(keys["BankOrg/issuer"], scenario.clients, scenario.hot_payee, CURRENCY, lines)
    payer_url, payer_key = keys[PAYER_HOLDER]
    kinds = processes.process_kinds(net)
    loadgen()  # built (once) before measuring: `go build` would count as the client's CPU
    net.wait_peers_in_sync()
    cpu_before, steps_before = processes.sample(net), step_metrics.scrape(payer_url)
    load = Load(
        accounts.payers, accounts.payees, settings.seconds, settings.count, CURRENCY, AMOUNT, AMOUNT_MINOR, lines
    )
    if scenario.carrier is Carrier.HTTP:
        result = run_loadgen(payer_url, payer_key, load)
    else:
        result = run_direct(net, PAYER_HOLDER, load)
    cpu_after, steps_after = processes.sample(net), step_metrics.scrape(payer_url)
    net.wait_peers_in_sync(timeout=60)
    failures = {k: v for k, v in result["outcomes"].items() if k not in ("201", "committed")}
    return {
        "scenario": scenario.name,
        "about": scenario.about,
        "clients": scenario.clients,
        "committed": result["committed"],
        "elapsed_s": round(result["elapsed_s"], 2),
        "tx_per_s": round(result["committed_per_s"], 1),
        "payments_per_tx": max(1, lines),
        "payments_per_s": round(result["committed_per_s"] * max(1, lines), 1),
        "p50_ms": round(result["p50_s"] * 1000),
        "p95_ms": round(result["p95_s"] * 1000),
        "failures": failures,
        "failure_examples": result.get("examples", {}),
        "steps": step_metrics.split(steps_before, steps_after),
        "conflict_retries": result.get("retries", steps_after.conflict_retries - steps_before.conflict_retries),
        "cpu_ms_per_tx": processes.cpu_ms_per_tx_by_kind(cpu_before, cpu_after, kinds, result["committed"]),
        "rss_mib": processes.rss_mib_by_kind(cpu_after, kinds),
        "balances": check_balances(keys["AuditorOrg/auditor"], accounts, result, lines),
    }


def run_bench(settings: BenchSettings, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every requested scenario in order, plus the ratios the targets are stated in. Raises KeyError for an
    unknown scenario name (before running anything)."""
    chosen = [SCENARIOS[name] for name in settings.scenarios]
    net = Network.open(Layout(settings.data_dir))
    rows = []
    for scenario in chosen:
        progress(f"{scenario.name}: {scenario.about} …")
        rows.append(run_scenario(net, scenario, settings))
    rate = {r["scenario"]: r["tx_per_s"] for r in rows}

    def ratio(a: str, b: str) -> str | None:
        return f"{rate[a] / rate[b]:.2f}" if rate.get(a) and rate.get(b) else None

    ratios = {
        "hot_payee_vs_distinct": ratio("http-hot-payee", "http-distinct"),
        "http_vs_direct": ratio("http-distinct", "direct-distinct"),
    }
    batch_timeout = net.topology.batch_timeout
    return {
        "settings": {"seconds": settings.seconds, "count": settings.count, "batch_timeout": batch_timeout},
        "scenarios": rows,
        "ratios": {k: v for k, v in ratios.items() if v is not None},
    }
