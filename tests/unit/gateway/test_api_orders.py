"""/v1/orders over the fake ledger: the decimal edge, the receipts, the role checks, who sees an order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from network.layout import Layout
from tests.unit.gateway.fake_gateways import dev_layout
from tests.unit.gateway.test_api import Clients

BANK, OPERATOR, BUYER, SELLER, AUDITOR = (
    "BankOrg/issuer",
    "PlatformOrg/operator",
    "PlatformOrg/buyer-us",
    "PlatformOrg/seller-cn",
    "AuditorOrg/auditor",
)
SHIP_BY = 2_000_000_000  # after every proposal timestamp the fake ledger makes


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture
def api(layout: Layout, tmp_path: Path) -> Iterator[Clients]:
    clients = Clients(layout, tmp_path)
    for acct, holder in (("acme", BUYER), ("acme2", BUYER), ("shen", SELLER)):
        ok(clients.call(BANK, "POST", "/v1/accounts", {"id": acct, "holder": holder, "kyc_ref": f"K-{acct}"}))
    body = {"account": "acme", "currency": "USD", "amount": "100.00", "reserve_ref": "R1"}
    ok(clients.call(BANK, "POST", "/v1/mints", body))
    yield clients
    for c in clients.clients.values():
        c.close()
    clients.gateways.close()


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()
    return data


def problem(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["code"]


def fund(api: Clients, order_id: str, seller: str = "shen", **extra: Any) -> dict[str, Any]:
    body = {"id": order_id, "buyer_account": "acme", "seller_account": seller, "currency": "USD", "amount": "10.00"}
    return ok(api.call(BUYER, "POST", "/v1/orders", {**body, "ship_by": SHIP_BY, "inspection_seconds": 0, **extra}))


def test_fund_ship_deliver_release(api: Clients) -> None:
    milestones = [{"on": "shipment", "amount": "2.50"}, {"on": "acceptance", "amount": "7.50"}]
    r = fund(api, "PO-1", milestones=milestones)
    assert (r["event"], r["moved"], r["order"]["held"], r["order"]["status"]) == (
        "EscrowFunded",
        "10.00",
        "10.00",
        "funded",
    )
    assert r["order"]["milestones"][0] == {"on": "shipment", "amount": "2.50", "released": False}
    r = ok(api.call(OPERATOR, "POST", "/v1/orders/PO-1/shipment", {"carrier": "DHL", "tracking_ref": "T1"}))
    assert (r["event"], r["moved"], r["order"]["held"]) == ("ShipmentRecorded", "2.50", "7.50")
    ok(api.call(OPERATOR, "POST", "/v1/orders/PO-1/delivery"))
    r = ok(api.call(SELLER, "POST", "/v1/orders/PO-1/release"))
    assert (r["event"], r["moved"], r["order"]["status"]) == ("EscrowReleased", "7.50", "released")
    supply = ok(api.call(AUDITOR, "GET", "/v1/supply"))["USD"]
    assert supply["escrowed"] == "0.00" and supply["invariant_holds"]


def test_dispute_resolved_all_to_the_buyer(api: Clients) -> None:
    fund(api, "PO-2")
    assert ok(api.call(AUDITOR, "GET", "/v1/supply"))["USD"]["escrowed"] == "10.00"
    ok(api.call(BUYER, "POST", "/v1/orders/PO-2/dispute", {"reason": "never shipped"}))
    bad = api.call(OPERATOR, "POST", "/v1/orders/PO-2/resolve", {"to_seller": "1.00", "to_buyer": "1.00"})
    assert problem(bad) == (400, "INVALID_AMOUNT")
    r = ok(api.call(OPERATOR, "POST", "/v1/orders/PO-2/resolve", {"to_seller": "0", "to_buyer": "10.00"}))
    assert r["order"]["dispute"] == {"reason": "never shipped", "opened_at": r["order"]["dispute"]["opened_at"],
                                     "to_seller": "0.00", "to_buyer": "10.00"}  # fmt: skip
    assert ok(api.call(BUYER, "GET", "/v1/accounts/acme"))["balances"]["USD"] == "100.00"


def test_roles_and_visibility(api: Clients) -> None:
    fund(api, "PO-3", seller="acme2")  # both of buyer-us's accounts: seller-cn is no party
    for who in (BUYER, OPERATOR, BANK, AUDITOR):
        assert ok(api.call(who, "GET", "/v1/orders/PO-3"))["id"] == "PO-3"
    assert problem(api.call(SELLER, "GET", "/v1/orders/PO-3")) == (404, "UNKNOWN_ORDER")
    assert problem(api.call(SELLER, "GET", "/v1/orders/PO-nope")) == (404, "UNKNOWN_ORDER")
    assert problem(api.call(SELLER, "POST", "/v1/orders/PO-3/refund")) == (404, "UNKNOWN_ORDER")
    assert problem(api.call(AUDITOR, "POST", "/v1/orders/PO-3/release")) == (403, "FORBIDDEN")
    assert problem(api.call(BUYER, "POST", "/v1/orders/PO-3/delivery")) == (403, "FORBIDDEN")
    assert problem(api.call(OPERATOR, "POST", "/v1/orders/PO-3/accept")) == (403, "FORBIDDEN")
    assert problem(api.call(BANK, "POST", "/v1/orders/PO-3/refund")) == (409, "INVALID_STATE")


def test_replayed_funding_answers_the_first_receipt(api: Clients) -> None:
    body = {"id": "PO-4", "buyer_account": "acme", "seller_account": "shen", "currency": "USD", "amount": "1.00"}
    body |= {"ship_by": SHIP_BY, "inspection_seconds": 5}
    first = api.call(BUYER, "POST", "/v1/orders", body, key="k-1")
    again = api.call(BUYER, "POST", "/v1/orders", body, key="k-1")
    assert first.status_code == again.status_code == 201  # type: ignore[attr-defined]
    assert again.json()["tx_id"] == first.json()["tx_id"]  # type: ignore[attr-defined]
    assert again.headers["Idempotent-Replayed"] == "true"  # type: ignore[attr-defined]
