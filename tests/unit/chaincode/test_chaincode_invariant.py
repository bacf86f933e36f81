"""A seeded random walk of operations, checked after every step against a plain model and the invariant
balances_total + pending_redemptions == minted - redeemed, per currency."""

from __future__ import annotations

import random
from typing import Any

import pytest
from chaincode_fixtures import Ledger

from chaincode.contract import Err, Ok

ACCOUNTS = {"a1": "buyer-us", "a2": "buyer-us", "b1": "seller-cn", "b2": "seller-cn"}
CURRENCIES = ("EUR", "USD")


class Model:
    def __init__(self) -> None:
        self.balances = {(a, c): 0 for a in ACCOUNTS for c in CURRENCIES}
        self.frozen: set[str] = set()
        self.pending: dict[str, tuple[str, str, int]] = {}
        self.minted = dict.fromkeys(CURRENCIES, 0)
        self.redeemed = dict.fromkeys(CURRENCIES, 0)


def code(result: Ok | Err) -> str:
    return "OK" if isinstance(result, Ok) else result.message.split(":")[0]


def step(ledger: Ledger, model: Model, rng: random.Random, last: list[tuple[str, str, dict[str, Any]]]) -> None:
    op = rng.choice(["mint", "transfer", "transfer", "transfer", "redeem", "close", "freeze", "replay"])
    account = rng.choice(sorted(ACCOUNTS))
    currency = rng.choice(CURRENCIES)
    request_id = ledger.request_id()
    if op == "replay" and last:
        caller, function, args = last[-1]
        assert code(ledger.call(caller, function, args)) == "DUPLICATE_REQUEST"
        return
    if op == "mint":
        amount = rng.randint(1, 5000)
        args = {
            "account_id": account,
            "currency": currency,
            "amount": amount,
            "reserve_ref": f"R-{request_id}",
            "request_id": request_id,
        }
        call = ("issuer", "mint", args)
        expected = "ACCOUNT_FROZEN" if account in model.frozen else "OK"
        if expected == "OK":
            model.balances[account, currency] += amount
            model.minted[currency] += amount
    elif op == "transfer":
        target = rng.choice(sorted(set(ACCOUNTS) - {account}))
        amount = rng.randint(1, 3000)
        args = {
            "from_account": account,
            "to_account": target,
            "currency": currency,
            "amount": amount,
            "reference": "INV",
            "request_id": request_id,
        }
        call = (ACCOUNTS[account], "transfer", args)
        if account in model.frozen or target in model.frozen:
            expected = "ACCOUNT_FROZEN"
        elif model.balances[account, currency] < amount:
            expected = "INSUFFICIENT_FUNDS"
        else:
            expected = "OK"
            model.balances[account, currency] -= amount
            model.balances[target, currency] += amount
    elif op == "redeem":
        amount = rng.randint(1, 2000)
        args = {"account_id": account, "currency": currency, "amount": amount, "request_id": request_id}
        call = (ACCOUNTS[account], "redeem", args)
        if account in model.frozen:
            expected = "ACCOUNT_FROZEN"
        elif model.balances[account, currency] < amount:
            expected = "INSUFFICIENT_FUNDS"
        else:
            expected = "OK"
            model.balances[account, currency] -= amount
    elif op == "close" and model.pending:
        rid = rng.choice(sorted(model.pending))
        owner, cur, amount = model.pending.pop(rid)
        if rng.random() < 0.5:
            args = {"redemption_id": rid, "payout_ref": f"W-{request_id}", "request_id": request_id}
            call = ("issuer", "settle_redemption", args)
            model.redeemed[cur] += amount
        else:
            args = {"redemption_id": rid, "reason": "rejected", "request_id": request_id}
            call = ("issuer", "reject_redemption", args)
            model.balances[owner, cur] += amount
        expected = "OK"
    else:
        function = "unfreeze" if account in model.frozen else "freeze"
        if rng.random() < 0.2:  # the wrong way round: refused
            function = "freeze" if function == "unfreeze" else "unfreeze"
            expected = "INVALID_STATE"
        else:
            expected = "OK"
            model.frozen ^= {account}
        args = {"account_id": account, "reason": "check", "request_id": request_id}
        call = ("compliance", function, args)
    result = ledger.call(*call)
    assert code(result) == expected, (call, result)
    if isinstance(result, Ok):
        last.append(call)
        if call[1] == "redeem":
            model.pending[ledger.world.events[-1].tx_id] = (account, currency, args["amount"])


def check(ledger: Ledger, model: Model) -> None:
    supply = ledger.supply()
    for currency in CURRENCIES:
        s = supply[currency]
        assert s["balances_total"] + s["pending_redemptions"] == s["minted"] - s["redeemed"] == s["outstanding"]
        assert s["minted"] == model.minted[currency] and s["redeemed"] == model.redeemed[currency]
        pending = sum(a for _, c, a in model.pending.values() if c == currency)
        assert s["pending_redemptions"] == pending
        assert s["balances_total"] == sum(v for (_, c), v in model.balances.items() if c == currency)


@pytest.mark.parametrize("seed", [1, 2, 3, 2026])
def test_random_walk_keeps_the_invariant(seed: int) -> None:
    rng = random.Random(seed)
    ledger, model = Ledger(), Model()
    for account, holder in ACCOUNTS.items():
        ledger.open(account, holder)
    last: list[tuple[str, str, dict[str, Any]]] = []
    for _ in range(250):
        step(ledger, model, rng, last)
        check(ledger, model)
    for (account, currency), balance in model.balances.items():
        assert ledger.balance(account, currency) == balance
        assert balance >= 0
    assert model.minted["USD"] > 0 and model.redeemed["USD"] + model.redeemed["EUR"] > 0  # the walk did something
