"""Issue 3 on the live network, through our Fabric client (no HTTP gateway in between): every contract
function, the authorisation matrix, bad input, and the hot-account case."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chaincode import protocol
from gateway import fabric
from gateway.fabric_ledger import retryable
from network.network import Network

ISSUER, COMPLIANCE, FX_DESK = "BankOrg/issuer", "BankOrg/compliance", "BankOrg/fx-desk"
TREASURY = "BankOrg/treasury"
BUYER, SELLER, AUDITOR = "PlatformOrg/buyer-us", "PlatformOrg/seller-cn", "AuditorOrg/auditor"


def rid() -> str:
    return uuid.uuid4().hex


def submit(contract: fabric.Contract, args: protocol.Args) -> dict[str, Any]:
    """Submit and wait; re-endorse (as the gateway does) when the endorsing peers were at different heights
    and returned different results, which happens right after a write under load."""
    for attempt in range(5):
        try:
            result = contract.submit_transaction(args.FUNCTION.value, [args.to_json()])
            break
        except fabric.GatewayError as exc:
            if not retryable(exc) or attempt == 4:
                raise
    data: dict[str, Any] = json.loads(result.result)
    return data


def evaluate(contract: fabric.Contract, args: protocol.Args) -> Any:
    return json.loads(contract.evaluate_transaction(args.FUNCTION.value, [args.to_json()]))


def rejected_code(call: Callable[[], object]) -> str | None:
    with pytest.raises(fabric.GatewayError) as info:
        call()
    return info.value.chaincode_code


def subject_of(network: Network, ref: str) -> tuple[str, str]:
    from gateway.directory import Directory

    org = network.topology.org(ref.split("/")[0])
    holder = Directory(network.topology, network.layout, org).holder(ref)
    assert holder is not None
    return holder


def open_account(network: Network, contracts: dict[str, fabric.Contract], holder: str) -> str:
    acct = f"cc-{uuid.uuid4().hex[:12]}"
    msp, subject = subject_of(network, holder)
    submit(contracts[ISSUER], protocol.OpenAccount(acct, msp, subject, f"KYC-{acct}", rid()))
    return acct


def snapshot(network: Network, contracts: dict[str, fabric.Contract], *accounts: str) -> Any:
    """What the auditor's peer sees, once every peer has committed the same blocks."""
    network.wait_peers_in_sync()
    auditor = contracts[AUDITOR]
    return ([evaluate(auditor, protocol.GetAccount(a)) for a in accounts], evaluate(auditor, protocol.GetSupply()))


@pytest.fixture(scope="module")
def accounts(network: Network, contracts: dict[str, fabric.Contract]) -> tuple[str, str]:
    buyer, seller = open_account(network, contracts, BUYER), open_account(network, contracts, SELLER)
    submit(contracts[ISSUER], protocol.Mint(buyer, "USD", 100_000, f"RES-{rid()}", rid()))
    network.wait_peers_in_sync()  # the tests read on the auditor's peer
    return buyer, seller


def test_every_read_function_answers(
    network: Network, contracts: dict[str, fabric.Contract], accounts: tuple[str, str]
) -> None:
    buyer, _ = accounts
    acct = evaluate(contracts[AUDITOR], protocol.GetAccount(buyer))
    assert acct["balances"]["USD"] == 100_000 and acct["status"] == "active"
    hist = evaluate(contracts[BUYER], protocol.GetAccountHistory(buyer))
    assert [(e["type"], e["amount"]) for e in hist["entries"]] == [("Minted", 100_000)]
    supply = evaluate(contracts[AUDITOR], protocol.GetSupply())
    assert set(supply) >= {code for code, _ in network.topology.currencies}  # the registry `up` wrote (and any since)
    red = submit(contracts[BUYER], protocol.Redeem(buyer, "USD", 100, rid()))
    view = evaluate(contracts[ISSUER], protocol.GetRedemption(red["redemption_id"]))
    assert (view["status"], view["amount"], view["account_id"]) == ("pending", 100, buyer)


