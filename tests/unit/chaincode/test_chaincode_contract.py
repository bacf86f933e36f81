"""Every rule of the contract, through `invoke` on the in-memory stub."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from chaincode_fixtures import Ledger, standard_ledger, who

from chaincode.contract import Err, Ok, handle, invoke
from chaincode.memory_stub import MemoryStub
from chaincode.shim import Failure, Success
from chaincode.stub import TxTimestamp


def transfer_args(ledger: Ledger, **changes: Any) -> dict[str, Any]:
    args = {
        "from_account": "acme",
        "to_account": "globex",
        "currency": "USD",
        "amount": 1200,
        "reference": "INV-1",
        "request_id": ledger.request_id(),
    }
    return {**args, **changes}


def open_args(ledger: Ledger, account_id: str = "initech", holder: str = "seller-cn") -> dict[str, Any]:
    h = who(holder)
    return {
        "account_id": account_id,
        "holder_msp": h.msp_id,
        "holder_subject": h.subject,
        "kyc_ref": "KYC-9",
        "request_id": ledger.request_id(),
    }


def last_event(ledger: Ledger) -> tuple[str, dict[str, Any]]:
    event = ledger.world.events[-1]
    return event.name, json.loads(event.payload)


# --- dispatch -------------------------------------------------------------------------------------------


def test_unknown_function_and_malformed_invocations() -> None:
    ledger = standard_ledger()
    assert ledger.err("issuer", "burn_everything", b"{}") == "UNKNOWN_FUNCTION"
    stub = ledger.stub("issuer", b"\xff\xfe", b"{}")
    assert asyncio.run(invoke(stub)) == Err("UNKNOWN_FUNCTION: no function '\ufffd\ufffd'")
    for args in ([], [b"get_supply"], [b"get_supply", b"{}", b"{}"]):
        result = asyncio.run(invoke(ledger.raw_stub("issuer", args)))
        assert isinstance(result, Err)
        assert result.message.split(":")[0] == ("UNKNOWN_FUNCTION" if not args else "INVALID_ARGUMENT")
    assert ledger.err("issuer", "mint", b"not json") == "INVALID_ARGUMENT"


def test_handle_adapts_to_the_shim() -> None:
    ledger = standard_ledger()
    assert isinstance(asyncio.run(handle(ledger.stub("auditor", "get_supply", b"{}"))), Success)
    failure = asyncio.run(handle(ledger.stub("auditor", "nope", b"{}")))
    assert isinstance(failure, Failure) and failure.message.startswith("UNKNOWN_FUNCTION: ")


def test_out_of_range_timestamp_is_refused() -> None:
    ledger = standard_ledger()
    stub = MemoryStub(
        ledger.world,
        creator=who("auditor").creator,
        args=[b"get_supply", b"{}"],
        tx_id="t",
        timestamp=TxTimestamp(-1, 0),
    )
    result = asyncio.run(invoke(stub))
    assert isinstance(result, Err) and result.message.startswith("INVALID_ARGUMENT: ")


# --- accounts -------------------------------------------------------------------------------------------


def test_open_account() -> None:
    ledger = Ledger()
    args = open_args(ledger, "initech", "seller-cn")
    result = ledger.ok("issuer", "open_account", **args)
    assert result == {
        "type": "AccountOpened",
        "tx_id": "tx000001",
        "request_id": args["request_id"],
        "accounts": ["initech"],
        "currency": None,
        "amount": None,
        "holder_msp": "PlatformMSP",
        "holder_subject": who("seller-cn").subject,
        "kyc_ref": "KYC-9",
        "legs": [leg("initech", "seller-cn", None)],
    }
    assert last_event(ledger) == ("AccountOpened", result)
    assert ledger.account("initech") == {
        "id": "initech",
        "holder_msp": "PlatformMSP",
        "holder_subject": who("seller-cn").subject,
        "kyc_ref": "KYC-9",
        "status": "active",
        "balances": {"EUR": 0, "USD": 0},
        "dda": None,
    }


def test_open_account_errors() -> None:
    ledger = standard_ledger()
    assert ledger.err("issuer", "open_account", open_args(ledger, "acme")) == "ACCOUNT_EXISTS"
    assert ledger.err("issuer", "open_account", open_args(ledger, "bad id")) == "INVALID_ARGUMENT"
    missing = open_args(ledger)
    del missing["request_id"]
    assert ledger.err("issuer", "open_account", missing) == "INVALID_ARGUMENT"


def test_get_account_unknown() -> None:
    ledger = standard_ledger()
    assert ledger.err("auditor", "get_account", {"account_id": "nobody"}) == "UNKNOWN_ACCOUNT"
    assert ledger.err("auditor", "get_account_history", {"account_id": "nobody"}) == "UNKNOWN_ACCOUNT"


# --- mint -----------------------------------------------------------------------------------------------


def test_mint_credits_and_counts_supply() -> None:
    ledger = standard_ledger()
    result = ledger.mint("globex", 250, "EUR")
    assert result["type"] == "Minted" and result["amount"] == 250 and result["currency"] == "EUR"
    assert result["reserve_ref"].startswith("RES-")
    assert ledger.account("globex")["balances"] == {"EUR": 250, "USD": 0}
    assert ledger.supply()["EUR"]["minted"] == 50_250
    assert last_event(ledger) == ("Minted", result)


def test_mint_errors() -> None:
    ledger = standard_ledger()

    def mint(**changes: Any) -> str:
        args = {"account_id": "acme", "currency": "USD", "amount": 100, "reserve_ref": "RES-X"}
        return ledger.err("issuer", "mint", {**args, "request_id": ledger.request_id(), **changes})

    assert mint(account_id="nobody") == "UNKNOWN_ACCOUNT"
    assert mint(currency="GBP") == "UNKNOWN_CURRENCY"
    for amount in (0, -1, 1.5, True, "100", 10**15 + 1):
        assert mint(amount=amount) == "INVALID_AMOUNT"
    ledger.ok("issuer", "mint", account_id="acme", currency="USD", amount=100, reserve_ref="RES-X", request_id="m1")
    assert mint() == "DUPLICATE_RESERVE_REF"
    assert mint(account_id="globex", currency="EUR") == "DUPLICATE_RESERVE_REF"
    ledger.ok("compliance", "freeze", account_id="globex", reason="aml", request_id="f1")
    assert mint(account_id="globex", reserve_ref="RES-Y") == "ACCOUNT_FROZEN"


# --- transfer -------------------------------------------------------------------------------------------


def leg(account: str, holder: str, amount: int | None) -> dict[str, object]:
    return {
        "account": account,
        "holder_msp": who(holder).msp_id,
        "holder_subject": who(holder).subject,
        "amount": amount,
    }


def test_transfer_moves_money_both_ways_in_history() -> None:
    ledger = standard_ledger()
    args = transfer_args(ledger)
    result = ledger.ok("buyer-us", "transfer", **args)
    assert result == {
        "type": "Transferred",
        "tx_id": result["tx_id"],
        "request_id": args["request_id"],
        "accounts": ["acme", "globex"],
        "currency": "USD",
        "amount": 1200,
        "reference": "INV-1",
        "legs": [
            {
                "account": "acme",
                "holder_msp": "PlatformMSP",
                "holder_subject": who("buyer-us").subject,
                "amount": -1200,
            },
            {
                "account": "globex",
                "holder_msp": "PlatformMSP",
                "holder_subject": who("seller-cn").subject,
                "amount": 1200,
            },
        ],
    }
    assert last_event(ledger) == ("Transferred", result)
    assert (ledger.balance("acme"), ledger.balance("globex")) == (98_800, 1200)
    assert ledger.balance("acme", "EUR") == 50_000
    out = ledger.ok("buyer-us", "get_account_history", account_id="acme")["entries"][-1]
    into = ledger.ok("seller-cn", "get_account_history", account_id="globex")["entries"][-1]
    assert (out["amount"], out["counterparty"], into["amount"], into["counterparty"]) == (-1200, "globex", 1200, "acme")
    assert out["tx_id"] == into["tx_id"] == result["tx_id"]
    assert out["reference"] == "INV-1" and out["type"] == "Transferred"


def test_transfer_all_then_nothing() -> None:
    ledger = standard_ledger()
    ledger.transfer("buyer-us", "acme", "globex", 100_000)
    assert ledger.balance("acme") == 0
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, amount=1)) == "INSUFFICIENT_FUNDS"


def test_insufficient_funds_message() -> None:
    ledger = Ledger()
    ledger.open("acme")
    ledger.open("globex", "seller-cn")
    ledger.mint("acme", 1000)
    result = ledger.call("buyer-us", "transfer", transfer_args(ledger))
    assert result == Err("INSUFFICIENT_FUNDS: account acme has 10.00 USD, needs 12.00")


def test_transfer_errors() -> None:
    ledger = standard_ledger()
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, to_account="acme")) == "INVALID_ARGUMENT"
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, to_account="nobody")) == "UNKNOWN_ACCOUNT"
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, from_account="nobody")) == "UNKNOWN_ACCOUNT"
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, currency="JPY")) == "UNKNOWN_CURRENCY"
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, amount=100_001)) == "INSUFFICIENT_FUNDS"
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger, amount=50_001, currency="EUR")) == (
        "INSUFFICIENT_FUNDS"
    )
    # Someone else's account: exactly as if it did not exist.
    assert ledger.err("seller-cn", "transfer", transfer_args(ledger)) == "UNKNOWN_ACCOUNT"


def test_frozen_accounts_neither_send_nor_receive() -> None:
    ledger = standard_ledger()
    ledger.transfer("buyer-us", "acme", "globex", 5000)
    ledger.ok("compliance", "freeze", account_id="globex", reason="aml", request_id="f1")
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger)) == "ACCOUNT_FROZEN"
    assert ledger.err("seller-cn", "transfer", transfer_args(ledger, from_account="globex", to_account="acme")) == (
        "ACCOUNT_FROZEN"
    )
    assert (
        ledger.err("seller-cn", "redeem", {"account_id": "globex", "currency": "USD", "amount": 1, "request_id": "r9"})
        == "ACCOUNT_FROZEN"
    )
    ledger.ok("compliance", "unfreeze", account_id="globex", reason="cleared", request_id="u1")
    ledger.transfer("buyer-us", "acme", "globex", 1)
    ledger.transfer("seller-cn", "globex", "acme", 1)


# --- freeze ---------------------------------------------------------------------------------------------


def test_freeze_and_unfreeze() -> None:
    ledger = standard_ledger()
    result = ledger.ok("compliance", "freeze", account_id="acme", reason="court order", request_id="f1")
    assert (result["type"], result["reason"], result["accounts"]) == ("AccountFrozen", "court order", ["acme"])
    assert ledger.account("acme")["status"] == "frozen"
    assert last_event(ledger)[0] == "AccountFrozen"
    assert ledger.err("compliance", "freeze", {"account_id": "acme", "reason": "x", "request_id": "f2"}) == (
        "INVALID_STATE"
    )
    result = ledger.ok("compliance", "unfreeze", account_id="acme", reason="lifted", request_id="u1")
    assert result["type"] == "AccountUnfrozen" and ledger.account("acme")["status"] == "active"
    assert ledger.err("compliance", "unfreeze", {"account_id": "acme", "reason": "x", "request_id": "u2"}) == (
        "INVALID_STATE"
    )
    assert ledger.err("compliance", "freeze", {"account_id": "nobody", "reason": "x", "request_id": "f3"}) == (
        "UNKNOWN_ACCOUNT"
    )
    assert ledger.err("compliance", "freeze", {"account_id": "acme", "reason": "", "request_id": "f4"}) == (
        "INVALID_ARGUMENT"
    )


# --- redemptions ----------------------------------------------------------------------------------------


def test_redeem_burns_and_opens_a_pending_redemption() -> None:
    ledger = standard_ledger()
    result = ledger.ok("buyer-us", "redeem", account_id="acme", currency="USD", amount=30_000, request_id="r1")
    redemption_id = result["redemption_id"]
    assert redemption_id == result["tx_id"]  # deterministic: the requesting transaction's id
    assert last_event(ledger) == ("RedemptionRequested", result)
    assert ledger.balance("acme") == 70_000
    assert ledger.ok("buyer-us", "get_redemption", redemption_id=redemption_id) == {
        "id": redemption_id,
        "account_id": "acme",
        "currency": "USD",
        "amount": 30_000,
        "status": "pending",
        "requested_tx_id": redemption_id,
        "closed_tx_id": None,
        "payout_ref": None,
        "reason": None,
        "payout_to": None,
    }
    usd = ledger.supply()["USD"]
    assert (usd["minted"], usd["redeemed"], usd["balances_total"], usd["pending_redemptions"]) == (
        100_000,
        0,
        70_000,
        30_000,
    )
    assert (
        ledger.err(
            "buyer-us", "redeem", {"account_id": "acme", "currency": "USD", "amount": 70_001, "request_id": "r2"}
        )
        == "INSUFFICIENT_FUNDS"
    )


def test_settle() -> None:
    ledger = standard_ledger()
    rid = ledger.redeem("buyer-us", "acme", 30_000)
    result = ledger.ok("issuer", "settle_redemption", redemption_id=rid, payout_ref="WIRE-1", request_id="s1")
    assert (result["type"], result["redemption_id"], result["payout_ref"], result["amount"]) == (
        "RedemptionSettled",
        rid,
        "WIRE-1",
        30_000,
    )
    assert last_event(ledger) == ("RedemptionSettled", result)
    view = ledger.ok("auditor", "get_redemption", redemption_id=rid)
    assert (view["status"], view["payout_ref"], view["closed_tx_id"]) == ("settled", "WIRE-1", result["tx_id"])
    usd = ledger.supply()["USD"]
    assert usd == {
        "minted": 100_000,
        "redeemed": 30_000,
        "outstanding": 70_000,
        "balances_total": 70_000,
        "pending_redemptions": 0,
        "escrowed": 0,
        "fx_in": 0,
        "fx_out": 0,
    }
    assert ledger.balance("acme") == 70_000
    for function, extra in (("settle_redemption", {"payout_ref": "W"}), ("reject_redemption", {"reason": "x"})):
        args = {"redemption_id": rid, "request_id": ledger.request_id(), **extra}
        assert ledger.err("issuer", function, args) == "INVALID_STATE"


def test_reject_returns_tokens() -> None:
    ledger = standard_ledger()
    rid = ledger.redeem("buyer-us", "acme", 30_000)
    result = ledger.ok("issuer", "reject_redemption", redemption_id=rid, reason="name mismatch", request_id="j1")
    assert (result["type"], result["reason"]) == ("RedemptionRejected", "name mismatch")
    assert last_event(ledger) == ("RedemptionRejected", result)
    assert ledger.balance("acme") == 100_000
    assert ledger.ok("auditor", "get_redemption", redemption_id=rid)["status"] == "rejected"
    assert ledger.supply()["USD"]["redeemed"] == 0
    history = ledger.ok("buyer-us", "get_account_history", account_id="acme")["entries"]
    assert [(e["type"], e["amount"], e["reference"]) for e in history[-2:]] == [
        ("RedemptionRequested", -30_000, rid),
        ("RedemptionRejected", 30_000, rid),
    ]
    for function, extra in (("settle_redemption", {"payout_ref": "W"}), ("reject_redemption", {"reason": "x"})):
        args = {"redemption_id": rid, "request_id": ledger.request_id(), **extra}
        assert ledger.err("issuer", function, args) == "INVALID_STATE"


def test_reject_into_a_frozen_account_restores_the_tokens_there() -> None:
    ledger = standard_ledger()
    rid = ledger.redeem("buyer-us", "acme", 30_000)
    ledger.ok("compliance", "freeze", account_id="acme", reason="aml", request_id="f1")
    ledger.ok("issuer", "reject_redemption", redemption_id=rid, reason="aml", request_id="j1")
    assert ledger.balance("acme") == 100_000
    assert ledger.err("buyer-us", "transfer", transfer_args(ledger)) == "ACCOUNT_FROZEN"


def test_unknown_redemption() -> None:
    ledger = standard_ledger()
    assert ledger.err("auditor", "get_redemption", {"redemption_id": "nope"}) == "UNKNOWN_REDEMPTION"
    assert (
        ledger.err("issuer", "settle_redemption", {"redemption_id": "nope", "payout_ref": "W", "request_id": "s"})
        == "UNKNOWN_REDEMPTION"
    )
    assert (
        ledger.err("issuer", "reject_redemption", {"redemption_id": "nope", "reason": "x", "request_id": "j"})
        == "UNKNOWN_REDEMPTION"
    )
    assert ledger.err("auditor", "get_redemption", {"redemption_id": "bad id!"}) == "INVALID_ARGUMENT"


# --- exactly once ---------------------------------------------------------------------------------------


def replays() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "issuer",
            "open_account",
            {"account_id": "initech", "holder_msp": "PlatformMSP", "holder_subject": "CN=x", "kyc_ref": "K"},
        ),
        ("issuer", "mint", {"account_id": "acme", "currency": "USD", "amount": 5, "reserve_ref": "RES-R"}),
        (
            "buyer-us",
            "transfer",
            {"from_account": "acme", "to_account": "globex", "currency": "USD", "amount": 5, "reference": "I"},
        ),
        ("buyer-us", "redeem", {"account_id": "acme", "currency": "USD", "amount": 5}),
        ("compliance", "freeze", {"account_id": "acme", "reason": "x"}),
    ]


@pytest.mark.parametrize(("caller", "function", "args"), replays())
def test_replayed_request_is_refused_and_changes_nothing(caller: str, function: str, args: dict[str, Any]) -> None:
    ledger = standard_ledger()
    first = ledger.ok(caller, function, **args, request_id="same")
    stored = ledger.world.data["\x00request\x00" + who(caller).msp_id + "\x00same\x00"]
    assert json.loads(stored) == first
    result = ledger.call(caller, function, {**args, "request_id": "same"})
    assert isinstance(result, Err)
    assert (
        result.message
        == f"DUPLICATE_REQUEST: request same of {who(caller).msp_id} already committed in tx " + (first["tx_id"])
    )
    assert ledger.err(caller, function, {**args, "request_id": "same"}) == "DUPLICATE_REQUEST"


def test_replayed_settle_and_reject() -> None:
    ledger = standard_ledger()
    rid = ledger.redeem("buyer-us", "acme", 10)
    ledger.ok("issuer", "settle_redemption", redemption_id=rid, payout_ref="W", request_id="s")
    assert (
        ledger.err("issuer", "settle_redemption", {"redemption_id": rid, "payout_ref": "W", "request_id": "s"})
        == "DUPLICATE_REQUEST"
    )
    rid = ledger.redeem("buyer-us", "acme", 10)
    ledger.ok("issuer", "reject_redemption", redemption_id=rid, reason="x", request_id="j")
    assert (
        ledger.err("issuer", "reject_redemption", {"redemption_id": rid, "reason": "x", "request_id": "j"})
        == "DUPLICATE_REQUEST"
    )
    ledger.ok("compliance", "freeze", account_id="acme", reason="x", request_id="u")
    ledger.ok("compliance", "unfreeze", account_id="acme", reason="x", request_id="u2")
    assert ledger.err("compliance", "unfreeze", {"account_id": "acme", "reason": "x", "request_id": "u2"}) == (
        "DUPLICATE_REQUEST"
    )


def test_request_ids_are_per_msp_and_a_failed_request_can_be_retried() -> None:
    ledger = standard_ledger()
    ledger.ok("compliance", "freeze", account_id="acme", reason="x", request_id="shared")
    ledger.ok("compliance", "unfreeze", account_id="acme", reason="x", request_id="shared-2")
    ledger.ok("buyer-us", "transfer", **transfer_args(ledger, request_id="shared"))  # PlatformMSP: another namespace
    args = transfer_args(ledger, from_account="globex", to_account="acme", amount=5000, request_id="retry")
    assert ledger.err("seller-cn", "transfer", args) == "INSUFFICIENT_FUNDS"
    ledger.transfer("buyer-us", "acme", "globex", 5000)
    ledger.ok("seller-cn", "transfer", **args)  # the failed attempt did not consume the request id
    assert ledger.err("seller-cn", "transfer", args) == "DUPLICATE_REQUEST"


# --- reads ----------------------------------------------------------------------------------------------


def test_history_is_in_ledger_order_with_timestamps() -> None:
    ledger = standard_ledger()
    ledger.transfer("buyer-us", "acme", "globex", 10)
    ledger.transfer("seller-cn", "globex", "acme", 3)
    history = ledger.ok("operator", "get_account_history", account_id="acme")
    assert history["account_id"] == "acme"
    entries = history["entries"]
    assert [e["amount"] for e in entries] == [100_000, 50_000, -10, 3]
    assert [e["currency"] for e in entries] == ["USD", "EUR", "USD", "USD"]
    assert entries == sorted(entries, key=lambda e: e["timestamp"])
    assert entries[0]["timestamp"] == "2027-01-15T08:00:03.000003000Z"
    assert set(entries[0]) == {"tx_id", "type", "currency", "amount", "counterparty", "reference", "timestamp"}


def test_supply_reports_every_currency() -> None:
    supply = Ledger().supply()
    zero = {"minted": 0, "redeemed": 0, "outstanding": 0, "balances_total": 0, "pending_redemptions": 0}
    zero |= {"escrowed": 0, "fx_in": 0, "fx_out": 0}
    assert supply == {"EUR": zero, "USD": zero}


def test_results_are_canonical_json() -> None:
    ledger = standard_ledger()
    result = ledger.call("auditor", "get_account", {"account_id": "acme"})
    assert isinstance(result, Ok)
    assert result.payload == json.dumps(json.loads(result.payload), sort_keys=True, separators=(",", ":")).encode()
    assert (
        ledger.world.events[-1].payload
        == json.dumps(json.loads(ledger.world.events[-1].payload), sort_keys=True, separators=(",", ":")).encode()
    )


def test_same_transaction_gives_same_bytes_on_every_endorser() -> None:
    ledger = standard_ledger()
    args = transfer_args(ledger)
    stubs = [
        ledger.stub("buyer-us", "transfer", args, tx_id="same-tx", timestamp=TxTimestamp(1_900_000_000, 5))
        for _ in range(2)
    ]
    results = [asyncio.run(invoke(s)) for s in stubs]
    assert results[0] == results[1]
    assert stubs[0].writes == stubs[1].writes and stubs[0].event == stubs[1].event
