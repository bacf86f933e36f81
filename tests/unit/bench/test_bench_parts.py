"""The bench's arithmetic: step splits from two scrapes, CPU per transaction, and the table."""

from __future__ import annotations

from bench import format_table
from bench.processes import Sample, cpu_ms_per_tx_by_kind
from bench.step_metrics import Scrape, split


def _scrape(endorse: dict[str, int], total_s: str, retries: int = 0) -> Scrape:
    return Scrape({"endorse": endorse, "submit": {}, "commit": {}}, {"endorse": total_s}, retries)


def test_a_split_is_the_difference_of_two_scrapes() -> None:
    before = _scrape({"0.005": 1, "0.01": 1, "0.025": 2, "+Inf": 2}, "0.030")
    # 4 more writes: 3 within 10 ms, 1 within 25 ms; 0.061 s more in all
    after = _scrape({"0.005": 2, "0.01": 4, "0.025": 6, "+Inf": 6}, "0.091")
    assert split(before, after) == {"endorse": {"count": 4, "mean_ms": 15, "p50_ms": "<= 10"}}


def test_a_step_with_no_new_writes_is_left_out() -> None:
    same = _scrape({"0.005": 1, "+Inf": 1}, "0.001")
    assert split(same, same) == {}


def test_cpu_per_transaction_per_kind_and_in_total() -> None:
    kinds = {"peer0.bank": "peer", "peer0.platform": "peer", "orderer.bank": "orderer"}
    before = Sample({"peer0.bank": 100, "peer0.platform": 50, "orderer.bank": 10, "client": 5}, {})
    after = Sample({"peer0.bank": 300, "peer0.platform": 150, "orderer.bank": 60, "client": 25}, {})
    # ticks are 1/100 s here (SC_CLK_TCK on Linux): 300 peer ticks = 3 s over 100 tx = 30 ms each
    assert cpu_ms_per_tx_by_kind(before, after, kinds, 100) == {
        "client": "2.00",
        "orderer": "5.00",
        "peer": "30.00",
        "total": "37.00",
    }


def test_the_table_names_every_scenario_kind_and_ratio() -> None:
    row = {
        "scenario": "http-distinct",
        "clients": 32,
        "committed": 100,
        "tx_per_s": 50.0,
        "payments_per_tx": 1,
        "payments_per_s": 50.0,
        "p50_ms": 600,
        "p95_ms": 900,
        "failures": {"503 OVERLOADED": 2},
        "steps": {"endorse": {"count": 100, "mean_ms": 20, "p50_ms": "<= 25"}},
        "cpu_ms_per_tx": {"peer": "8.00", "total": "8.00"},
        "rss_mib": {"peer": 120},
        "balances": "ok",
    }
    text = format_table({"scenarios": [row], "ratios": {"http_vs_direct": "0.90"}})
    header, _, line = text.splitlines()[:3]
    assert header.split()[:4] == ["scenario", "clients", "committed", "tx/s"]
    assert line.split()[:4] == ["http-distinct", "32", "100", "50.0"]
    assert "503 OVERLOADED: 2" in line and line.rstrip().endswith("ok")
    assert "peer 120" in text and "http_vs_direct 0.90" in text
