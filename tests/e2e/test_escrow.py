"""Issue 10 on the live network: trade-assured payments through the gateways, every order endpoint (and so
every escrow function of the contract), the deadlines on real proposal timestamps (short durations, in
seconds), who may see an order, and many orders to one seller at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.conftest import Apis, new_id
from tests.e2e.test_gateway_api import AUDITOR, BANK, BUYER, COMPLIANCE, OPERATOR, SELLER, balances, mint, open_account


def now() -> int:
    return time.time_ns() // 1_000_000_000


def fund(
    apis: Apis, buyer: str, seller: str, amount: str, *, ship_in: int = 600, inspection: int = 600, **extra: Any
) -> dict[str, Any]:
    order_id = new_id("PO")
    body = {
        "id": order_id,
        "buyer_account": buyer,
        "seller_account": seller,
        "currency": "USD",
        "amount": amount,
        "ship_by": now() + ship_in,
        "inspection_seconds": inspection,
        **extra,
    }
    r = apis[BUYER].ok("POST", "/v1/orders", body)
    assert r["event"] == "EscrowFunded" and r["moved"] == amount
    assert r["order"]["status"] == "funded" and r["order"]["held"] == amount
    return r["order"]


def step(apis: Apis, who: str, order_id: str, action: str, body: object = None) -> dict[str, Any]:
    r = apis[who].ok("POST", f"/v1/orders/{order_id}/{action}", body if body is not None else {})
    order: dict[str, Any] = r["order"]
    return {**r, **{"status": order["status"], "held": order["held"]}}


def refused(apis: Apis, who: str, order_id: str, action: str, body: object = None) -> tuple[int, str]:
    r = apis[who].post(f"/v1/orders/{order_id}/{action}", body if body is not None else {})
    assert r.status_code >= 400, r.text
    return r.status_code, str(r.json()["code"])


def parties(apis: Apis, usd: str = "1000.00") -> tuple[str, str]:
    buyer, seller = open_account(apis, BUYER, "ebuyer"), open_account(apis, SELLER, "eseller")
    mint(apis, buyer, usd)
    # Minted at BankOrg's gateway, funded at PlatformOrg's: the platform's peer endorses too, and may not
    # have committed the mint's block yet (it would read no balance and refuse INSUFFICIENT_FUNDS).
    apis.sync()
    return buyer, seller


def test_milestones_shipment_delivery_acceptance(apis: Apis) -> None:
    buyer, seller = parties(apis)
    milestones = [{"on": "shipment", "amount": "30.00"}, {"on": "acceptance", "amount": "70.00"}]
    order = fund(apis, buyer, seller, "100.00", milestones=milestones)
    assert balances(apis, buyer)["USD"] == "900.00"
    shipped = step(apis, OPERATOR, order["id"], "shipment", {"carrier": "DHL", "tracking_ref": "JD0001"})
    assert (shipped["event"], shipped["moved"], shipped["status"], shipped["held"]) == (
        "ShipmentRecorded",
        "30.00",
        "shipped",
        "70.00",
    )
    assert balances(apis, seller)["USD"] == "30.00"
    delivered = step(apis, OPERATOR, order["id"], "delivery")
    assert delivered["event"] == "DeliveryRecorded" and delivered["order"]["delivered_at"] is not None
    accepted = step(apis, BUYER, order["id"], "accept")
    assert (accepted["event"], accepted["moved"], accepted["status"]) == ("EscrowReleased", "70.00", "released")
    assert balances(apis, seller)["USD"] == "100.00"
    assert refused(apis, BUYER, order["id"], "accept") == (409, "INVALID_STATE")
    assert refused(apis, SELLER, order["id"], "refund") == (409, "INVALID_STATE")
    view = apis[AUDITOR].ok("GET", f"/v1/orders/{order['id']}")
    assert view["released"] == "100.00" and all(m["released"] for m in view["milestones"])


def test_release_by_anyone_after_inspection(apis: Apis) -> None:
    buyer, seller = parties(apis)
    order = fund(apis, buyer, seller, "50.00", inspection=4)
    step(apis, OPERATOR, order["id"], "shipment", {"carrier": "UPS", "tracking_ref": "1Z999"})
    step(apis, OPERATOR, order["id"], "delivery")
    assert refused(apis, SELLER, order["id"], "release") == (409, "INVALID_STATE")
    time.sleep(6)
    released = step(apis, SELLER, order["id"], "release")
    assert (released["moved"], released["status"]) == ("50.00", "released")
    assert balances(apis, seller)["USD"] == "50.00"


def test_expiry_refund_by_anyone(apis: Apis) -> None:
    buyer, seller = parties(apis)
    order = fund(apis, buyer, seller, "40.00", ship_in=5)
    assert refused(apis, BANK, order["id"], "refund") == (409, "INVALID_STATE")
    time.sleep(7)
    assert refused(apis, OPERATOR, order["id"], "shipment", {"carrier": "DHL", "tracking_ref": "LATE"}) == (
        409,
        "INVALID_STATE",
    )
    refunded = step(apis, BANK, order["id"], "refund")
    assert (refunded["event"], refunded["moved"], refunded["status"]) == ("EscrowRefunded", "40.00", "refunded")
    assert balances(apis, buyer)["USD"] == "1000.00"


def test_seller_refunds_voluntarily(apis: Apis) -> None:
    buyer, seller = parties(apis)
    order = fund(apis, buyer, seller, "20.00")
    step(apis, OPERATOR, order["id"], "shipment", {"carrier": "DHL", "tracking_ref": "T2"})
    assert refused(apis, BUYER, order["id"], "refund") == (409, "INVALID_STATE")
    assert step(apis, SELLER, order["id"], "refund")["status"] == "refunded"
    assert balances(apis, buyer)["USD"] == "1000.00"


def test_dispute_split_by_the_operator(apis: Apis) -> None:
    buyer, seller = parties(apis)
    order = fund(apis, buyer, seller, "100.00")
    assert refused(apis, OPERATOR, order["id"], "resolve", {"to_seller": "50.00", "to_buyer": "50.00"}) == (
        409,
        "INVALID_STATE",
    )
    step(apis, OPERATOR, order["id"], "shipment", {"carrier": "DHL", "tracking_ref": "T3"})
    step(apis, OPERATOR, order["id"], "delivery")
    opened = step(apis, BUYER, order["id"], "dispute", {"reason": "two crates damaged"})
    assert (opened["event"], opened["status"]) == ("DisputeOpened", "disputed")
    assert refused(apis, BUYER, order["id"], "accept") == (409, "INVALID_STATE")
    assert refused(apis, OPERATOR, order["id"], "resolve", {"to_seller": "50.00", "to_buyer": "49.99"}) == (
        400,
        "INVALID_AMOUNT",
    )
    resolved = step(apis, OPERATOR, order["id"], "resolve", {"to_seller": "60.00", "to_buyer": "40.00"})
    assert (resolved["event"], resolved["status"], resolved["held"]) == ("DisputeResolved", "resolved", "0.00")
    assert balances(apis, buyer)["USD"] == "940.00" and balances(apis, seller)["USD"] == "60.00"
    dispute = apis[SELLER].ok("GET", f"/v1/orders/{order['id']}")["dispute"]
    assert (dispute["reason"], dispute["to_seller"], dispute["to_buyer"]) == ("two crates damaged", "60.00", "40.00")


def test_frozen_seller_keeps_the_money_in_escrow(apis: Apis) -> None:
    buyer, seller = parties(apis)
    order = fund(apis, buyer, seller, "10.00")
    apis[COMPLIANCE].ok("POST", f"/v1/accounts/{seller}/freeze", {"reason": "aml review"})
    apis.sync()
    assert refused(apis, BUYER, order["id"], "accept") == (422, "ACCOUNT_FROZEN")
    apis[COMPLIANCE].ok("POST", f"/v1/accounts/{seller}/unfreeze", {"reason": "cleared"})
    apis.sync()
    assert step(apis, BUYER, order["id"], "accept")["status"] == "released"


def test_who_sees_an_order(apis: Apis) -> None:
    # Both accounts are buyer-us's: seller-cn is no party to it.
    buyer, other = open_account(apis, BUYER, "ebuyer"), open_account(apis, BUYER, "ebuyer2")
    mint(apis, buyer, "10.00")
    order = fund(apis, buyer, other, "10.00")
    apis.sync()
    for who in (BUYER, OPERATOR, BANK, COMPLIANCE, AUDITOR):
        assert apis[who].ok("GET", f"/v1/orders/{order['id']}")["id"] == order["id"]
    r = apis[SELLER].get(f"/v1/orders/{order['id']}")
    assert (r.status_code, r.json()["code"]) == (404, "UNKNOWN_ORDER")
    missing = apis[SELLER].get(f"/v1/orders/{new_id('PO')}")
    assert (missing.status_code, missing.json()["code"]) == (404, "UNKNOWN_ORDER")
    assert refused(apis, SELLER, order["id"], "release") == (404, "UNKNOWN_ORDER")
    assert refused(apis, AUDITOR, order["id"], "release") == (403, "FORBIDDEN")
    assert refused(apis, SELLER, order["id"], "shipment", {"carrier": "X", "tracking_ref": "Y"}) == (403, "FORBIDDEN")


def test_idempotent_funding(apis: Apis) -> None:
    buyer, seller = parties(apis)
    body = {"id": new_id("PO"), "buyer_account": buyer, "seller_account": seller, "currency": "USD"}
    body |= {"amount": "5.00", "ship_by": now() + 600, "inspection_seconds": 60}
    first = apis[BUYER].post("/v1/orders", body, key="fund-once")
    again = apis[BUYER].post("/v1/orders", body, key="fund-once")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["tx_id"] == first.json()["tx_id"]
    assert balances(apis, buyer)["USD"] == "995.00"


def test_fifty_orders_to_one_seller_and_their_releases_all_commit(apis: Apis) -> None:
    seller = open_account(apis, SELLER, "hotseller")
    buyers = [open_account(apis, BUYER, "hotbuyer") for _ in range(50)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda b: mint(apis, b, "2.00"), buyers))
        orders = list(pool.map(lambda b: fund(apis, b, seller, "2.00"), buyers))
        released = list(pool.map(lambda o: step(apis, BUYER, o["id"], "accept"), orders))
    assert all(r["status"] == "released" for r in released)
    assert balances(apis, seller)["USD"] == "100.00"


def test_supply_counts_what_escrow_holds(apis: Apis) -> None:
    buyer, seller = parties(apis)
    before = apis[AUDITOR].ok("GET", "/v1/supply")["USD"]
    fund(apis, buyer, seller, "7.00")
    apis.sync()
    after = apis[AUDITOR].ok("GET", "/v1/supply")["USD"]
    assert after["invariant_holds"] and before["invariant_holds"]
    assert cents(after["escrowed"]) - cents(before["escrowed"]) == 700


def cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int(fraction.ljust(2, "0"))
