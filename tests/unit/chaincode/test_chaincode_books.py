"""The bank's books on chain: DDA links, treasury mints once per core reference, payout accounts, who closes
a redemption, attestations, and the attestation check the auditor runs."""

from __future__ import annotations

from typing import Any

import pytest
from chaincode_fixtures import Ledger, standard_ledger, who

from chaincode.domain.books import Attestation, SupplyMove, attestation_disagreements, outstanding_at


def mint_args(ledger: Ledger, account_id: str, ref: str, amount: int = 5_000) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "currency": "USD",
        "amount": amount,
        "reserve_ref": ref,
        "request_id": ledger.request_id(),
    }


def test_a_dda_links_to_one_account_and_the_link_is_read_back() -> None:
    ledger = standard_ledger()
    assert ledger.ok("issuer", "open_account", **_open("initech", "DDA-1", ledger))["dda"] == "DDA-1"
    assert ledger.account("initech")["dda"] == "DDA-1"
    assert ledger.ok("treasury", "get_dda_link", dda="DDA-1") == {"dda": "DDA-1", "account_id": "initech"}
    assert ledger.err("issuer", "open_account", _open("hooli", "DDA-1", ledger)) == "DDA_LINKED"
    assert ledger.err("treasury", "get_dda_link", {"dda": "DDA-2"}) == "UNKNOWN_DDA"
    assert ledger.err("issuer", "open_account", _open("hooli", "not a dda!", ledger)) == "INVALID_ARGUMENT"
    # Who may resolve a link: the bank's see-all roles; a holder, the core or nobody may not.
    for name in ("buyer-us", "core", "operator"):
        assert ledger.err(name, "get_dda_link", {"dda": "DDA-1"}) == "UNAUTHORIZED"


def _open(account_id: str, dda: str, ledger: Ledger) -> dict[str, Any]:
    h = who("buyer-us")
    return {
        "account_id": account_id,
        "holder_msp": h.msp_id,
        "holder_subject": h.subject,
        "kyc_ref": "KYC-1",
        "request_id": ledger.request_id(),
        "dda": dda,
    }


def test_treasury_mints_and_a_reference_backs_one_mint_whoever_asks() -> None:
    ledger = standard_ledger()
    minted = ledger.ok("treasury", "mint", **mint_args(ledger, "acme", "CORE-1"))
    assert minted["reserve_ref"] == "CORE-1"
    assert ledger.err("treasury", "mint", mint_args(ledger, "acme", "CORE-1")) == "DUPLICATE_RESERVE_REF"
    assert ledger.err("issuer", "mint", mint_args(ledger, "acme", "CORE-1")) == "DUPLICATE_RESERVE_REF"
    ledger.ok("issuer", "mint", **mint_args(ledger, "acme", "CORE-2"))
    assert ledger.err("treasury", "mint", mint_args(ledger, "acme", "CORE-2")) == "DUPLICATE_RESERVE_REF"
    assert ledger.balance("acme") == 100_000 + 10_000


@pytest.mark.parametrize("name", ["core", "compliance", "auditor", "operator", "buyer-us"])
def test_only_issuer_and_treasury_mint(name: str) -> None:
    ledger = standard_ledger()
    assert ledger.err(name, "mint", mint_args(ledger, "acme", "CORE-9")) == "UNAUTHORIZED"


def test_the_core_identity_may_do_nothing_on_chain() -> None:
    ledger = standard_ledger()
    assert ledger.err("core", "get_supply", {}) == "UNAUTHORIZED"
    assert ledger.err("core", "get_account", {"account_id": "acme"}) == "UNAUTHORIZED"
    assert ledger.err("core", "list_attestations", {}) == "UNAUTHORIZED"


def test_a_redemption_names_its_payout_account_and_treasury_closes_it() -> None:
    ledger = standard_ledger()
    args = {"account_id": "acme", "currency": "USD", "amount": 1_000, "request_id": ledger.request_id()}
    external = ledger.ok("buyer-us", "redeem", **args, payout={"iban": "DE89370400440532013000"})
    assert external["payout_iban"] == "DE89370400440532013000"
    rid = external["redemption_id"]
    assert ledger.ok("auditor", "get_redemption", redemption_id=rid)["payout_to"] == {"iban": "DE89370400440532013000"}
    args["request_id"] = ledger.request_id()
    other = ledger.ok("buyer-us", "redeem", **args, payout={"account": "12345678", "bic": "DEUTDEFF"})
    assert (other["payout_account"], other["payout_bic"]) == ("12345678", "DEUTDEFF")
    for bad in ({"iban": "nope"}, {"account": "1"}, {"iban": "DE89370400440532013000", "bic": "DEUTDEFF"}, {}):
        args["request_id"] = ledger.request_id()
        assert ledger.err("buyer-us", "redeem", {**args, "payout": bad}) == "INVALID_ARGUMENT"
    settled = ledger.ok("treasury", "settle_redemption", redemption_id=rid, payout_ref="UETR-1", request_id="r1")
    assert settled["payout_ref"] == "UETR-1"
    rejected = ledger.ok(
        "treasury", "reject_redemption", redemption_id=other["redemption_id"], reason="AC04", request_id="r2"
    )
    assert rejected["reason"] == "AC04"
    assert ledger.balance("acme") == 100_000 - 1_000


