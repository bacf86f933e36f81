"""Instruments (issue 14, item 4): a token is a deposit at one bank, (issuing bank, currency)."""

from __future__ import annotations

import pytest
from chaincode_fixtures import Ledger, make_identity, standard_ledger

from chaincode import domain
from chaincode.errors import ContractError, ErrorCode
from chaincode.state import ISSUANCE, composite_key

EURO_ISSUER = make_identity("issuer", "EuroBankMSP", "issuer", "eurobank.example.com")
# A bank the registry does not name: its certificate claims `issuer` all the same.
OTHER_ISSUER = make_identity("issuer", "OtherBankMSP", "issuer", "other.example.com")
EUROBANK_EUR = "EUR@EuroBankMSP"


def two_banks() -> Ledger:
    """standard_ledger (acme holds 500.00 of BankMSP's EUR) with EuroBankMSP registered as an issuer."""
    ledger = standard_ledger()
    for msp in ("BankMSP", "EuroBankMSP"):
        ledger.ok("issuer", "register_issuer", msp_id=msp, request_id=ledger.request_id())
    return ledger


def euro_mint(ledger: Ledger, account: str, amount: int, who: object = EURO_ISSUER, **extra: object) -> object:
    args = {
        "account_id": account,
        "currency": "EUR",
        "amount": amount,
        "reserve_ref": f"EB-{ledger.request_id()}",
        "request_id": ledger.request_id(),
        "issuer": "EuroBankMSP",
        **extra,
    }
    return ledger.ok(who, "mint", **args)  # type: ignore[arg-type]


def test_an_instrument_code_names_its_bank_and_the_default_issuers_keep_the_plain_code() -> None:
    assert domain.Instrument.of("EUR", None).code == "EUR"
    assert domain.Instrument.of("EUR", "BankMSP").code == "EUR"
    assert domain.Instrument.of("EUR", "EuroBankMSP").code == EUROBANK_EUR
    assert domain.Instrument.parse(EUROBANK_EUR) == domain.Instrument("EUR", "EuroBankMSP")
    assert domain.Instrument.parse("USD") == domain.Instrument("USD", "BankMSP")
    for bad in ("EUR@BankMSP", "EUR@", "eur", "EUR@a b"):
        with pytest.raises(ContractError) as info:
            domain.Instrument.parse(bad)
        assert info.value.code is ErrorCode.UNKNOWN_CURRENCY


def test_only_the_issuing_bank_issues_its_instrument() -> None:
    domain.Instrument("EUR", "EuroBankMSP").check_issued_by("EuroBankMSP")
    with pytest.raises(ContractError) as info:
        domain.Instrument("EUR", "EuroBankMSP").check_issued_by("BankMSP")
    assert info.value.code is ErrorCode.UNAUTHORIZED


def test_two_banks_eur_are_two_balances_and_two_supplies() -> None:
    ledger = two_banks()
    euro_mint(ledger, "acme", 20_000)
    balances = ledger.account("acme")["balances"]
    assert balances["EUR"] == 50_000 and balances[EUROBANK_EUR] == 20_000
    supply = ledger.supply()
    assert supply["EUR"]["minted"] == 50_000 and supply[EUROBANK_EUR]["minted"] == 20_000
    for figures in supply.values():
        held = figures["balances_total"] + figures["pending_redemptions"] + figures["escrowed"]
        assert figures["outstanding"] == held
    # The holder pays with either bank's EUR; each moves only its own balance.
    ledger.ok(
        "buyer-us",
        "transfer",
        from_account="acme",
        to_account="globex",
        currency="EUR",
        amount=5_000,
        reference="INV-9",
        request_id=ledger.request_id(),
        issuer="EuroBankMSP",
    )
    assert ledger.account("acme")["balances"] == {"EUR": 50_000, EUROBANK_EUR: 15_000, "USD": 100_000}
    assert ledger.account("globex")["balances"][EUROBANK_EUR] == 5_000


def test_a_bank_may_not_mint_the_other_banks_instrument() -> None:
    ledger = two_banks()
    args = {"account_id": "acme", "currency": "EUR", "amount": 100, "reserve_ref": "R-x", "request_id": "r-x"}
    assert ledger.err("issuer", "mint", {**args, "issuer": "EuroBankMSP"}) == "UNAUTHORIZED"
    assert ledger.err(EURO_ISSUER, "mint", args) == "UNAUTHORIZED"  # BankMSP's EUR
    assert ledger.err("treasury", "mint", {**args, "issuer": "EuroBankMSP"}) == "UNAUTHORIZED"


