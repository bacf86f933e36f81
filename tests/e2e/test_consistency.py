"""`Min-Block` on the live network: a write answered at one org's gateway, read and spent at the others' at
once, each gateway waiting for its own peer (asked with qscc GetChainInfo as the gateway's service identity)."""

from __future__ import annotations

import pytest

from gateway.consistency import MAX_AHEAD
from tests.e2e.conftest import Apis
from tests.e2e.test_gateway_api import AUDITOR, BANK, BUYER, SELLER, mint, open_account

pytestmark = pytest.mark.e2e


def test_what_one_gateway_committed_the_others_read_and_spend_at_once(apis: Apis) -> None:
    for round_ in range(5):
        payer, payee = open_account(apis, BUYER, "mbpayer"), open_account(apis, SELLER, "mbpayee")
        minted = mint(apis, payer, "10.00")
        seen = {"Min-Block": str(minted["block_number"])}
        account = apis[AUDITOR].ok("GET", f"/v1/accounts/{payer}", headers=seen)
        assert account["balances"]["USD"] == "10.00", round_
        paid = apis[BUYER].ok(
            "POST",
            "/v1/transfers",
            {"from": payer, "to": payee, "currency": "USD", "amount": "4.00", "reference": f"INV-MB-{round_}"},
            headers=seen,
        )
        after = apis[BANK].ok("GET", f"/v1/accounts/{payee}", headers={"Min-Block": str(paid["block_number"])})
        assert after["balances"]["USD"] == "4.00", round_


def test_a_block_far_past_the_peer_is_503_ledger_behind_at_once(apis: Apis) -> None:
    height = apis.sync()
    r = apis[AUDITOR].get("/v1/supply", headers={"Min-Block": str(height + MAX_AHEAD)})
    assert (r.status_code, r.json()["code"], r.headers["Retry-After"]) == (503, "LEDGER_BEHIND", "1")
    r = apis[AUDITOR].get("/v1/supply", headers={"Min-Block": str(height - 1)})
    assert r.status_code == 200
