"""Runs last (file order): after everything the suite did, the supply invariant holds in every currency
(outstanding = minted + fx_in - redeemed - fx_out = balances + pending redemptions + escrowed) and no log
leaked a key."""

from __future__ import annotations

import json

from chaincode import protocol
from gateway import fabric
from network.network import Network


def test_supply_invariant_after_the_whole_suite(contracts: dict[str, fabric.Contract]) -> None:
    q = protocol.GetSupply()
    supply = json.loads(contracts["AuditorOrg/auditor"].evaluate_transaction(q.FUNCTION.value, [q.to_json()]))
    assert supply["USD"]["minted"] > 0
    for figures in supply.values():  # every registered currency, those the FX tests converted included
        created = figures["minted"] + figures["fx_in"]
        assert figures["outstanding"] == created - figures["redeemed"] - figures["fx_out"]
        assert (
            figures["outstanding"] == figures["balances_total"] + figures["pending_redemptions"] + figures["escrowed"]
        )


def test_no_log_ever_shows_an_api_key(network: Network) -> None:
    keys = [i["api_key"] for gw in network.gateways_status() for i in gw["identities"]]
    assert keys and all(keys)
    logs = sorted(network.layout.logs.glob("*.log"))
    assert any(p.name.startswith("gateway.") for p in logs)
    for path in logs:
        text = path.read_text(errors="replace")
        leaked = [k[:12] + "…" for k in keys if k in text]
        assert not leaked, f"{path.name} contains API keys {leaked}"