def test_an_unregistered_bank_has_no_issuer_role_and_no_instrument() -> None:
    ledger = standard_ledger()
    args = {"account_id": "acme", "currency": "EUR", "amount": 100, "reserve_ref": "R-y", "request_id": "r-y"}
    assert ledger.err(EURO_ISSUER, "mint", {**args, "issuer": "EuroBankMSP"}) == "UNAUTHORIZED"
    assert ledger.err(OTHER_ISSUER, "mint", {**args, "issuer": "OtherBankMSP"}) == "UNAUTHORIZED"
    # Nobody can name an unregistered bank's instrument: not the holder either.
    transfer = {
        "from_account": "acme",
        "to_account": "globex",
        "currency": "EUR",
        "amount": 1,
        "reference": "INV-1",
        "request_id": "r-z",
        "issuer": "EuroBankMSP",
    }
    assert ledger.err("buyer-us", "transfer", transfer) == "UNKNOWN_CURRENCY"


def test_the_registries_are_the_default_issuers_and_registering_guards_the_issuance_key() -> None:
    ledger = standard_ledger()
    assert ledger.err(EURO_ISSUER, "register_issuer", {"msp_id": "EuroBankMSP", "request_id": "r1"}) == "UNAUTHORIZED"
    assert ledger.err("compliance", "register_issuer", {"msp_id": "EuroBankMSP", "request_id": "r2"}) == "UNAUTHORIZED"
    event = ledger.ok("issuer", "register_issuer", msp_id="EuroBankMSP", request_id="r3")
    assert event["type"] == "IssuerRegistered" and event["msp_id"] == "EuroBankMSP"
    # Key-level endorsement: a write of the bank's issuance key needs a peer of that bank.
    assert ledger.world.endorsers == {composite_key(ISSUANCE, "EuroBankMSP"): ("EuroBankMSP",)}
    # The registered bank's issuer still may not keep the network's currency registry.
    code = ledger.err(EURO_ISSUER, "register_currency", {"code": "CHF", "minor_digits": 2, "request_id": "r4"})
    assert code == "UNAUTHORIZED"


def test_every_mint_and_settlement_of_a_registered_bank_writes_its_guarded_issuance_key() -> None:
    ledger = two_banks()
    stub = ledger.stub(
        EURO_ISSUER,
        "mint",
        {
            "account_id": "acme",
            "currency": "EUR",
            "amount": 7_000,
            "reserve_ref": "EB-1",
            "request_id": "eb-1",
            "issuer": "EuroBankMSP",
        },
    )
    ledger.run(stub)
    assert composite_key(ISSUANCE, "EuroBankMSP") in stub.write_keys
    # Blind: no mint reads it, so concurrent mints never conflict over it.
    assert composite_key(ISSUANCE, "EuroBankMSP") not in stub.read_keys
    # The default issuer, registered too, is guarded the same way.
    assert composite_key(ISSUANCE, "BankMSP") in ledger.world.endorsers

    redemption = ledger.ok(
        "buyer-us", "redeem", account_id="acme", currency="EUR", amount=2_000, request_id="red-1", issuer="EuroBankMSP"
    )["redemption_id"]
    # BankMSP's issuer may not settle EuroBankMSP's redemption; EuroBankMSP's may.
    settle = {"redemption_id": redemption, "payout_ref": "PO-1", "request_id": "s-1"}
    assert ledger.err("issuer", "settle_redemption", settle) == "UNAUTHORIZED"
    stub = ledger.stub(EURO_ISSUER, "settle_redemption", settle)
    ledger.run(stub)
    assert composite_key(ISSUANCE, "EuroBankMSP") in stub.write_keys
    supply = ledger.supply()[EUROBANK_EUR]
    assert (supply["minted"], supply["redeemed"], supply["outstanding"]) == (7_000, 2_000, 5_000)
    assert supply["balances_total"] == 5_000


def test_a_single_bank_ledger_writes_no_issuance_key() -> None:
    ledger = standard_ledger()
    stub = ledger.stub(
        "issuer",
        "mint",
        {"account_id": "acme", "currency": "USD", "amount": 1, "reserve_ref": "R-1", "request_id": "m-1"},
    )
    ledger.run(stub)
    assert not [k for k in stub.write_keys if ISSUANCE in k]
