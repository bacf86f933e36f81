"""The currency registry, FX quotes, conversions, payment versus payment and bulk payouts, on the in-memory
stub: the rate arithmetic (exact, across minor digits), every refusal code, and who may do what."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from chaincode_fixtures import Ledger, who

from chaincode import domain
from chaincode.access import caller_of, visible_event
from chaincode.contract import Ok, invoke
from chaincode.domain.fx import Quote, Rate, convert, price
from chaincode.errors import ContractError, ErrorCode
from chaincode.memory_stub import CommitConflict
from chaincode.protocol import MAX_PAYOUT_LINES, Event
from chaincode.stub import TxTimestamp

USD, CNH, JPY = domain.Currency("USD", 2), domain.Currency("CNH", 2), domain.Currency("JPY", 0)
LATER = 1_900_000_000  # after every generated proposal time


def code_of(exc: pytest.ExceptionInfo[ContractError]) -> ErrorCode:
    return exc.value.code


# --- rate arithmetic --------------------------------------------------------------------------------------


def test_rate_is_an_exact_reduced_ratio() -> None:
    assert Rate.parse("7.12345678") == Rate(356172839, 50000000)
    assert Rate.parse("150.25") == Rate(601, 4)
    assert Rate.parse("2") == Rate(2, 1)
    assert Rate.parse("0.00000001") == Rate(1, 100_000_000)
    for text in ("7.12345678", "150.25", "2", "0.5", "0.00000001"):
        assert Rate.parse(text).format() == text


@pytest.mark.parametrize("text", ["7.123456789", "0", "0.00000000", "-1", "1e3", "1.", ".5", " 1", "01", 7, None])
def test_rate_refuses_everything_else(text: Any) -> None:
    with pytest.raises(ContractError) as exc:
        Rate.parse(text)
    assert code_of(exc) is ErrorCode.INVALID_ARGUMENT


def test_conversion_rounds_down_exactly() -> None:
    rate = Rate.parse("7.12345678")
    # 123.45 USD x 7.12345678 = 879.3907394910 CNH -> 879.39
    assert convert(12345, USD, CNH, rate, True) == 87939
    # 879.39 CNH / 7.12345678 = 123.4499... USD -> 123.44: a round trip never creates a unit
    assert convert(87939, CNH, USD, rate, False) == 12344


def test_conversion_across_minor_digits() -> None:
    usd_jpy = Rate.parse("150.25")
    assert convert(100, USD, JPY, usd_jpy, True) == 150  # 1.00 USD = 150.25 JPY -> 150 JPY
    assert convert(1000, JPY, USD, usd_jpy, False) == 665  # 1000 JPY = 6.6555 USD -> 6.65
    assert convert(151, JPY, USD, usd_jpy, False) == 100  # 151 JPY = 1.00499 USD -> 1.00
    with pytest.raises(ContractError) as exc:
        convert(1, JPY, USD, usd_jpy, False)  # 0.0066 USD: less than a cent
    assert code_of(exc) is ErrorCode.INVALID_AMOUNT


def test_quote_use_counts_base_units() -> None:
    quote = Quote("q", "USD", "JPY", Rate.parse("150.25"), valid_until=100, max_base_amount=1000)
    conversion, after = price(quote, JPY, USD, 1000, now=100)  # buys 6.65 USD: 665 base units used
    assert (conversion.bought, conversion.base_used, after.remaining) == (665, 665, 335)
    with pytest.raises(ContractError) as exc:
        price(after, USD, JPY, 336, now=100)
    assert code_of(exc) is ErrorCode.QUOTE_EXHAUSTED
    with pytest.raises(ContractError) as exc:
        price(after, USD, JPY, 1, now=101)
    assert code_of(exc) is ErrorCode.QUOTE_EXPIRED
    with pytest.raises(ContractError) as exc:
        price(after, USD, CNH, 1, now=100)
    assert code_of(exc) is ErrorCode.INVALID_ARGUMENT


# --- the registry -----------------------------------------------------------------------------------------


def register(ledger: Ledger, code: str, digits: int) -> Any:
    return ledger.ok("issuer", "register_currency", code=code, minor_digits=digits, request_id=ledger.request_id())


def fx_ledger() -> Ledger:
    """acme (buyer-us: 1000.00 USD, 100 JPY), globex (seller-cn), with CNH and JPY registered."""
    ledger = Ledger()
    register(ledger, "CNH", 2)
    register(ledger, "JPY", 0)
    ledger.open("acme", "buyer-us")
    ledger.open("globex", "seller-cn")
    ledger.mint("acme", 100_000, "USD")
    ledger.mint("acme", 100, "JPY")
    return ledger


def test_registry() -> None:
    ledger = Ledger()
    assert ledger.ok("auditor", "get_currencies") == [
        {"code": "EUR", "minor_digits": 2},
        {"code": "USD", "minor_digits": 2},
    ]
    args = {"code": "GBP", "minor_digits": 2, "request_id": "r-gbp"}
    assert ledger.err("compliance", "register_currency", args) == "UNAUTHORIZED"
    assert ledger.err("fx-desk", "register_currency", args) == "UNAUTHORIZED"
    assert ledger.err(
        "issuer", "mint", {"account_id": "a", "currency": "GBP", "amount": 1, "reserve_ref": "R", "request_id": "m"}
    ) in {"UNKNOWN_ACCOUNT", "UNKNOWN_CURRENCY"}
    register(ledger, "GBP", 2)
    assert ledger.err("issuer", "register_currency", {**args, "request_id": "again"}) == "CURRENCY_EXISTS"
    assert ledger.err("issuer", "register_currency", {**args, "code": "gbp"}) == "UNKNOWN_CURRENCY"
    assert ledger.err("issuer", "register_currency", {**args, "minor_digits": 5}) == "INVALID_ARGUMENT"
    assert set(ledger.supply()) == {"EUR", "GBP", "USD"}
    ledger.open("acme")
    assert (
        ledger.err(
            "issuer",
            "mint",
            {"account_id": "acme", "currency": "CHF", "amount": 1, "reserve_ref": "R", "request_id": "m"},
        )
        == "UNKNOWN_CURRENCY"
    )
    assert ledger.account("acme")["balances"] == {"EUR": 0, "GBP": 0, "USD": 0}


# --- quotes and conversions -------------------------------------------------------------------------------


def post_quote(
    ledger: Ledger,
    base: str = "USD",
    quote: str = "CNH",
    rate: str = "7.12345678",
    valid_until: int = LATER,
    max_base_amount: int = 50_000,
) -> str:
    result = ledger.ok(
        "fx-desk",
        "post_quote",
        base=base,
        quote=quote,
        rate=rate,
        valid_until=valid_until,
        max_base_amount=max_base_amount,
        request_id=ledger.request_id(),
    )
    return str(result["quote_id"])


def conversion(quote_id: str, sell: str, amount: int, account: str = "acme", rid: str = "c-1") -> dict[str, Any]:
    return {
        "account_id": account,
        "quote_id": quote_id,
        "sell_currency": sell,
        "sell_amount": amount,
        "request_id": rid,
    }


@pytest.mark.parametrize("role", ["issuer", "compliance", "operator", "buyer-us", "auditor"])
def test_only_the_fx_desk_quotes(role: str) -> None:
    ledger = fx_ledger()
    args = {"base": "USD", "quote": "CNH", "rate": "7.1", "valid_until": LATER, "max_base_amount": 1, "request_id": "q"}
    assert ledger.err(role, "post_quote", args) == "UNAUTHORIZED"


def test_quote_refusals() -> None:
    ledger = fx_ledger()
    base = {"base": "USD", "quote": "CNH", "rate": "7.1", "valid_until": LATER, "max_base_amount": 1, "request_id": "q"}
    assert ledger.err("fx-desk", "post_quote", {**base, "quote": "GBP"}) == "UNKNOWN_CURRENCY"
    assert ledger.err("fx-desk", "post_quote", {**base, "quote": "USD"}) == "INVALID_ARGUMENT"
    assert ledger.err("fx-desk", "post_quote", {**base, "valid_until": 1_000}) == "INVALID_ARGUMENT"
    assert ledger.err("fx-desk", "post_quote", {**base, "rate": "7.123456789"}) == "INVALID_ARGUMENT"
    assert ledger.err("fx-desk", "post_quote", {**base, "rate": 7.1}) == "INVALID_ARGUMENT"
    assert ledger.err("fx-desk", "post_quote", {**base, "max_base_amount": 0}) == "INVALID_AMOUNT"


def test_convert_both_ways_keeps_every_invariant() -> None:
    ledger = fx_ledger()
    qid = post_quote(ledger)
    view = ledger.ok("buyer-us", "get_quote", quote_id=qid)
    assert (view["rate"], view["rate_numerator"], view["rate_denominator"]) == ("7.12345678", 356172839, 50000000)
    result = ledger.ok("buyer-us", "convert", **conversion(qid, "USD", 12345))
    assert (result["type"], result["bought_currency"], result["bought_amount"]) == ("Converted", "CNH", "87939")
    back = ledger.ok("buyer-us", "convert", **conversion(qid, "CNH", 87939, rid="c-2"))
    assert (back["bought_currency"], back["bought_amount"]) == ("USD", "12344")
    assert ledger.balance("acme", "USD") == 100_000 - 12345 + 12344
    assert ledger.balance("acme", "CNH") == 0
    assert ledger.ok("auditor", "get_quote", quote_id=qid)["used"] == 12345 + 12344
    supply = ledger.supply()
    assert (supply["USD"]["fx_out"], supply["USD"]["fx_in"]) == (12345, 12344)
    assert (supply["CNH"]["fx_out"], supply["CNH"]["fx_in"]) == (87939, 87939)
    for figures in supply.values():
        held = figures["balances_total"] + figures["pending_redemptions"] + figures["escrowed"]
        assert figures["outstanding"] == figures["minted"] + figures["fx_in"] - figures["redeemed"] - figures["fx_out"]
        assert figures["outstanding"] == held
    position = ledger.ok("auditor", "get_fx_position")
    assert position == {"CNH": 0, "EUR": 0, "JPY": 0, "USD": 1}  # the bank kept one cent of rounding


def test_conversion_refusals_change_nothing() -> None:
    ledger = fx_ledger()
    qid = post_quote(ledger, max_base_amount=1000)
    assert ledger.err("buyer-us", "convert", conversion(qid, "USD", 1001)) == "QUOTE_EXHAUSTED"
    assert ledger.err("buyer-us", "convert", conversion(qid, "EUR", 10)) == "INVALID_ARGUMENT"
    assert ledger.err("buyer-us", "convert", conversion(qid, "JPY", 10)) == "INVALID_ARGUMENT"
    assert ledger.err("buyer-us", "convert", conversion(qid, "GBP", 10)) == "UNKNOWN_CURRENCY"
    assert ledger.err("buyer-us", "convert", conversion("f" * 64, "USD", 10)) == "UNKNOWN_QUOTE"
    assert ledger.err("buyer-us", "convert", conversion(qid, "CNH", 10)) == "INSUFFICIENT_FUNDS"
    jpy = post_quote(ledger, base="USD", quote="JPY", rate="150.25")
    assert ledger.err("buyer-us", "convert", conversion(jpy, "JPY", 1)) == "INVALID_AMOUNT"  # rounds to zero
    assert ledger.err("buyer-us", "convert", conversion(jpy, "JPY", 101)) == "INSUFFICIENT_FUNDS"
    expired = post_quote(ledger, valid_until=1_800_000_100)
    before = ledger.snapshot()
    late = ledger.stub("buyer-us", "convert", conversion(expired, "USD", 10), timestamp=TxTimestamp(1_800_000_101, 0))
    assert ledger.run(late).message.startswith("QUOTE_EXPIRED")
    assert ledger.snapshot() == before


@pytest.mark.parametrize("role", ["issuer", "compliance", "fx-desk", "operator", "auditor", "seller-cn"])
def test_only_the_holder_converts_its_own_balances(role: str) -> None:
    ledger = fx_ledger()
    qid = post_quote(ledger)
    assert ledger.err(role, "convert", conversion(qid, "USD", 10)) in {"UNAUTHORIZED", "UNKNOWN_ACCOUNT"}


def test_position_readers() -> None:
    ledger = fx_ledger()
    for role in ("issuer", "compliance", "fx-desk", "auditor"):
        assert ledger.ok(role, "get_fx_position")["USD"] == 0
    for role in ("operator", "buyer-us"):
        assert ledger.err(role, "get_fx_position", {}) == "UNAUTHORIZED"


def test_concurrent_conversions_against_one_quote_conflict() -> None:
    """Both endorsed against the same quote state: only the first to commit is valid."""
    ledger = fx_ledger()
    qid = post_quote(ledger, max_base_amount=1000)
    first = ledger.stub("buyer-us", "convert", conversion(qid, "USD", 600, rid="a"))
    second = ledger.stub("buyer-us", "convert", conversion(qid, "USD", 600, rid="b"))
    assert isinstance(asyncio.run(invoke(first)), Ok) and isinstance(asyncio.run(invoke(second)), Ok)
    first.commit()
    with pytest.raises(CommitConflict) as exc:
        second.commit()
    assert exc.value.validation_code == "MVCC_READ_CONFLICT"
    # Re-endorsed after the conflict, it meets what the first used.
    assert ledger.err("buyer-us", "convert", conversion(qid, "USD", 600, rid="b")) == "QUOTE_EXHAUSTED"
    assert ledger.ok("auditor", "get_quote", quote_id=qid)["used"] == 600


# --- payment versus payment -------------------------------------------------------------------------------


def pvp(ledger: Ledger, qid: str, amount: int, receive: str = "CNH", rid: str = "p-1") -> dict[str, Any]:
    return {
        "from_account": "acme",
        "to_account": "globex",
        "currency": "USD",
        "amount": amount,
        "reference": "INV-9",
        "request_id": rid,
        "receive_currency": receive,
        "quote_id": qid,
    }


def test_payment_versus_payment() -> None:
    ledger = fx_ledger()
    qid = post_quote(ledger)
    result = ledger.ok("buyer-us", "transfer", **pvp(ledger, qid, 12345))
    assert (result["amount"], result["receive_currency"], result["receive_amount"], result["rate"]) == (
        12345,
        "CNH",
        "87939",
        "7.12345678",
    )
    assert ledger.balance("acme", "USD") == 100_000 - 12345
    assert ledger.balance("globex", "CNH") == 87939
    assert ledger.balance("globex", "USD") == 0
    # The payee sees the whole payment: both amounts, its own leg in CNH.
    event = Event.from_json(ledger.world.events[-1].payload)
    seen = visible_event(caller_of(who("seller-cn").creator), event)
    assert seen == event and seen.legs[1].currency == "CNH"
    # Wrong pair, half a PvP, a quote used up: refused, nothing changes.
    assert ledger.err("buyer-us", "transfer", pvp(ledger, qid, 10, receive="JPY", rid="p-2")) == "INVALID_ARGUMENT"
    half = {k: v for k, v in pvp(ledger, qid, 10, rid="p-3").items() if k != "quote_id"}
    assert ledger.err("buyer-us", "transfer", half) == "INVALID_ARGUMENT"
    assert ledger.err("buyer-us", "transfer", pvp(ledger, qid, 50_000, rid="p-4")) == "QUOTE_EXHAUSTED"


# --- payouts ----------------------------------------------------------------------------------------------


def payout_args(lines: list[dict[str, Any]], rid: str = "po-1") -> dict[str, Any]:
    return {"from_account": "acme", "currency": "USD", "lines": lines, "request_id": rid}


def payees(ledger: Ledger, n: int) -> list[str]:
    ids = [f"sup-{i:03d}" for i in range(n)]
    for account in ids:
        ledger.open(account, "seller-cn")
    return ids


def test_payout_pays_every_line_and_each_payee_sees_its_own() -> None:
    ledger = fx_ledger()
    ledger.open("other", "buyer-us")
    lines = [{"to": "globex", "amount": 100, "reference": "L-0"}, {"to": "other", "amount": 250, "reference": "L-1"}]
    result = ledger.ok("buyer-us", "payout", **payout_args(lines))
    assert (result["type"], result["amount"], result["lines"]) == ("PayoutSettled", 350, "2")
    assert (ledger.balance("acme"), ledger.balance("globex"), ledger.balance("other")) == (100_000 - 350, 100, 250)
    event = Event.from_json(ledger.world.events[-1].payload)
    seen = visible_event(caller_of(who("seller-cn").creator), event)
    assert seen is not None
    assert [(g.account, g.amount, g.reference) for g in seen.legs] == [("acme", -350, None), ("globex", 100, "L-0")]
    assert seen.amount == 100
    history = ledger.ok("seller-cn", "get_account_history", account_id="globex")["entries"]
    assert [(e["type"], e["amount"], e["reference"]) for e in history] == [("PayoutSettled", 100, "L-0")]


def test_payout_refusals_name_the_line() -> None:
    ledger = fx_ledger()
    ok = {"to": "globex", "amount": 1, "reference": "R"}

    def refused(lines: list[dict[str, Any]], code: str, index: int) -> None:
        before = ledger.snapshot()
        result = ledger.call("buyer-us", "payout", payout_args(lines))
        assert not isinstance(result, Ok)
        assert result.message.startswith(f"{code}: lines[{index}]"), result.message
        assert ledger.snapshot() == before

    refused([ok, ok], "INVALID_ARGUMENT", 1)  # a payee twice
    refused([ok, {**ok, "to": "nobody"}], "UNKNOWN_ACCOUNT", 1)
    refused([ok, {**ok, "to": "acme"}], "INVALID_ARGUMENT", 1)
    refused([{**ok, "amount": 0}], "INVALID_AMOUNT", 0)
    ledger.open("frozen", "seller-cn")
    ledger.ok("compliance", "freeze", account_id="frozen", reason="hold", request_id="f")
    refused([ok, {**ok, "to": "frozen"}], "ACCOUNT_FROZEN", 1)
    assert ledger.err("buyer-us", "payout", payout_args([])) == "INVALID_ARGUMENT"
    too_many = [{"to": f"x{i}", "amount": 1, "reference": "R"} for i in range(MAX_PAYOUT_LINES + 1)]
    assert ledger.err("buyer-us", "payout", payout_args(too_many)) == "INVALID_ARGUMENT"
    big = [{**ok, "amount": 100_001}]
    assert ledger.err("buyer-us", "payout", payout_args(big)) == "INSUFFICIENT_FUNDS"
    assert ledger.err("seller-cn", "payout", payout_args([ok])) == "UNKNOWN_ACCOUNT"
    assert ledger.err("auditor", "payout", payout_args([ok])) == "UNAUTHORIZED"


def test_a_500_line_payout() -> None:
    ledger = fx_ledger()
    ids = payees(ledger, MAX_PAYOUT_LINES)
    lines = [{"to": a, "amount": 1 + i % 100, "reference": f"INV-{i}"} for i, a in enumerate(ids)]
    result = ledger.ok("buyer-us", "payout", **payout_args(lines))
    total = 5 * (1 + 100) * 100 // 2  # five times 0.01 + ... + 1.00
    assert result["amount"] == total and len(result["legs"]) == MAX_PAYOUT_LINES + 1
    assert ledger.balance("acme") == 100_000 - total
    assert (ledger.balance(ids[0]), ledger.balance(ids[499])) == (1, 100)
    usd = ledger.supply()["USD"]
    assert usd["balances_total"] == usd["outstanding"] == 100_000
    assert json.loads(ledger.world.events[-1].payload)["type"] == "PayoutSettled"
    assert len(ledger.world.events) == len({e.tx_id for e in ledger.world.events})  # one event per transaction
