"""The reference core on the live network: `up` starts it for BankOrg on the topology's (moved) port,
`status --json` shows its URL, an operator books with `deposits core …`, its outbox sends to BankOrg's
gateway, and `down` stops it with everything else (test_network's down/up)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from network.network import Network
from tests.e2e.conftest import deposits, new_id


def test_up_starts_the_core_for_bankorg_and_status_shows_its_url(network: Network, data_dir: Path) -> None:
    status = json.loads(deposits(data_dir, "network", "status", "--json").stdout)
    (core,) = status["cores"]
    bank = network.topology.org("BankOrg")
    assert core["org"] == "BankOrg" and core["running"]
    assert core["url"] == f"http://127.0.0.1:{bank.core_port}"
    assert httpx.get(f"{core['url']}/healthz").json() == {"status": "OK", "database": "sqlite"}
    assert (data_dir / "core" / "core.sqlite").exists()
    assert "core    BankOrg" in deposits(data_dir, "network", "status").stdout


def test_an_operator_funds_a_dda_and_the_core_sends_its_camt054_to_the_bank_gateway(
    network: Network, data_dir: Path
) -> None:
    dda = new_id("dda")
    deposits(data_dir, "core", "open-dda", "--dda", dda, "--currency", "USD", "--balance", "1000.00")
    out = deposits(data_dir, "core", "fund", "--dda", dda, "--amount", "125.00").stdout
    message_id = out.split("camt.054 ")[1].split()[0]
    balances = json.loads(deposits(data_dir, "core", "balances", "--json").stdout)
    by_account = {a["account"]: a["balance"] for a in balances["accounts"]}
    assert by_account[dda] == "875.00"
    # Delivered once the gateway takes books messages; until then refused or retried: either way, tried.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        outbox = json.loads(deposits(data_dir, "core", "outbox", "--json").stdout)["messages"]
        (sent,) = [m for m in outbox if m["message_id"] == message_id]
        if sent["attempts"] >= 1:
            break
        time.sleep(0.2)
    assert sent["kind"] == "camt.054.001.08" and sent["attempts"] >= 1
