"""`deposits core …` as an operator runs it: `serve` in the foreground (a real process), then open-dda,
fund, close-day, balances and outbox against it; its camt.054 reaches the (fake) gateway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deposits.cli import main
from iso_messages import Kind, parse
from tests.postgres import free_port
from tests.unit.core.fake_receiver import FakeReceiver, fake_receiver


@pytest.fixture
def gateway() -> Iterator[FakeReceiver]:
    with fake_receiver() as rx:
        yield rx


@pytest.fixture
def core_url(tmp_path: Path, gateway: FakeReceiver) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DEPOSITS_CORE_GATEWAY_URL": gateway.url, "DEPOSITS_CORE_RETRY_INITIAL_MS": "50"}
    argv = [sys.executable, "-m", "deposits", "--data-dir", str(tmp_path), "core", "serve", "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"deposits core serve did not come up:\n{out[-3000:]}")
            time.sleep(0.05)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout:
            proc.stdout.close()


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = main(["core", "--url", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_operator_funds_a_dda_and_the_gateway_gets_the_camt054(
    core_url: str, gateway: FakeReceiver, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, core_url, "open-dda", "--dda", "acme-usd", "--currency", "USD", "--balance", "1000")
    assert code == 0 and "acme-usd" in out
    code, out, _ = run(capsys, core_url, "fund", "--dda", "acme-usd", "--amount", "250.50")
    assert code == 0
    reference = out.split("reference ")[1].split()[0]
    assert gateway.arrived.wait(10)
    (camt,) = [r for r in gateway.received if b"camt.054" in r.body]
    entry = parse(camt.body, Kind.CAMT_054).document.bk_to_cstmr_dbt_cdt_ntfctn.ntfctn[0].ntry[0]
    assert entry.acct_svcr_ref == reference
    code, out, _ = run(capsys, core_url, "balances", "--json")
    accounts = {a["account"]: a["balance"] for a in json.loads(out)["accounts"]}
    assert accounts["acme-usd"] == "749.50" and accounts["TOKEN-LIABILITY-USD"] == "250.50"
    code, out, _ = run(capsys, core_url, "close-day")
    assert code == 0 and "TOKEN-LIABILITY-USD: 0.00 → 250.50 USD (1 entries)" in out
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        code, out, _ = run(capsys, core_url, "outbox", "--json")
        if all(m["status"] == "delivered" for m in json.loads(out)["messages"]):
            break
        time.sleep(0.05)
    assert [m["status"] for m in json.loads(out)["messages"]] == ["delivered", "delivered"]
    assert (tmp_path / "core" / "core.sqlite").exists()  # under the data directory


def test_refusals_and_an_absent_core_are_one_line(core_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, core_url, "fund", "--dda", "nobody", "--amount", "1")
    assert code == 1 and err.startswith("deposits: UNKNOWN_ACCOUNT: ") and err.count("\n") == 1
    code, _, err = run(capsys, f"http://127.0.0.1:{free_port()}", "balances")
    assert code == 1 and err.startswith("deposits: the core does not answer at ") and err.count("\n") == 1
