"""Pure rules of money: amounts, currencies, accounts, redemptions, supply; and the error codes."""

from __future__ import annotations

import pytest

from chaincode import domain
from chaincode.domain import MAX_AMOUNT, Account, AccountStatus, Amount, Redemption, RedemptionStatus, Supply
from chaincode.errors import ContractError, ErrorCode, parse_error

USD = domain.Currency("USD", 2)
EUR = domain.Currency("EUR", 2)
JPY = domain.Currency("JPY", 0)


def code_of(exc: pytest.ExceptionInfo[ContractError]) -> ErrorCode:
    return exc.value.code


@pytest.mark.parametrize(
    ("text", "minor"),
    [("125000.50", 12_500_050), ("0.01", 1), ("1", 100), ("1.5", 150), ("10000000000000.00", MAX_AMOUNT)],
)
def test_parse_decimal_accepts_plain_decimals(text: str, minor: int) -> None:
    assert Amount.parse(text, USD).minor == minor
    assert Amount.parse(text, EUR).minor == minor


@pytest.mark.parametrize(
    "text",
    [
        "1.005",
        "1e3",
        "-1",
        "0",
        "0.00",
        " 1",
        "1 ",
        "+1",
        "1.",
        ".5",
        "01",
        "1,00",
        "",
        "\u0661",
        "10000000000000.01",
        "99999999999999999999",
        "NaN",
        "Infinity",
        "0x10",
        "1_000",
    ],
)
def test_parse_decimal_refuses_everything_else(text: str) -> None:
    with pytest.raises(ContractError) as exc:
        Amount.parse(text, USD)
    assert code_of(exc) is ErrorCode.INVALID_AMOUNT


def test_currency_codes_are_three_capital_letters() -> None:
    assert domain.check_currency_code("GBP") == "GBP"
    for code in ("usd", "", "USD ", "US", "USDX", 840, None):
        with pytest.raises(ContractError) as exc:
            domain.check_currency_code(code)
        assert code_of(exc) is ErrorCode.UNKNOWN_CURRENCY


def test_zero_minor_digits() -> None:
    assert Amount.parse("125", JPY).minor == 125
    assert Amount.parse("125", JPY).format() == "125"
    with pytest.raises(ContractError) as exc:
        Amount.parse("125.0", JPY)
    assert code_of(exc) is ErrorCode.INVALID_AMOUNT


@pytest.mark.parametrize("value", [True, False, 1.0, 100.5, "100", None, [100], 0, -5, MAX_AMOUNT + 1])
def test_amount_of_refuses_non_integers_and_out_of_range(value: object) -> None:
    with pytest.raises(ContractError) as exc:
        Amount.of(value, USD)
    assert code_of(exc) is ErrorCode.INVALID_AMOUNT


def test_amount_of_accepts_bounds() -> None:
    assert Amount.of(1, USD).minor == 1
    assert Amount.of(MAX_AMOUNT, USD).minor == MAX_AMOUNT


@pytest.mark.parametrize(
    ("minor", "text"), [(12_500_050, "125000.50"), (1, "0.01"), (0, "0.00"), (-1250, "-12.50"), (100, "1.00")]
)
def test_format_has_exactly_the_minor_digits(minor: int, text: str) -> None:
    assert domain.format_units(minor, USD) == text
    assert domain.format_units(minor, EUR) == text


def test_parse_format_round_trip() -> None:
    for minor in (1, 9, 10, 99, 100, 101, 123_456_789, MAX_AMOUNT):
        assert Amount.parse(Amount.of(minor, USD).format(), USD).minor == minor


def test_account_ids() -> None:
    for ok in ("acme", "a", "acme-us.2_x", "A" * 64):
        assert domain.check_account_id(ok) == ok
    for bad in ("", "-acme", ".a", "a b", "a/b", "A" * 65, "é", "a\x00"):
        with pytest.raises(ContractError) as exc:
            domain.check_account_id(bad)
        assert code_of(exc) is ErrorCode.INVALID_ARGUMENT


def test_freeze_transitions() -> None:
    account = Account("acme", "PlatformMSP", "CN=a", "KYC")
    frozen = account.freeze()
    assert frozen.status is AccountStatus.FROZEN and account.status is AccountStatus.ACTIVE
    assert frozen.unfreeze().status is AccountStatus.ACTIVE
    with pytest.raises(ContractError) as exc:
        frozen.freeze()
    assert code_of(exc) is ErrorCode.INVALID_STATE
    with pytest.raises(ContractError) as exc:
        account.unfreeze()
    assert code_of(exc) is ErrorCode.INVALID_STATE
    account.check_can_send()
    account.check_can_receive()
    for check in (frozen.check_can_send, frozen.check_can_receive):
        with pytest.raises(ContractError) as exc:
            check()
        assert code_of(exc) is ErrorCode.ACCOUNT_FROZEN


def test_debit_message_names_balance_and_need() -> None:
    assert domain.debit("acme", 1200, Amount.of(1200, USD)) == 0
    with pytest.raises(ContractError) as exc:
        domain.debit("acme", 1000, Amount.of(1200, USD))
    assert str(exc.value) == "INSUFFICIENT_FUNDS: account acme has 10.00 USD, needs 12.00"


def test_redemption_transitions() -> None:
    pending = Redemption("r1", "acme", "USD", 500, RedemptionStatus.PENDING, "tx1")
    settled = pending.settle("tx2", "PAY-1")
    assert (settled.status, settled.closed_tx_id, settled.payout_ref) == (RedemptionStatus.SETTLED, "tx2", "PAY-1")
    rejected = pending.reject("tx3", "no")
    assert (rejected.status, rejected.reason) == (RedemptionStatus.REJECTED, "no")
    for closed in (settled, rejected):
        with pytest.raises(ContractError) as exc:
            closed.settle("tx4", "P")
        assert code_of(exc) is ErrorCode.INVALID_STATE
        with pytest.raises(ContractError) as exc:
            closed.reject("tx4", "x")
        assert code_of(exc) is ErrorCode.INVALID_STATE


def test_supply_invariant() -> None:
    assert Supply(minted=100, redeemed=10, balances_total=80, pending_redemptions=10).consistent
    assert Supply(minted=100, redeemed=10, balances_total=80, pending_redemptions=10).outstanding == 90
    assert not Supply(minted=100, redeemed=10, balances_total=90, pending_redemptions=10).consistent


def test_error_wire_form_and_parse() -> None:
    err = ContractError(ErrorCode.UNKNOWN_REDEMPTION, "no redemption r1")
    assert str(err) == "UNKNOWN_REDEMPTION: no redemption r1"
    assert parse_error(str(err)) == (ErrorCode.UNKNOWN_REDEMPTION, "no redemption r1")
    assert parse_error("NOT_A_CODE: x") is None
    assert parse_error("no code at all") is None


def test_every_error_code_is_its_own_name() -> None:
    assert {c.name for c in ErrorCode} == {c.value for c in ErrorCode}
    assert len(ErrorCode) == 22
