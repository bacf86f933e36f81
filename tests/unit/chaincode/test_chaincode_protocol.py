"""Argument parsing: exactly one JSON object with exactly the function's fields, each of the right type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import (
    ARGS,
    WRITES,
    Event,
    EventType,
    Function,
    GetSupply,
    Leg,
    Mint,
    OpenAccount,
    Transfer,
    Unfreeze,
)
from chaincode.state import canonical_json

TRANSFER: dict[str, Any] = {
    "from_account": "acme",
    "to_account": "globex",
    "currency": "USD",
    "amount": 1200,
    "reference": "INV-1",
    "request_id": "r-1",
}


def code(data: bytes, cls: type[Any] = Transfer) -> ErrorCode:
    with pytest.raises(ContractError) as exc:
        cls.from_json(data)
    return exc.value.code


def with_(**changes: Any) -> bytes:
    return json.dumps({**TRANSFER, **changes}).encode()


def test_round_trip_and_canonical_form() -> None:
    parsed = Transfer.from_json(json.dumps(TRANSFER, indent=2).encode())
    assert parsed == Transfer(**TRANSFER)
    assert parsed.to_json() == canonical_json(TRANSFER)
    assert parsed.to_args() == [b"transfer", canonical_json(TRANSFER)]


def test_every_function_has_an_argument_class() -> None:
    assert set(ARGS) == set(Function)
    assert all(ARGS[f].FUNCTION is f for f in Function)
    assert {str(f) for f in WRITES} == {
        "open_account",
        "mint",
        "transfer",
        "redeem",
        "settle_redemption",
        "reject_redemption",
        "freeze",
        "unfreeze",
        "fund_order",
        "record_shipment",
        "record_delivery",
        "accept_order",
        "release_order",
        "refund_order",
        "open_dispute",
        "resolve_dispute",
        "attest",
        "approve_mint",
        "register_currency",
        "register_issuer",
        "post_quote",
        "convert",
        "payout",
    }
    for function in WRITES:
        assert "request_id" in ARGS[function].field_names()
    assert Unfreeze.FUNCTION is Function.UNFREEZE


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b'"x"',
        b"1",
        b"null",
        b"{",
        b"\xff",
        b'{"a":1} {"b":2}',
        "{}".encode("utf-16"),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"amount": NaN}',
    ],
)
def test_not_one_json_object(data: bytes) -> None:
    assert code(data) is ErrorCode.INVALID_ARGUMENT


def test_missing_extra_and_duplicate_fields() -> None:
    partial = dict(TRANSFER)
    del partial["reference"]
    assert code(json.dumps(partial).encode()) is ErrorCode.INVALID_ARGUMENT
    assert code(with_(memo="x")) is ErrorCode.INVALID_ARGUMENT
    duplicated = canonical_json(TRANSFER)[:-1] + b',"amount":1}'
    assert code(duplicated) is ErrorCode.INVALID_ARGUMENT
    assert code(b'{"x":1}', GetSupply) is ErrorCode.INVALID_ARGUMENT
    assert GetSupply.from_json(b"{}") == GetSupply()


@pytest.mark.parametrize(
    "changes",
    [
        {"from_account": 1},
        {"from_account": "bad id"},
        {"to_account": None},
        {"to_account": "acme"},  # from == to
        {"currency": 840},
        {"reference": ""},
        {"reference": "with space"},
        {"reference": "x" * 129},
        {"request_id": ""},
        {"request_id": "r" * 129},
        {"request_id": "r/1"},
        {"request_id": 7},
    ],
)
def test_wrong_fields_are_invalid_arguments(changes: dict[str, Any]) -> None:
    assert code(with_(**changes)) is ErrorCode.INVALID_ARGUMENT


@pytest.mark.parametrize("amount", [True, False, 12.0, 12.5, 1e3, "1200", "12.00", None, [], {}, 0, -1, 10**15 + 1])
def test_bad_amounts(amount: Any) -> None:
    assert code(with_(amount=amount)) is ErrorCode.INVALID_AMOUNT


def test_fraction_is_refused_without_becoming_a_float() -> None:
    assert code(canonical_json(TRANSFER).replace(b'"amount":1200', b'"amount":1200.0')) is ErrorCode.INVALID_AMOUNT
    assert code(canonical_json(TRANSFER).replace(b'"amount":1200', b'"amount":12e2')) is ErrorCode.INVALID_AMOUNT
    huge = canonical_json(TRANSFER).replace(b'"amount":1200', b'"amount":' + b"9" * 5000)
    assert code(huge) is ErrorCode.INVALID_ARGUMENT  # beyond Python's int parsing limit


def test_max_amount_is_accepted() -> None:
    assert Transfer.from_json(with_(amount=10**15)).amount == 10**15


def test_currency_shape() -> None:
    # Whether the ledger issues a code is the registry's to say (the contract's test); the shape is checked here.
    assert Transfer.from_json(with_(currency="GBP")).currency == "GBP"
    assert code(with_(currency="usd")) is ErrorCode.UNKNOWN_CURRENCY


def test_request_id_alphabet() -> None:
    assert Transfer.from_json(with_(request_id="Aa0._:-" + "x" * 121)).request_id.startswith("Aa0")


def test_free_text_refuses_control_characters_and_surrogates() -> None:
    base = {"account_id": "acme", "holder_msp": "PlatformMSP", "kyc_ref": "K", "request_id": "r"}
    assert OpenAccount.from_json(json.dumps({**base, "holder_subject": "CN=a b,O=é"}).encode())
    for subject in ("", "a\nb", "\x00", "\ud800", "a\u0085"):
        data = json.dumps({**base, "holder_subject": subject}).encode()
        assert code(data, OpenAccount) is ErrorCode.INVALID_ARGUMENT
    assert code(json.dumps({**base, "holder_subject": "x", "holder_msp": "Bad MSP"}).encode(), OpenAccount) is (
        ErrorCode.INVALID_ARGUMENT
    )


def test_mint_fields() -> None:
    args = {"account_id": "acme", "currency": "EUR", "amount": 5, "reserve_ref": "R-1", "request_id": "r"}
    assert Mint.from_json(canonical_json(args)).currency == "EUR"


def test_event_round_trip() -> None:
    leg = Leg("acme", "PlatformMSP", "CN=a", 5)
    event = Event(EventType.MINTED, "tx1", "r1", ("acme",), "USD", 5, {"reserve_ref": "R"}, (leg,))
    assert json.loads(event.to_json()) == {
        "type": "Minted",
        "tx_id": "tx1",
        "request_id": "r1",
        "accounts": ["acme"],
        "currency": "USD",
        "amount": 5,
        "reserve_ref": "R",
        "legs": [{"account": "acme", "holder_msp": "PlatformMSP", "holder_subject": "CN=a", "amount": 5}],
    }
    assert Event.from_json(event.to_json()) == event
    # An event committed before events had legs still reads, with none.
    old = {k: v for k, v in json.loads(event.to_json()).items() if k != "legs"}
    assert Event.from_json(json.dumps(old).encode()).legs == ()
    with pytest.raises(ContractError):
        Event.from_json(b'{"type":"Nope"}')