def test_holders_read_only_their_own_accounts(contracts: dict[str, fabric.Contract], accounts: tuple[str, str]) -> None:
    buyer, _ = accounts
    # Not yours = not there.
    assert rejected_code(lambda: evaluate(contracts[SELLER], protocol.GetAccount(buyer))) == "UNKNOWN_ACCOUNT"
    assert evaluate(contracts["PlatformOrg/operator"], protocol.GetAccount(buyer))["id"] == buyer


def test_authorisation_matrix(network: Network, contracts: dict[str, fabric.Contract]) -> None:
    buyer, seller = open_account(network, contracts, BUYER), open_account(network, contracts, SELLER)
    submit(contracts[ISSUER], protocol.Mint(buyer, "EUR", 50_000, f"RES-{rid()}", rid()))
    pending = submit(contracts[BUYER], protocol.Redeem(buyer, "EUR", 10, rid()))["redemption_id"]
    # Committed on the buyer's peer; the bank's peer, which endorses what follows, may be a block behind.
    network.wait_peers_in_sync()
    msp, subject = subject_of(network, BUYER)
    writes: dict[str, tuple[Callable[[], protocol.Args], set[str]]] = {
        "open_account": (lambda: protocol.OpenAccount(f"m-{rid()[:10]}", msp, subject, "KYC", rid()), {ISSUER}),
        "mint": (lambda: protocol.Mint(buyer, "EUR", 1, f"RES-{rid()}", rid()), {ISSUER, TREASURY}),
        "transfer": (lambda: protocol.Transfer(buyer, seller, "EUR", 1, "INV", rid()), {BUYER}),
        "redeem": (lambda: protocol.Redeem(buyer, "EUR", 1, rid()), {BUYER}),
        "settle_redemption": (lambda: protocol.SettleRedemption(pending, "WIRE", rid()), {ISSUER, TREASURY}),
        "reject_redemption": (lambda: protocol.RejectRedemption(pending, "no", rid()), {ISSUER, TREASURY}),
        "freeze": (lambda: protocol.Freeze(seller, "hold", rid()), {COMPLIANCE}),
        "unfreeze": (lambda: protocol.Unfreeze(seller, "release", rid()), {COMPLIANCE}),
        # FX and payouts: denied here; allowed on the live network in tests/e2e/test_fx.py.
        "register_currency": (lambda: protocol.RegisterCurrency("CHF", 2, rid()), {ISSUER}),
        "post_quote": (lambda: protocol.PostQuote("USD", "EUR", "0.9", 4_000_000_000, 100, rid()), {FX_DESK}),
        "convert": (lambda: protocol.Convert(buyer, "f" * 64, "EUR", 1, rid()), {BUYER}),
        "payout": (lambda: protocol.Payout(buyer, "EUR", (protocol.PayoutLine(seller, 1, "R"),), rid()), {BUYER}),
        # Issuing banks: denied here; allowed on the two-bank network in tests/e2e_addorg (add-org registers).
        "register_issuer": (lambda: protocol.RegisterIssuer("EuroBankMSP", rid()), {ISSUER}),
    }
    # Escrow's writes have their own matrix (test_escrow_authorisation_matrix), the books' theirs (test_books).
    assert set(writes) | ESCROW_WRITES | BOOKS_WRITES == {f.value for f in protocol.WRITES}
    denied_before = snapshot(network, contracts, buyer, seller)
    for name, (make, allowed) in writes.items():
        for ref, contract in contracts.items():
            if ref in allowed:
                continue
            code = rejected_code(lambda c=contract, m=make: submit(c, m()))  # type: ignore[misc]
            # A holder naming another holder's account is told it does not exist.
            hidden = ref == SELLER and name in ("transfer", "redeem", "convert", "payout")
            assert code == ("UNKNOWN_ACCOUNT" if hidden else "UNAUTHORIZED"), (name, ref, code)
    assert snapshot(network, contracts, buyer, seller) == denied_before
    # ...and each is allowed to exactly its role (order matters: settle consumes the pending redemption).
    for name in ("open_account", "mint", "transfer", "redeem", "settle_redemption", "freeze", "unfreeze"):
        make, allowed = writes[name]
        submit(contracts[min(allowed)], make())  # the issuer where treasury may too
    other = submit(contracts[BUYER], protocol.Redeem(buyer, "EUR", 5, rid()))["redemption_id"]
    network.wait_peers_in_sync()
    submit(contracts[ISSUER], protocol.RejectRedemption(other, "no", rid()))


