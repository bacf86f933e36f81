"""`deposits bench` on the live network: bounded by count, every transfer accounted for in the balances,
the latency split read from the gateway's metrics, and CPU read for every process kind."""

from __future__ import annotations

import json
from pathlib import Path

from network.network import Network
from tests.e2e.conftest import deposits


def test_bench_counts_checks_and_explains_each_scenario(network: Network, data_dir: Path) -> None:
    out = deposits(
        data_dir,
        "bench",
        "--scenarios",
        "http-distinct,direct-hot-payee",
        "--count",
        "40",
        "--seconds",
        "120",
        "--json",
    ).stdout
    result = json.loads(out)
    rows = {r["scenario"]: r for r in result["scenarios"]}
    assert set(rows) == {"http-distinct", "direct-hot-payee"}
    for row in rows.values():
        assert row["committed"] == 40, row
        assert row["failures"] == {}
        assert row["balances"] == "ok"
        assert {"peer", "orderer", "chaincode", "client", "total"} <= row["cpu_ms_per_tx"].keys()
        assert row["rss_mib"]["peer"] > 0
    http_steps = rows["http-distinct"]["steps"]
    assert set(http_steps) == {"endorse", "submit", "commit"}
    assert all(s["count"] >= 40 for s in http_steps.values())  # a retried write endorses again
    assert rows["direct-hot-payee"]["steps"] == {}  # it never passes the HTTP gateway


def test_bench_payouts_count_every_line(network: Network, data_dir: Path) -> None:
    out = deposits(
        data_dir, "bench", "--scenarios", "http-payouts-100", "--count", "6", "--seconds", "120", "--json"
    ).stdout
    (row,) = json.loads(out)["scenarios"]
    assert row["committed"] == 6 and row["failures"] == {}, row
    assert row["payments_per_tx"] == 100
    assert row["payments_per_s"] > 0
    assert abs(row["payments_per_s"] - row["tx_per_s"] * 100) <= 5  # tx_per_s is rounded to 0.1
    assert row["balances"] == "ok"  # 100 payees, each credited once per committed payout
