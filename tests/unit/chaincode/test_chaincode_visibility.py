"""The one visibility rule (`chaincode.access`) and every contract read that applies it.

Each read, each identity, a resource of each owner: visible exactly as the rule says; otherwise the
answer is byte-for-byte the one for a resource that does not exist (the same read on a twin ledger that
lacks it).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chaincode_fixtures import Ledger, make_identity, who

from chaincode import access
from chaincode.access import caller_of
from chaincode.contract import Err
from chaincode.protocol import Event, EventType, Leg

IDENTITIES = ("issuer", "compliance", "auditor", "operator", "buyer-us", "seller-cn")
OWNERS = ("buyer-us", "seller-cn")
# Who sees what a platform holder owns: the see-all roles, the platform's operator and the holder itself.
SEES = {owner: {"issuer", "compliance", "auditor", "operator", owner} for owner in OWNERS}


def caller(name: str) -> access.Caller:
    return caller_of(who(name).creator)


def world(*, with_resources: bool) -> tuple[Ledger, dict[str, str]]:
    """An account of each owner, funded, with a pending redemption; or (twin) the same ledger without them."""
    ledger = Ledger()
    redemptions: dict[str, str] = {}
    ledger.open("pool", "buyer-us")  # keeps tx and request numbering alike in both twins
    if with_resources:
        for owner in OWNERS:
            ledger.open(f"acct-{owner}", owner)
            ledger.mint(f"acct-{owner}", 1000)
            redemptions[owner] = ledger.redeem(owner, f"acct-{owner}", 100)
    return ledger, redemptions


READS = ("get_account", "get_account_history", "get_redemption")


def read_args(read: str, owner: str, redemptions: dict[str, str]) -> dict[str, Any]:
    if read == "get_redemption":
        return {"redemption_id": redemptions.get(owner, "f" * 64)}
    return {"account_id": f"acct-{owner}"}


@pytest.mark.parametrize("read", READS)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("name", IDENTITIES)
def test_read_matrix(read: str, owner: str, name: str) -> None:
    ledger, redemptions = world(with_resources=True)
    args = read_args(read, owner, redemptions)
    result = ledger.call(name, read, args)
    if name in SEES[owner]:
        assert not isinstance(result, Err), result
        return
    twin, _ = world(with_resources=False)
    missing = twin.call(name, read, {**args})
    assert isinstance(result, Err) and isinstance(missing, Err)
    assert result.message == missing.message


def test_a_role_less_identity_reads_nothing_whatever_it_names() -> None:
    ledger, redemptions = world(with_resources=True)
    admin = make_identity("admin", "BankMSP", None, "bank.example.com")
    for read in READS:
        assert ledger.err(admin, read, read_args(read, "buyer-us", redemptions)) == "UNAUTHORIZED"
    assert ledger.err(admin, "get_account", {"account_id": "nope"}) == "UNAUTHORIZED"


@pytest.mark.parametrize("name", IDENTITIES)
def test_writes_on_an_unseen_account_answer_like_a_missing_one(name: str) -> None:
    if name not in OWNERS:
        return  # the other roles may not transfer or redeem at all (UNAUTHORIZED, whatever the account)
    other = next(o for o in OWNERS if o != name)
    ledger, _ = world(with_resources=True)
    twin, _ = world(with_resources=False)
    transfer = {"from_account": f"acct-{other}", "to_account": f"acct-{name}", "currency": "USD", "amount": 1}
    redeem = {"account_id": f"acct-{other}", "currency": "USD", "amount": 1}
    for function, args in (("transfer", transfer), ("redeem", redeem)):
        args = {**args, "request_id": "r-x", **({"reference": "I-1"} if function == "transfer" else {})}
        seen, missing = ledger.call(name, function, args), twin.call(name, function, args)
        assert isinstance(seen, Err) and isinstance(missing, Err)
        assert seen.message == missing.message


# --- list_accounts --------------------------------------------------------------------------------------


def listing(ledger: Ledger, name: str, **args: Any) -> tuple[list[str], str | None]:
    full = {"holder_msp": None, "holder_subject": None, "cursor": None, "limit": 100, **args}
    page = ledger.ok(name, "list_accounts", **full)
    return [a["id"] for a in page["accounts"]], page["next_cursor"]


def every_page(ledger: Ledger, name: str, limit: int, **args: Any) -> list[str]:
    ids, cursor = listing(ledger, name, limit=limit, **args)
    while cursor is not None:
        more, cursor = listing(ledger, name, limit=limit, cursor=cursor, **args)
        assert more, "a page with a cursor after it is never empty"
        ids += more
    return ids


def listed_world() -> Ledger:
    ledger = Ledger()
    for i in range(5):
        ledger.open(f"b{i}", "buyer-us")
    for i in range(3):
        ledger.open(f"s{i}", "seller-cn")
    ledger.mint("b0", 700)
    return ledger


BUYER = {f"b{i}" for i in range(5)}
SELLER = {f"s{i}" for i in range(3)}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("issuer", BUYER | SELLER),
        ("compliance", BUYER | SELLER),
        ("auditor", BUYER | SELLER),
        ("operator", BUYER | SELLER),
        ("buyer-us", BUYER),
        ("seller-cn", SELLER),
    ],
)
def test_each_caller_lists_what_it_may_see_page_by_page(name: str, expected: set[str]) -> None:
    ledger = listed_world()
    for limit in (1, 2, 3, 100):
        ids = every_page(ledger, name, limit)
        assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))


def test_a_listing_carries_balances() -> None:
    ledger = listed_world()
    page = ledger.ok("buyer-us", "list_accounts", holder_msp=None, holder_subject=None, cursor=None, limit=1)
    assert page["accounts"][0]["id"] == "b0"
    assert page["accounts"][0]["balances"] == {"EUR": 0, "USD": 700}
    assert page["accounts"][0] == ledger.account("b0")


def test_filter_by_holder() -> None:
    ledger = listed_world()
    seller = who("seller-cn")
    by_seller = {"holder_msp": seller.msp_id, "holder_subject": seller.subject}
    assert set(every_page(ledger, "auditor", 2, **by_seller)) == SELLER
    assert set(every_page(ledger, "operator", 2, **by_seller)) == SELLER
    assert set(every_page(ledger, "seller-cn", 2, **by_seller)) == SELLER
    # Naming someone the caller may not see lists nothing, exactly like a holder with no account.
    assert listing(ledger, "buyer-us", **by_seller) == ([], None)
    nobody = {"holder_msp": seller.msp_id, "holder_subject": "CN=nobody"}
    assert listing(ledger, "auditor", **nobody) == ([], None)
    assert set(every_page(ledger, "issuer", 3, holder_msp="PlatformMSP")) == BUYER | SELLER
    assert listing(ledger, "operator", holder_msp="BankMSP") == ([], None)


def test_a_cursor_never_widens_a_listing() -> None:
    ledger = listed_world()
    _, cursor = listing(ledger, "auditor", limit=1)  # a cursor into buyer-us's accounts
    assert cursor is not None
    seller = who("seller-cn")
    mine = {"holder_msp": seller.msp_id, "holder_subject": seller.subject}
    # Someone else's cursor, or one no listing gave, reads like the end of the listing.
    assert listing(ledger, "seller-cn", **mine, cursor=cursor) == ([], None)
    for bad in ("ff", "00", "c3", "7a7a"):
        assert listing(ledger, "auditor", cursor=bad) == ([], None), bad
    assert listing(ledger, "auditor", cursor="00" + cursor) == ([], None)


def test_list_arguments_are_checked() -> None:
    ledger = listed_world()
    base = {"holder_msp": None, "holder_subject": None, "cursor": None, "limit": 10}
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": True}, {"holder_subject": "CN=x"}, {"holder_msp": "a b"}):
        assert ledger.err("auditor", "list_accounts", {**base, **bad}) == "INVALID_ARGUMENT"
    assert ledger.err(make_identity("x", "BankMSP", None), "list_accounts", base) == "UNAUTHORIZED"


def test_a_listing_is_read_only_on_fabric() -> None:
    # Fabric refuses writes after a paginated query; the in-memory stub does the same.
    ledger = listed_world()
    stub = ledger.stub(
        "auditor", "list_accounts", {**{"holder_msp": None, "holder_subject": None}, "cursor": None, "limit": 1}
    )
    assert not isinstance(ledger.run(stub), Err)
    assert stub.paginated and not stub.writes


# --- the rule for events --------------------------------------------------------------------------------


def party(name: str, account: str, amount: int | None) -> Leg:
    ident = who(name)
    return Leg(account, ident.msp_id, ident.subject, amount)


def test_events_are_seen_by_their_parties_only() -> None:
    ledger, _ = world(with_resources=True)
    ledger.transfer("buyer-us", "acct-buyer-us", "acct-seller-cn", 10)
    events = [Event.from_json(e.payload) for e in ledger.world.events]
    for name in IDENTITIES:
        seen = [e for e in events if access.visible_event(caller(name), e) is not None]
        touching = [e for e in events if any(leg.holder_subject == who(name).subject for leg in e.legs)]
        if name in OWNERS:
            assert seen == touching and seen
            assert all(access.visible_event(caller(name), e) == e for e in seen)  # two-party: whole events
        else:
            assert seen == events
    admin = caller_of(make_identity("admin", "BankMSP", None, "bank.example.com").creator)
    assert all(access.visible_event(admin, e) is None for e in events)


def test_a_bulk_payout_is_cut_to_each_payees_own_part() -> None:
    """An event shape for a future bulk payout: one debit, one credit per payee."""
    payer = make_identity("payer", "PlatformMSP", "holder", "platform.example.com")
    legs = (
        Leg("p", payer.msp_id, payer.subject, -30),
        party("buyer-us", "b", 10),
        party("seller-cn", "s", 20),
    )
    event = Event(EventType.TRANSFERRED, "tx", "r", ("p", "b", "s"), "USD", 30, {"reference": "PAY-1"}, legs)
    seller_view = access.visible_event(caller("seller-cn"), event)
    assert seller_view is not None
    assert (seller_view.legs, seller_view.accounts, seller_view.amount) == ((legs[0], legs[2]), ("p", "s"), 20)
    assert access.visible_event(caller_of(payer.creator), event) == event  # the payer sees what it paid
    assert access.visible_event(caller("operator"), event) == event
    assert access.visible_event(caller("auditor"), event) == event


def test_an_event_without_legs_is_for_the_see_all_roles() -> None:
    old = Event(EventType.MINTED, "tx", "r", ("acct-buyer-us",), "USD", 5, {"reserve_ref": "R"})
    assert access.visible_event(caller("issuer"), old) == old
    assert access.visible_event(caller("buyer-us"), old) is None
    assert access.visible_event(caller("operator"), old) is None


def test_the_operator_sees_its_platforms_holders_only() -> None:
    op = caller("operator")
    assert access.may_see_party(op, "PlatformMSP", "CN=anyone")
    assert not access.may_see_party(op, "OtherPlatformMSP", "CN=anyone")
    assert access.listing_scope(op, None, None) == ("PlatformMSP",)
    assert access.listing_scope(op, "PlatformMSP", "CN=a") == ("PlatformMSP", "CN=a")
    assert access.listing_scope(op, "BankMSP", None) is None
    buyer = caller("buyer-us")
    assert access.listing_scope(buyer, None, None) == ("PlatformMSP", buyer.subject)
    assert access.listing_scope(buyer, "PlatformMSP", None) == ("PlatformMSP", buyer.subject)
    assert access.listing_scope(buyer, "PlatformMSP", "CN=other") is None


def test_payload_of_visible_events_is_json_like_committed() -> None:
    ledger, _ = world(with_resources=True)
    raw = ledger.world.events[-1].payload
    assert Event.from_json(raw).to_dict() == json.loads(raw)
