"""Issue 11 on the live network: the currency registry `up` wrote, fx_desk quotes, conversions both ways, a
USD→CNH supplier payment (payment versus payment), quote exhaustion by concurrent conversions, a 500-line
payout, and the supply invariant in every currency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from tests.e2e.conftest import Apis, new_id
from tests.e2e.test_gateway_api import AUDITOR, BANK, BUYER, OPERATOR, SELLER, balances, mint, open_account

FX = "BankOrg/fx-desk"


def quote(apis: Apis, base: str, quote_ccy: str, rate: str, max_base: str, valid_for: int = 600) -> dict[str, Any]:
    body = {
        "base": base,
        "quote": quote_ccy,
        "rate": rate,
        "valid_until": time.time_ns() // 1_000_000_000 + valid_for,
        "max_base_amount": max_base,
    }
    q: dict[str, Any] = apis[FX].ok("POST", "/v1/fx/quotes", body)["quote"]
    assert (q["base"], q["quote"], q["rate"], q["remaining"]) == (base, quote_ccy, rate, max_base)
    return q


def test_the_registry_up_wrote(apis: Apis) -> None:
    registry: list[dict[str, Any]] = apis[AUDITOR].get("/v1/currencies").json()
    # At least the topology's six (the live schemathesis pass may register more through POST /v1/currencies).
    assert {c["code"]: c["minor_digits"] for c in registry}.items() >= {
        "CNH": 2,
        "EUR": 2,
        "GBP": 2,
        "HKD": 2,
        "JPY": 0,
        "USD": 2,
    }.items()
    acct = open_account(apis, BUYER, "fxjpy")
    mint(apis, acct, "125000", "JPY")
    assert balances(apis, acct)["JPY"] == "125000"
    r = apis[BANK].post("/v1/mints", {"account": acct, "currency": "XTS", "amount": "1.00", "reserve_ref": "X"})
    assert (r.status_code, r.json()["code"]) == (400, "UNKNOWN_CURRENCY")
    r = apis[BANK].post("/v1/mints", {"account": acct, "currency": "JPY", "amount": "1.5", "reserve_ref": "X"})
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_AMOUNT")
    r = apis[BANK].post("/v1/currencies", {"code": "USD", "minor_digits": 2})
    assert (r.status_code, r.json()["code"]) == (409, "CURRENCY_EXISTS")


def test_only_the_fx_desk_quotes(apis: Apis) -> None:
    body = {"base": "USD", "quote": "CNH", "rate": "7.1", "valid_until": 4_000_000_000, "max_base_amount": "1.00"}
    for who in (BANK, BUYER, AUDITOR, OPERATOR):
        r = apis[who].post("/v1/fx/quotes", body)
        assert r.status_code == 403, (who, r.text)
    for bad, code in (({"rate": "7.123456789"}, 400), ({"quote": "USD"}, 400), ({"quote": "XXX"}, 400)):
        r = apis[FX].post("/v1/fx/quotes", {**body, **bad})
        assert r.status_code == code, r.text
    r = apis[FX].post("/v1/fx/quotes", {**body, "valid_until": 1})
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ARGUMENT")


def test_conversion_both_ways(apis: Apis) -> None:
    acct = open_account(apis, BUYER, "fxconv")
    mint(apis, acct, "1000.00")
    q = quote(apis, "USD", "CNH", "7.12345678", "500.00")
    sold = apis[BUYER].ok(
        "POST",
        "/v1/conversions",
        {"account": acct, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "123.45"},
    )
    assert (sold["bought_currency"], sold["bought_amount"], sold["rate"]) == ("CNH", "879.39", "7.12345678")
    back = apis[BUYER].ok(
        "POST",
        "/v1/conversions",
        {"account": acct, "quote_id": q["id"], "sell_currency": "CNH", "sell_amount": "879.39"},
    )
    assert (back["bought_currency"], back["bought_amount"]) == ("USD", "123.44")  # rounded down, never up
    b = balances(apis, acct)
    assert (b["USD"], b["CNH"]) == ("999.99", "0.00")
    assert apis[AUDITOR].ok("GET", f"/v1/fx/quotes/{q['id']}")["used"] == "246.89"
    # The holder's own balances only; the auditor reads the position and changes nothing.
    r = apis[SELLER].post(
        "/v1/conversions", {"account": acct, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "1.00"}
    )
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_ACCOUNT")
    r = apis[AUDITOR].post(
        "/v1/conversions", {"account": acct, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "1.00"}
    )
    assert r.status_code == 403
    position = apis[AUDITOR].ok("GET", "/v1/fx/position")
    assert set(position) >= {"USD", "CNH", "JPY"}
    assert apis[BUYER].get("/v1/fx/position").status_code == 403
    # Refusals, nothing changed.
    for body, status, code in (
        ({"sell_currency": "EUR", "sell_amount": "1.00"}, 400, "INVALID_ARGUMENT"),
        ({"sell_currency": "CNH", "sell_amount": "0.01"}, 400, "INVALID_AMOUNT"),  # 0.0014 USD
        ({"sell_currency": "USD", "sell_amount": "300.00"}, 409, "QUOTE_EXHAUSTED"),
    ):
        r = apis[BUYER].post("/v1/conversions", {"account": acct, "quote_id": q["id"], **body})
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert balances(apis, acct) == b


def test_expired_quote(apis: Apis) -> None:
    acct = open_account(apis, BUYER, "fxexp")
    mint(apis, acct, "10.00")
    q = quote(apis, "USD", "HKD", "7.8", "10.00", valid_for=1)
    time.sleep(2.5)
    r = apis[BUYER].post(
        "/v1/conversions", {"account": acct, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "1.00"}
    )
    assert (r.status_code, r.json()["code"]) == (409, "QUOTE_EXPIRED")
    assert balances(apis, acct)["USD"] == "10.00"


def test_usd_to_cnh_supplier_payment(apis: Apis) -> None:
    buyer, supplier = open_account(apis, BUYER, "fxbuyer"), open_account(apis, SELLER, "fxsupplier")
    mint(apis, buyer, "20000.00")
    q = quote(apis, "USD", "CNH", "7.1234", "100000.00")
    body = {
        "from": buyer,
        "to": supplier,
        "currency": "USD",
        "amount": "12500.00",
        "reference": "INV-CN-1",
        "receive_currency": "CNH",
        "quote_id": q["id"],
    }
    paid = apis[BUYER].ok("POST", "/v1/transfers", body)
    assert (paid["amount"], paid["receive_currency"], paid["receive_amount"], paid["rate"]) == (
        "12500.00",
        "CNH",
        "89042.50",
        "7.1234",
    )
    assert balances(apis, buyer)["USD"] == "7500.00"
    got = balances(apis, supplier)
    assert (got["CNH"], got["USD"]) == ("89042.50", "0.00")
    # Both legs or neither: a pair the quote does not price moves nothing.
    r = apis[BUYER].post("/v1/transfers", {**body, "receive_currency": "JPY"})
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ARGUMENT")
    assert balances(apis, buyer)["USD"] == "7500.00"


def test_concurrent_conversions_never_exceed_the_quote(apis: Apis) -> None:
    accounts = [open_account(apis, BUYER, f"fxrace{i}") for i in range(6)]
    for acct in accounts:
        mint(apis, acct, "100.00")
    q = quote(apis, "USD", "EUR", "0.91", "250.00")

    def sell(acct: str) -> tuple[int, str]:
        body = {"account": acct, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "100.00"}
        r = apis[BUYER].post("/v1/conversions", body)
        return r.status_code, "" if r.status_code == 201 else str(r.json()["code"])

    with ThreadPoolExecutor(len(accounts)) as pool:
        outcomes = list(pool.map(sell, accounts))
    assert sorted(outcomes).count((201, "")) == 2, outcomes  # 2 x 100 fit in 250; a third does not
    assert all(o == (201, "") or o in ((409, "QUOTE_EXHAUSTED"), (409, "CONFLICT_RETRIES_EXHAUSTED")) for o in outcomes)
    view = apis[AUDITOR].ok("GET", f"/v1/fx/quotes/{q['id']}")
    assert (view["used"], view["remaining"]) == ("200.00", "50.00")
    apis.sync()
    eur = sum(Decimal(balances(apis, a)["EUR"]) for a in accounts)
    assert eur == Decimal("182.00")


def test_a_500_line_payout(apis: Apis) -> None:
    payer = open_account(apis, BUYER, "fxpayer")
    with ThreadPoolExecutor(16) as pool:  # 500 openings one at a time would be a block wait each
        payees = list(pool.map(lambda i: open_account(apis, SELLER, f"fxpayee{i}"), range(500)))
    mint(apis, payer, "200000.00")
    lines = [{"to": p, "amount": f"{1 + i}.00", "reference": f"INV-{i}"} for i, p in enumerate(payees)]
    key = new_id("payout")
    first = apis[BUYER].ok("POST", "/v1/payouts", {"from": payer, "currency": "USD", "lines": lines}, key=key)
    total = sum(range(1, 501))
    assert (first["lines"], first["total"]) == (500, f"{total}.00")
    again = apis[BUYER].request("POST", "/v1/payouts", {"from": payer, "currency": "USD", "lines": lines}, key=key)
    assert again.status_code == 201 and again.json()["tx_id"] == first["tx_id"]  # one Idempotency-Key, once
    assert balances(apis, payer)["USD"] == f"{200000 - total}.00"
    assert balances(apis, payees[499])["USD"] == "500.00"
    r = apis[BUYER].post("/v1/payouts", {"from": payer, "currency": "USD", "lines": lines + lines[:1]})
    assert r.status_code == 400
    dup = [lines[0], lines[1], lines[0]]
    r = apis[BUYER].post("/v1/payouts", {"from": payer, "currency": "USD", "lines": dup})
    assert (r.status_code, r.json()["code"]) == (400, "INVALID_ARGUMENT") and "lines[2]" in r.json()["detail"]
    unknown = [lines[0], {"to": "nobody-here", "amount": "1.00", "reference": "X"}]
    r = apis[BUYER].post("/v1/payouts", {"from": payer, "currency": "USD", "lines": unknown})
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_ACCOUNT") and "lines[1]" in r.json()["detail"]
    assert balances(apis, payer)["USD"] == f"{200000 - total}.00"


def test_invariant_in_every_currency(apis: Apis) -> None:
    apis.sync()
    supply = apis[AUDITOR].ok("GET", "/v1/supply")
    assert {"USD", "CNH", "JPY", "EUR"} <= set(supply)
    assert Decimal(supply["CNH"]["fx_in"]) > 0 and Decimal(supply["USD"]["fx_out"]) > 0
    for figures in supply.values():
        f = {k: Decimal(v) for k, v in figures.items() if k != "invariant_holds"}
        assert f["outstanding"] == f["minted"] + f["fx_in"] - f["redeemed"] - f["fx_out"]
        assert f["outstanding"] == f["balances_total"] + f["pending_redemptions"] + f["escrowed"]
        assert figures["invariant_holds"] is True
