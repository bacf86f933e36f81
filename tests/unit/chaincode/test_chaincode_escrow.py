"""Escrow on the in-memory stub: every transition, every illegal one (nothing changes), the deadlines on
the proposal's time, frozen accounts, the supply invariant with escrow, and who may call what."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

import pytest
from chaincode_fixtures import Identity, Ledger, make_identity, standard_ledger, who

from chaincode.contract import Err, Ok, invoke
from chaincode.domain import escrow
from chaincode.errors import ContractError, ErrorCode, parse_error
from chaincode.protocol import WRITES, Function
from chaincode.stub import TxTimestamp

T0 = 1_900_000_000  # later than every timestamp the fixture ledger generates
SHIP_BY = T0 + 1000
INSPECTION = 100


def at(ledger: Ledger, seconds: int, identity: Identity | str, function: str, **args: Any) -> Ok | Err:
    if Function(function) in WRITES:
        args.setdefault("request_id", ledger.request_id())
    return ledger.run(ledger.stub(identity, function, args, timestamp=TxTimestamp(seconds, 0)))


def ok_at(ledger: Ledger, seconds: int, identity: Identity | str, function: str, **args: Any) -> Any:
    result = at(ledger, seconds, identity, function, **args)
    assert isinstance(result, Ok), result
    return json.loads(result.payload)


def err_at(ledger: Ledger, seconds: int, identity: Identity | str, function: str, **args: Any) -> str:
    before = ledger.snapshot()
    result = at(ledger, seconds, identity, function, **args)
    assert isinstance(result, Err), result
    assert ledger.snapshot() == before
    parsed = parse_error(result.message)
    assert parsed is not None
    return str(parsed[0])


def fund(ledger: Ledger, order_id: str = "o-1", amount: int = 10_000, milestones: Any = None, **extra: Any) -> Any:
    return ok_at(
        ledger,
        T0,
        "buyer-us",
        "fund_order",
        order_id=order_id,
        buyer_account="acme",
        seller_account="globex",
        currency="USD",
        amount=amount,
        ship_by=SHIP_BY,
        inspection_seconds=INSPECTION,
        milestones=milestones,
        **extra,
    )


def order(ledger: Ledger, order_id: str = "o-1") -> Any:
    return ledger.ok("auditor", "get_order", order_id=order_id)


def invariant(ledger: Ledger) -> None:
    for figures in ledger.supply().values():
        assert (
            figures["outstanding"] == figures["balances_total"] + figures["pending_redemptions"] + figures["escrowed"]
        )


# --- the domain ---------------------------------------------------------------------------------------------


def test_domain_milestones_must_sum_exactly() -> None:
    plan = (escrow.Milestone(escrow.Trigger.SHIPMENT, 30), escrow.Milestone(escrow.Trigger.ACCEPTANCE, 69))
    with pytest.raises(ContractError) as exc:
        escrow.fund("o", "a", "b", "USD", 100, plan, 10, 5, 0)
    assert exc.value.code is ErrorCode.INVALID_AMOUNT
    with pytest.raises(ContractError) as exc:
        escrow.fund("o", "a", "b", "USD", 100, None, 0, 5, 0)
    assert exc.value.code is ErrorCode.INVALID_ARGUMENT


def test_domain_life_of_an_order() -> None:
    plan = (escrow.Milestone(escrow.Trigger.SHIPMENT, 30), escrow.Milestone(escrow.Trigger.ACCEPTANCE, 70))
    o = escrow.fund("o", "a", "b", "USD", 100, plan, 10, 5, 0)
    o, due = o.ship(10, "DHL", "TRK")
    assert (o.status, due, o.held) == (escrow.OrderStatus.SHIPPED, 30, 70)
    o = o.deliver(20)
    with pytest.raises(ContractError):
        o.release(24)
    o, due = o.release(25)
    assert (o.status, due, o.held, o.released) == (escrow.OrderStatus.RELEASED, 70, 0, 100)
    for illegal in (lambda: o.release(99), o.accept, o.refund_by_seller, lambda: o.open_dispute(21, "x")):
        with pytest.raises(ContractError) as exc:
            illegal()
        assert exc.value.code is ErrorCode.INVALID_STATE


# --- the contract ---------------------------------------------------------------------------------------


def test_fund_moves_the_amount_into_escrow() -> None:
    ledger = standard_ledger()
    event = fund(ledger)
    assert event["type"] == "EscrowFunded" and event["amount"] == 10_000
    assert [g["amount"] for g in event["legs"]] == [-10_000, None]
    assert ledger.balance("acme") == 90_000
    view = order(ledger)
    assert (view["status"], view["held"], view["released"], view["refunded"]) == ("funded", 10_000, 0, 0)
    assert view["milestones"] == [{"on": "acceptance", "amount": 10_000, "released": False}]
    assert ledger.supply()["USD"]["escrowed"] == 10_000
    invariant(ledger)


def test_fund_refusals() -> None:
    ledger = standard_ledger()
    fund(ledger)
    base = dict(order_id="o-2", buyer_account="acme", seller_account="globex", currency="USD", amount=100)
    base |= dict(ship_by=SHIP_BY, inspection_seconds=INSPECTION)
    bad = [{"milestones": [{"on": "shipment", "amount": 30}, {"on": "acceptance", "amount": 71}]}]
    assert err_at(ledger, T0, "buyer-us", "fund_order", **base, **bad[0]) == "INVALID_AMOUNT"
    assert err_at(ledger, T0, "buyer-us", "fund_order", **{**base, "order_id": "o-1"}, milestones=None) == (
        "ORDER_EXISTS"
    )
    assert err_at(ledger, SHIP_BY, "buyer-us", "fund_order", **base, milestones=None) == "INVALID_ARGUMENT"
    assert err_at(ledger, T0, "buyer-us", "fund_order", **{**base, "amount": 10**9}, milestones=None) == (
        "INSUFFICIENT_FUNDS"
    )
    ledger.ok("compliance", "freeze", account_id="acme", reason="aml", request_id="f")
    assert err_at(ledger, T0, "buyer-us", "fund_order", **base, milestones=None) == "ACCOUNT_FROZEN"


def test_shipment_milestone_then_acceptance() -> None:
    ledger = standard_ledger()
    fund(ledger, milestones=[{"on": "shipment", "amount": 3000}, {"on": "acceptance", "amount": 7000}])
    event = ok_at(ledger, T0 + 10, "operator", "record_shipment", order_id="o-1", carrier="DHL", tracking_ref="T1")
    assert event["type"] == "ShipmentRecorded" and event["amount"] == 3000
    assert ledger.balance("globex") == 3000
    assert order(ledger)["held"] == 7000 and order(ledger)["shipment"]["carrier"] == "DHL"
    invariant(ledger)
    event = ok_at(ledger, T0 + 20, "buyer-us", "accept_order", order_id="o-1")
    assert event["type"] == "EscrowReleased" and event["amount"] == 7000
    assert ledger.balance("globex") == 10_000 and order(ledger)["status"] == "released"
    assert err_at(ledger, T0 + 30, "buyer-us", "accept_order", order_id="o-1") == "INVALID_STATE"
    assert err_at(ledger, T0 + 30, "seller-cn", "refund_order", order_id="o-1") == "INVALID_STATE"
    invariant(ledger)


def test_release_after_inspection_by_anyone() -> None:
    ledger = standard_ledger()
    fund(ledger)
    ok_at(ledger, T0 + 10, "operator", "record_shipment", order_id="o-1", carrier="DHL", tracking_ref="T1")
    ok_at(ledger, T0 + 20, "operator", "record_delivery", order_id="o-1")
    assert order(ledger)["delivered_at"] == T0 + 20
    assert err_at(ledger, T0 + 20 + INSPECTION - 1, "seller-cn", "release_order", order_id="o-1") == "INVALID_STATE"
    event = ok_at(ledger, T0 + 20 + INSPECTION, "seller-cn", "release_order", order_id="o-1")
    assert event["amount"] == 10_000 and ledger.balance("globex") == 10_000
    assert err_at(ledger, T0 + 9999, "issuer", "release_order", order_id="o-1") == "INVALID_STATE"


def test_expiry_refund_and_late_shipment() -> None:
    ledger = standard_ledger()
    fund(ledger)
    assert err_at(ledger, SHIP_BY, "issuer", "refund_order", order_id="o-1") == "INVALID_STATE"
    late = dict(order_id="o-1", carrier="DHL", tracking_ref="T1")
    assert err_at(ledger, SHIP_BY + 1, "operator", "record_shipment", **late) == "INVALID_STATE"
    event = ok_at(ledger, SHIP_BY + 1, "operator", "refund_order", order_id="o-1")
    assert event["type"] == "EscrowRefunded" and event["amount"] == 10_000
    assert ledger.balance("acme") == 100_000 and order(ledger)["status"] == "refunded"
    assert err_at(ledger, SHIP_BY + 2, "issuer", "refund_order", order_id="o-1") == "INVALID_STATE"
    invariant(ledger)


def test_seller_refunds_voluntarily() -> None:
    ledger = standard_ledger()
    fund(ledger)
    ok_at(ledger, T0 + 10, "operator", "record_shipment", order_id="o-1", carrier="DHL", tracking_ref="T1")
    assert err_at(ledger, T0 + 11, "buyer-us", "refund_order", order_id="o-1") == "INVALID_STATE"
    ok_at(ledger, T0 + 11, "seller-cn", "refund_order", order_id="o-1")
    assert ledger.balance("acme") == 100_000


def test_dispute_and_resolution() -> None:
    ledger = standard_ledger()
    fund(ledger)
    ok_at(ledger, T0 + 10, "operator", "record_shipment", order_id="o-1", carrier="DHL", tracking_ref="T1")
    ok_at(ledger, T0 + 20, "operator", "record_delivery", order_id="o-1")
    assert err_at(ledger, T0 + 21, "operator", "resolve_dispute", order_id="o-1", to_seller=1, to_buyer=9999) == (
        "INVALID_STATE"
    )
    event = ok_at(ledger, T0 + 21, "buyer-us", "open_dispute", order_id="o-1", reason="damaged")
    assert event["type"] == "DisputeOpened"
    assert err_at(ledger, T0 + 9999, "seller-cn", "release_order", order_id="o-1") == "INVALID_STATE"
    assert err_at(ledger, T0 + 22, "buyer-us", "accept_order", order_id="o-1") == "INVALID_STATE"
    assert err_at(ledger, T0 + 22, "operator", "resolve_dispute", order_id="o-1", to_seller=1, to_buyer=1) == (
        "INVALID_AMOUNT"
    )
    event = ok_at(ledger, T0 + 22, "operator", "resolve_dispute", order_id="o-1", to_seller=4000, to_buyer=6000)
    assert event["type"] == "DisputeResolved" and event["amount"] == 10_000
    assert (ledger.balance("acme"), ledger.balance("globex")) == (96_000, 4000)
    view = order(ledger)
    assert view["status"] == "resolved" and view["dispute"]["to_seller"] == 4000
    invariant(ledger)


def test_dispute_window_closes_with_inspection() -> None:
    ledger = standard_ledger()
    fund(ledger)
    ok_at(ledger, T0 + 10, "operator", "record_shipment", order_id="o-1", carrier="DHL", tracking_ref="T1")
    ok_at(ledger, T0 + 20, "operator", "record_delivery", order_id="o-1")
    assert err_at(ledger, T0 + 20 + INSPECTION, "buyer-us", "open_dispute", order_id="o-1", reason="x") == (
        "INVALID_STATE"
    )


def test_release_to_a_frozen_seller_stays_in_escrow() -> None:
    ledger = standard_ledger()
    fund(ledger)
    ledger.ok("compliance", "freeze", account_id="globex", reason="aml", request_id="f")
    assert err_at(ledger, T0 + 1, "buyer-us", "accept_order", order_id="o-1") == "ACCOUNT_FROZEN"
    assert order(ledger)["held"] == 10_000
    ledger.ok("compliance", "unfreeze", account_id="globex", reason="ok", request_id="u")
    ok_at(ledger, T0 + 2, "buyer-us", "accept_order", order_id="o-1")
    assert ledger.balance("globex") == 10_000


def test_replay_is_a_duplicate_request() -> None:
    ledger = standard_ledger()
    fund(ledger, request_id="fund-1")
    assert err_at(ledger, T0, "buyer-us", "fund_order", order_id="o-9", buyer_account="acme", seller_account="globex",
                  currency="USD", amount=1, ship_by=SHIP_BY, inspection_seconds=1, milestones=None,
                  request_id="fund-1") == "DUPLICATE_REQUEST"  # fmt: skip


# --- who may call what ----------------------------------------------------------------------------------


@functools.cache
def identities() -> dict[str, Identity]:
    names = ("issuer", "compliance", "operator", "buyer-us", "seller-cn", "auditor")
    return {
        **{n: who(n) for n in names},
        "other holder": make_identity("carol", "PlatformMSP", "holder"),
        "bank-admin (no role)": make_identity("admin", "BankMSP", None, "bank.example.com"),
        "platform cert claiming operator": make_identity("mallory", "AuditorMSP", "operator"),
    }


BANK = {"issuer", "compliance"}
CASES: list[tuple[str, str, dict[str, Any], set[str]]] = [
    # (function, the order's state to start from, args, who may)
    ("record_shipment", "funded", {"carrier": "DHL", "tracking_ref": "T"}, {"operator"}),
    ("record_delivery", "shipped", {}, {"operator"}),
    ("accept_order", "funded", {}, {"buyer-us"}),
    ("release_order", "inspected", {}, BANK | {"operator", "buyer-us", "seller-cn"}),
    ("refund_order", "expired", {}, BANK | {"operator", "buyer-us", "seller-cn"}),
    ("open_dispute", "funded", {"reason": "late"}, {"buyer-us"}),
    ("resolve_dispute", "disputed", {"to_seller": 4000, "to_buyer": 6000}, {"operator"}),
    ("get_order", "funded", {}, BANK | {"operator", "buyer-us", "seller-cn", "auditor"}),
]
NOW = {
    "funded": T0 + 1,
    "shipped": T0 + 2,
    "inspected": T0 + 10 + INSPECTION,
    "expired": SHIP_BY + 1,
    "disputed": T0 + 3,
}


def prepared(state: str) -> Ledger:
    ledger = standard_ledger()
    ledger.open("initech", "seller-cn")
    fund(ledger)
    if state in ("shipped", "inspected"):
        ok_at(ledger, T0 + 1, "operator", "record_shipment", order_id="o-1", carrier="DHL", tracking_ref="T")
    if state == "inspected":
        ok_at(ledger, T0 + 10, "operator", "record_delivery", order_id="o-1")
    if state == "disputed":
        ok_at(ledger, T0 + 1, "buyer-us", "open_dispute", order_id="o-1", reason="late")
    return ledger


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("name", list(identities()))
def test_escrow_matrix(case: int, name: str) -> None:
    function, state, args, allowed = CASES[case]
    ledger = prepared(state)
    args = {"order_id": "o-1", **args}
    if function != "get_order":
        args["request_id"] = "m-1"
    if name in allowed:
        ok_at(ledger, NOW[state], identities()[name], function, **args)
    else:
        expected = "UNKNOWN_ORDER" if name == "other holder" and function not in (
            "record_shipment", "record_delivery", "resolve_dispute") else "UNAUTHORIZED"  # fmt: skip
        assert err_at(ledger, NOW[state], identities()[name], function, **args) == expected


@pytest.mark.parametrize("name", list(identities()))
def test_fund_matrix(name: str) -> None:
    ledger = standard_ledger()
    args = dict(order_id="o-1", buyer_account="acme", seller_account="globex", currency="USD", amount=100,
                ship_by=SHIP_BY, inspection_seconds=1, milestones=None)  # fmt: skip
    if name == "buyer-us":
        ok_at(ledger, T0, identities()[name], "fund_order", **args)
    else:
        expected = "UNKNOWN_ACCOUNT" if name in ("seller-cn", "other holder") else "UNAUTHORIZED"
        assert err_at(ledger, T0, identities()[name], "fund_order", **args) == expected


def test_many_orders_to_one_seller_and_releases_commit_together() -> None:
    """Concurrent endorsements (same committed state) of orders from distinct buyers to one seller, then of
    their releases: disjoint write sets, so every one validates (the hot-account model)."""
    ledger = standard_ledger()
    for i in range(5):
        ledger.open(f"b{i}", "buyer-us")
        ledger.mint(f"b{i}", 1000)
    stubs = [
        ledger.stub(
            "buyer-us",
            "fund_order",
            dict(
                order_id=f"o{i}",
                buyer_account=f"b{i}",
                seller_account="globex",
                currency="USD",
                amount=1000,
                ship_by=SHIP_BY,
                inspection_seconds=1,
                milestones=None,
                request_id=f"f{i}",
            ),
            timestamp=TxTimestamp(T0, 0),
        )
        for i in range(5)
    ]

    for stub in stubs:
        assert isinstance(asyncio.run(invoke(stub)), Ok)
    for stub in stubs:
        stub.validate()
        stub.commit()
    stubs = [
        ledger.stub(
            "buyer-us", "accept_order", {"order_id": f"o{i}", "request_id": f"a{i}"}, timestamp=TxTimestamp(T0 + 1, 0)
        )
        for i in range(5)
    ]
    for stub in stubs:
        assert isinstance(asyncio.run(invoke(stub)), Ok)
    for stub in stubs:
        stub.validate()
        stub.commit()
    assert ledger.balance("globex") == 5000
    invariant(ledger)


def test_the_server_refuses_a_proposal_far_from_its_clock() -> None:
    from chaincode.contract import handle
    from chaincode.server import bounded_clock
    from chaincode.shim import Failure, Success

    ledger = standard_ledger()
    checked = bounded_clock(handle, tolerance=60, clock=lambda: T0)
    for seconds, accepted in ((T0 - 60, True), (T0 + 60, True), (T0 + 61, False), (T0 - 61, False)):
        stub = ledger.stub("auditor", "get_supply", {}, timestamp=TxTimestamp(seconds, 0))
        result = asyncio.run(checked(stub))
        assert isinstance(result, Success if accepted else Failure), result
        if isinstance(result, Failure):
            assert result.message.startswith("INVALID_ARGUMENT: the proposal timestamp")
