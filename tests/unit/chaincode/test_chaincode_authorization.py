"""Who may do what: every transaction by every dev identity (plus role-less and role-forging ones).

Allowed exactly where the rules say; everywhere else refused with the world state unchanged: UNAUTHORIZED
for a role that may not do it at all, UNKNOWN_ACCOUNT / UNKNOWN_REDEMPTION for a holder naming what it may
not see (not yours = not there; `test_chaincode_visibility` checks that answer matches a missing one).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from chaincode_fixtures import WRITE_FUNCTIONS, Identity, Ledger, dev_identities, make_identity, standard_ledger, who

DEV = ("issuer", "compliance", "operator", "buyer-us", "seller-cn", "auditor")
EVERYONE_READS = {"issuer", "compliance", "operator", "auditor"}  # every account here is a platform holder's
HOLDERS = {"buyer-us", "seller-cn"}


@functools.cache
def identities() -> dict[str, Identity]:
    extra = {
        "bank-admin (no role)": make_identity("admin", "BankMSP", None, "bank.example.com"),
        "platform cert claiming issuer": make_identity("mallory", "PlatformMSP", "issuer"),
        "auditor cert claiming compliance": make_identity("eve", "AuditorMSP", "compliance"),
        # buyer-us's exact subject without the holder role: holding takes the identity AND the role
        "buyer-us subject, no role": make_identity("buyer-us", "PlatformMSP", None, "platform.example.com"),
    }
    return {**{name: dev_identities()[name] for name in DEV}, **extra}


def test_role_less_twin_has_the_holders_subject() -> None:
    assert identities()["buyer-us subject, no role"].subject == who("buyer-us").subject


def scenario() -> tuple[Ledger, str]:
    """acme (buyer-us, funded), globex (seller-cn, funded), hooli (seller-cn, frozen), a pending redemption."""
    ledger = standard_ledger()
    ledger.transfer("buyer-us", "acme", "globex", 5000)
    ledger.open("hooli", "seller-cn")
    ledger.ok("compliance", "freeze", account_id="hooli", reason="aml", request_id="setup-freeze")
    return ledger, ledger.redeem("buyer-us", "acme", 700)


def write_cases(rid: str) -> list[tuple[str, dict[str, Any], set[str]]]:
    seller = who("seller-cn")
    return [
        (
            "open_account",
            {"account_id": "initech", "holder_msp": "PlatformMSP", "holder_subject": seller.subject, "kyc_ref": "K-1"},
            {"issuer"},
        ),
        ("mint", {"account_id": "acme", "currency": "USD", "amount": 10, "reserve_ref": "RES-Z"}, {"issuer"}),
        (
            "transfer",
            {"from_account": "acme", "to_account": "globex", "currency": "USD", "amount": 10, "reference": "I"},
            {"buyer-us"},
        ),
        (
            "transfer",
            {"from_account": "globex", "to_account": "acme", "currency": "USD", "amount": 10, "reference": "I"},
            {"seller-cn"},
        ),
        ("redeem", {"account_id": "acme", "currency": "USD", "amount": 10}, {"buyer-us"}),
        ("redeem", {"account_id": "globex", "currency": "USD", "amount": 10}, {"seller-cn"}),
        ("settle_redemption", {"redemption_id": rid, "payout_ref": "W-1"}, {"issuer"}),
        ("reject_redemption", {"redemption_id": rid, "reason": "no"}, {"issuer"}),
        ("freeze", {"account_id": "acme", "reason": "aml"}, {"compliance"}),
        ("unfreeze", {"account_id": "hooli", "reason": "cleared"}, {"compliance"}),
    ]


def test_cases_cover_every_write() -> None:
    assert {function for function, _, _ in write_cases("r")} == set(WRITE_FUNCTIONS)


@pytest.mark.parametrize("case", range(len(write_cases("r"))))
@pytest.mark.parametrize("name", list(identities()))
def test_write_matrix(case: int, name: str) -> None:
    ledger, rid = scenario()
    function, args, allowed = write_cases(rid)[case]
    args = {**args, "request_id": "matrix-1"}
    if name in allowed:
        result = ledger.ok(identities()[name], function, **args)
        assert result["request_id"] == "matrix-1"
    else:
        # A holder acting on another holder's account is told it does not exist.
        hidden = "UNKNOWN_ACCOUNT" if name in HOLDERS and function in ("transfer", "redeem") else "UNAUTHORIZED"
        assert ledger.err(identities()[name], function, args) == hidden


def read_cases(rid: str) -> list[tuple[str, dict[str, Any], set[str]]]:
    own = EVERYONE_READS | {"buyer-us"}
    return [
        ("get_account", {"account_id": "acme"}, own),
        ("get_account", {"account_id": "globex"}, EVERYONE_READS | {"seller-cn"}),
        ("get_account_history", {"account_id": "acme"}, own),
        ("get_redemption", {"redemption_id": rid}, own),
        ("get_supply", {}, EVERYONE_READS | {"buyer-us", "seller-cn"}),
    ]


@pytest.mark.parametrize("case", range(len(read_cases("r"))))
@pytest.mark.parametrize("name", list(identities()))
def test_read_matrix(case: int, name: str) -> None:
    ledger, rid = scenario()
    function, args, allowed = read_cases(rid)[case]
    if name in allowed:
        ledger.ok(identities()[name], function, **args)
    else:
        hidden = {"get_redemption": "UNKNOWN_REDEMPTION"}.get(function, "UNKNOWN_ACCOUNT")
        assert ledger.err(identities()[name], function, args) == (hidden if name in HOLDERS else "UNAUTHORIZED")


def test_auditor_can_write_nothing() -> None:
    ledger, rid = scenario()
    for function, args, _ in write_cases(rid):
        assert ledger.err("auditor", function, {**args, "request_id": "a"}) == "UNAUTHORIZED"