def test_attestations_are_treasurys_and_read_by_the_bank_and_the_auditor() -> None:
    ledger = standard_ledger()
    digest = "ab" * 32
    args = {"currency": "USD", "balance": 100_000, "as_of_block": 7, "statement_sha256": digest}
    event = ledger.ok("treasury", "attest", **args, request_id="a1")
    assert (event["type"], event["amount"], event["as_of_block"], event["statement_sha256"]) == (
        "BalanceAttested",
        100_000,
        "7",
        digest,
    )
    for name in ("issuer", "core", "auditor", "buyer-us"):
        assert ledger.err(name, "attest", {**args, "request_id": "a2"}) == "UNAUTHORIZED"
    assert ledger.err("treasury", "attest", {**args, "statement_sha256": "XY", "request_id": "a3"}) == (
        "INVALID_ARGUMENT"
    )
    listed = ledger.ok("auditor", "list_attestations")["attestations"]
    assert [(a["currency"], a["balance"], a["as_of_block"]) for a in listed] == [("USD", 100_000, 7)]
    assert ledger.err("buyer-us", "list_attestations", {}) == "UNAUTHORIZED"


def test_an_attestation_is_checked_against_the_supply_at_its_block() -> None:
    moves = [SupplyMove(3, "USD", 500), SupplyMove(5, "USD", 200), SupplyMove(6, "USD", -100)]
    assert outstanding_at(moves, 4) == {"USD": 500}
    assert outstanding_at(moves, 6) == {"USD": 600}
    right = Attestation("USD", 700, 5, None, "t1", "ts")
    wrong = Attestation("USD", 700, 6, None, "t2", "ts")
    none_yet = Attestation("EUR", 0, 6, None, "t3", "ts")
    assert attestation_disagreements(moves, [right, wrong, none_yet]) == [(wrong, 600)]


def test_a_large_direct_mint_waits_for_a_second_bank_identity() -> None:
    ledger = standard_ledger()
    limit = 10_000_000 * 100  # 10,000,000.00 USD in cents
    small = ledger.ok("issuer", "mint", **mint_args(ledger, "acme", "WIRE-1", limit))
    assert small["type"] == "Minted"
    waiting = ledger.ok("issuer", "mint", **mint_args(ledger, "acme", "WIRE-2", limit + 1))
    assert (waiting["type"], waiting["reserve_ref"]) == ("MintRequested", "WIRE-2")
    assert ledger.balance("acme") == 100_000 + limit  # no token exists yet
    assert ledger.supply()["USD"]["minted"] == 100_000 + limit
    # The reference is claimed meanwhile: nobody mints against it a second time.
    assert ledger.err("treasury", "mint", mint_args(ledger, "acme", "WIRE-2")) == "DUPLICATE_RESERVE_REF"
    approve = {"mint_id": waiting["mint_id"], "request_id": "ap-1"}
    assert ledger.err("issuer", "approve_mint", approve) == "UNAUTHORIZED"  # the maker itself
    for name in ("treasury", "core", "auditor", "buyer-us"):
        assert ledger.err(name, "approve_mint", approve) == "UNAUTHORIZED"
    assert ledger.err("compliance", "approve_mint", {**approve, "mint_id": "nope"}) == "UNKNOWN_MINT"
    approved = ledger.ok("compliance", "approve_mint", **approve)
    assert (approved["type"], approved["amount"], approved["approved_by"]) == (
        "Minted",
        limit + 1,
        who("compliance").subject,
    )
    assert ledger.balance("acme") == 100_000 + 2 * limit + 1
    assert ledger.err("compliance", "approve_mint", {**approve, "request_id": "ap-2"}) == "INVALID_STATE"
    # The books' own mints never wait: they are backed by the core's booking.
    assert ledger.ok("treasury", "mint", **mint_args(ledger, "acme", "CORE-BIG", limit * 3))["type"] == "Minted"