BOOKS_WRITES = {"attest", "approve_mint"}
ESCROW_WRITES = {
    "fund_order",
    "record_shipment",
    "record_delivery",
    "accept_order",
    "release_order",
    "refund_order",
    "open_dispute",
    "resolve_dispute",
}


def test_escrow_authorisation_matrix(network: Network, contracts: dict[str, fabric.Contract]) -> None:
    """Every escrow write x every identity (admins included) on a funded order: refused with the world
    unchanged, UNAUTHORIZED by role, UNKNOWN_* for what a holder may not see; INVALID_STATE where the role may
    call but the order's state forbids it (release before delivery, refund before ship_by)."""
    operator = "PlatformOrg/operator"
    buyer, seller = open_account(network, contracts, BUYER), open_account(network, contracts, SELLER)
    submit(contracts[ISSUER], protocol.Mint(buyer, "USD", 1_000, f"RES-{rid()}", rid()))
    network.wait_peers_in_sync()  # the buyer's endorsers must all have seen the mint
    ship_by = time.time_ns() // 1_000_000_000 + 3600  # an hour from now
    order = f"PO-{rid()[:10]}"
    submit(contracts[BUYER], protocol.FundOrder(order, buyer, seller, "USD", 100, ship_by, 60, None, rid()))
    actors = {ISSUER, COMPLIANCE, operator, BUYER, SELLER}
    cases: dict[str, tuple[Callable[[], protocol.Args], set[str], set[str]]] = {
        # name: (args, who may call it and succeed, who may call it but the state refuses)
        "fund_order": (
            lambda: protocol.FundOrder(f"PO-{rid()[:10]}", buyer, seller, "USD", 1, ship_by, 60, None, rid()),
            {BUYER},
            set(),
        ),
        "record_shipment": (lambda: protocol.RecordShipment(order, "DHL", "T", rid()), {operator}, set()),
        "record_delivery": (lambda: protocol.RecordDelivery(order, rid()), set(), {operator}),
        "accept_order": (lambda: protocol.AcceptOrder(order, rid()), {BUYER}, set()),
        "release_order": (lambda: protocol.ReleaseOrder(order, rid()), set(), actors),
        "refund_order": (lambda: protocol.RefundOrder(order, rid()), {SELLER}, actors - {SELLER}),
        "open_dispute": (lambda: protocol.OpenDispute(order, "late", rid()), {BUYER}, set()),
        "resolve_dispute": (lambda: protocol.ResolveDispute(order, 50, 50, rid()), set(), {operator}),
    }
    assert set(cases) == ESCROW_WRITES
    before = snapshot(network, contracts, buyer, seller)
    for name, (make, allowed, refused_by_state) in cases.items():
        for ref, contract in contracts.items():
            if ref in allowed:
                continue
            code = rejected_code(lambda c=contract, m=make: submit(c, m()))  # type: ignore[misc]
            if ref in refused_by_state:
                expected = "INVALID_STATE"
            elif ref == SELLER and name == "fund_order":
                expected = "UNKNOWN_ACCOUNT"  # the buyer's account is not the seller's to see
            else:
                expected = "UNAUTHORIZED"
            assert code == expected, (name, ref, code)
    assert snapshot(network, contracts, buyer, seller) == before
    view = evaluate(contracts[AUDITOR], protocol.GetOrder(order))
    assert (view["status"], view["held"]) == ("funded", 100)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"amount": 0}, "INVALID_AMOUNT"),
        ({"amount": -5}, "INVALID_AMOUNT"),
        ({"amount": 10**15 + 1}, "INVALID_AMOUNT"),
        ({"amount": 1.005}, "INVALID_AMOUNT"),
        ({"amount": "100"}, "INVALID_AMOUNT"),
        ({"currency": "XTS"}, "UNKNOWN_CURRENCY"),  # not in the registry
        ({"from_account": "no-such-acct"}, "UNKNOWN_ACCOUNT"),
        ({"surprise": 1}, "INVALID_ARGUMENT"),
    ],
)
def test_bad_input_changes_nothing(
    network: Network,
    contracts: dict[str, fabric.Contract],
    accounts: tuple[str, str],
    fields: dict[str, Any],
    code: str,
) -> None:
    buyer, seller = accounts
    args = {
        "from_account": buyer,
        "to_account": seller,
        "currency": "USD",
        "amount": 100,
        "reference": "INV",
        "request_id": rid(),
        **fields,
    }
    before = snapshot(network, contracts, buyer, seller)
    got = rejected_code(lambda: contracts[BUYER].submit_transaction("transfer", [json.dumps(args).encode()]))
    assert got == code
    assert snapshot(network, contracts, buyer, seller) == before


