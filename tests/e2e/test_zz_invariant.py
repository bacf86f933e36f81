"""Runs last (file order): after everything the suite did, the ledger's supply invariant holds."""

from __future__ import annotations

import json

from chaincode import protocol
from gateway import fabric


def test_supply_invariant_after_the_whole_suite(contracts: dict[str, fabric.Contract]) -> None:
    q = protocol.GetSupply()
    supply = json.loads(contracts["AuditorOrg/auditor"].evaluate_transaction(q.FUNCTION.value, [q.to_json()]))
    assert supply["USD"]["minted"] > 0
    for figures in supply.values():
        assert figures["outstanding"] == figures["minted"] - figures["redeemed"]
        assert figures["outstanding"] == figures["balances_total"] + figures["pending_redemptions"]