@pytest.mark.parametrize("raw", [[b"not json"], [b"[1,2]"], [], [b"{}", b"{}"]])
def test_malformed_arguments_are_invalid_argument(contracts: dict[str, fabric.Contract], raw: list[bytes]) -> None:
    assert rejected_code(lambda: contracts[BUYER].submit_transaction("transfer", raw)) == "INVALID_ARGUMENT"


def test_unknown_function(contracts: dict[str, fabric.Contract]) -> None:
    assert rejected_code(lambda: contracts[AUDITOR].evaluate_transaction("steal", [b"{}"])) == "UNKNOWN_FUNCTION"


def test_replayed_request_id_moves_nothing(
    network: Network, contracts: dict[str, fabric.Contract], accounts: tuple[str, str]
) -> None:
    buyer, seller = accounts
    args = protocol.Transfer(buyer, seller, "USD", 7, "INV-R", rid())
    submit(contracts[BUYER], args)
    before = snapshot(network, contracts, buyer, seller)
    assert rejected_code(lambda: submit(contracts[BUYER], args)) == "DUPLICATE_REQUEST"
    assert snapshot(network, contracts, buyer, seller) == before


def test_hot_account_fifty_concurrent_credits_all_commit(
    network: Network, contracts: dict[str, fabric.Contract]
) -> None:
    hot = open_account(network, contracts, SELLER)
    with ThreadPoolExecutor(25) as pool:
        payers = list(pool.map(lambda _: open_account(network, contracts, BUYER), range(25)))
        list(
            pool.map(lambda p: submit(contracts[ISSUER], protocol.Mint(p, "USD", 1_000, f"RES-{rid()}", rid())), payers)
        )
    # Endorsers at different heights would disagree about the payers' fresh balances (a retryable
    # mismatch unrelated to the hot account): start from a ledger every peer has committed.
    network.wait_peers_in_sync()

    def credit(i: int) -> str:
        # No retry: every credit must commit first time (a credit never reads the balance it adds to).
        # Even i: the bank mints into the hot account; odd i: one of 25 buyers' accounts pays into it.
        if i % 2:
            args: protocol.Args = protocol.Transfer(payers[i // 2], hot, "USD", 10, f"INV-HOT-{i}", rid())
            return contracts[BUYER].submit_transaction(args.FUNCTION.value, [args.to_json()]).transaction_id
        args = protocol.Mint(hot, "USD", 10, f"RES-HOT-{rid()}", rid())
        return contracts[ISSUER].submit_transaction(args.FUNCTION.value, [args.to_json()]).transaction_id

    with ThreadPoolExecutor(50) as pool:
        tx_ids = list(pool.map(credit, range(50)))
    assert len(set(tx_ids)) == 50
    network.wait_peers_in_sync()
    assert evaluate(contracts[AUDITOR], protocol.GetAccount(hot))["balances"]["USD"] == 500
