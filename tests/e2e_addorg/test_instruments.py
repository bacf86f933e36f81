"""Item 4 of issue 14 on the live network: a token is a deposit at one bank.

After EuroBankOrg has joined, its EUR (`EUR@EuroBankMSP`) and BankOrg's EUR are two instruments: minted only
by their own bank, with that bank's own peer among the endorsers (key-level endorsement: a mint endorsed
without it commits as ENDORSEMENT_POLICY_FAILURE and changes nothing), held side by side, reported apart.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chaincode import protocol
from gateway import fabric
from network.clients import connect_as
from network.network import Network
from tests.e2e.conftest import Api, new_id
from tests.e2e_addorg.joining import (
    EUROBANK_EUR,
    apis_of,
    assert_endorsed_by,
    assert_refused_without_the_issuers_peer,
    balances,
    contract_of,
    eur_mint,
)


@dataclass
class Parties:
    net: Network
    contracts: dict[str, fabric.Contract]
    gateways: dict[str, fabric.Gateway]
    apis: dict[str, Api]
    account: str


@pytest.fixture(scope="module")
def parties(joined: Network) -> Iterator[Parties]:
    refs = [
        ("EuroBankOrg", "issuer"),
        ("BankOrg", "issuer"),
        ("PlatformOrg", "buyer-us"),
        ("AuditorOrg", "auditor"),
    ]
    gateways = {f"{o}/{n}": connect_as(joined.layout, joined.topology.org(o), n) for o, n in refs}
    contracts = {ref: contract_of(joined, gw) for ref, gw in gateways.items()}
    apis = apis_of(joined)
    account = new_id("two-banks")
    apis["BankOrg/issuer"].ok(
        "POST", "/v1/accounts", {"id": account, "holder": "PlatformOrg/buyer-us", "kyc_ref": f"KYC-{account}"}
    )
    try:
        yield Parties(joined, contracts, gateways, apis, account)
    finally:
        for gw in gateways.values():
            gw.close()
        for api in apis.values():
            api.http.close()


def _balances(p: Parties) -> dict[str, int]:
    return balances(p.contracts["AuditorOrg/auditor"], p.account)


def test_the_new_banks_eur_is_minted_by_its_issuer_with_its_own_peers_endorsement(parties: Parties) -> None:
    before = _balances(parties).get(EUROBANK_EUR, 0)
    mint = eur_mint("EuroBankMSP", parties.account, 12_345)
    result = parties.contracts["EuroBankOrg/issuer"].submit_transaction(mint.FUNCTION.value, [mint.to_json()])
    event = json.loads(result.result)
    assert (event["type"], event["currency"], event["amount"]) == ("Minted", EUROBANK_EUR, 12_345)
    assert_endorsed_by(parties.net, result.transaction_id, "EuroBankMSP")
    parties.net.wait_peers_in_sync(60)
    assert _balances(parties)[EUROBANK_EUR] == before + 12_345

    # BankOrg's issuer may not mint EuroBankOrg's EUR: refused at endorsement, by the contract.
    other = eur_mint("EuroBankMSP", parties.account, 1)
    with pytest.raises(fabric.EndorseError) as info:
        parties.contracts["BankOrg/issuer"].submit_transaction(other.FUNCTION.value, [other.to_json()])
    assert info.value.chaincode_code == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("minter", "issuer", "endorsers"),
    [
        ("EuroBankOrg/issuer", "EuroBankMSP", ["BankMSP", "PlatformMSP"]),
        ("BankOrg/issuer", "BankMSP", ["EuroBankMSP", "PlatformMSP"]),
    ],
    ids=["EuroBankMSP's EUR without its peer", "BankMSP's EUR without its peer"],
)
def test_a_mint_endorsed_without_the_issuers_peer_is_refused_at_validation(
    parties: Parties, minter: str, issuer: str, endorsers: list[str]
) -> None:
    reader = parties.contracts["AuditorOrg/auditor"]
    minting = parties.contracts[minter]
    assert_refused_without_the_issuers_peer(parties.net, minting, reader, issuer, endorsers, parties.account)


def test_one_holder_holds_both_banks_eur_as_separate_balances(parties: Parties) -> None:
    bank, buyer = parties.apis["BankOrg/issuer"], parties.apis["PlatformOrg/buyer-us"]
    mint = {"account": parties.account, "currency": "EUR", "amount": "70.00", "reserve_ref": new_id("R")}
    bank.ok("POST", "/v1/mints", mint)
    euro = eur_mint("EuroBankMSP", parties.account, 3_000)
    parties.contracts["EuroBankOrg/issuer"].submit_transaction(euro.FUNCTION.value, [euro.to_json()])
    parties.net.wait_peers_in_sync(60)
    before = _balances(parties)
    assert before["EUR"] >= 7_000 and before[EUROBANK_EUR] >= 3_000

    # The holder pays 10.00 of EuroBankOrg's EUR: only that balance moves.
    payee = new_id("two-banks-payee")
    bank.ok("POST", "/v1/accounts", {"id": payee, "holder": "PlatformOrg/seller-cn", "kyc_ref": f"KYC-{payee}"})
    pay = protocol.Transfer(parties.account, payee, "EUR", 1_000, "INV-2B", uuid.uuid4().hex, issuer="EuroBankMSP")
    parties.contracts["PlatformOrg/buyer-us"].submit_transaction(pay.FUNCTION.value, [pay.to_json()])
    parties.net.wait_peers_in_sync(60)
    after = _balances(parties)
    assert after["EUR"] == before["EUR"] and after[EUROBANK_EUR] == before[EUROBANK_EUR] - 1_000

    # The HTTP API shows the holder both balances, each under its instrument.
    view = buyer.ok("GET", f"/v1/accounts/{parties.account}")
    assert view["balances"]["EUR"] == f"{after['EUR'] // 100}.{after['EUR'] % 100:02d}"
    assert view["balances"][EUROBANK_EUR] == f"{after[EUROBANK_EUR] // 100}.{after[EUROBANK_EUR] % 100:02d}"


def test_the_supply_is_reported_per_instrument_and_each_holds_the_invariant(parties: Parties) -> None:
    parties.net.wait_peers_in_sync(60)
    q = protocol.GetSupply()
    supply = json.loads(parties.contracts["AuditorOrg/auditor"].evaluate_transaction(q.FUNCTION.value, [q.to_json()]))
    assert {"EUR", EUROBANK_EUR} <= set(supply)
    euro = supply[EUROBANK_EUR]
    assert euro["minted"] >= 12_345 + 3_000 and euro["fx_in"] == euro["fx_out"] == 0
    for figures in supply.values():
        assert figures["outstanding"] == figures["minted"] + figures["fx_in"] - figures["redeemed"] - figures["fx_out"]
        held = figures["balances_total"] + figures["pending_redemptions"] + figures["escrowed"]
        assert figures["outstanding"] == held
    report = parties.apis["AuditorOrg/auditor"].ok("GET", "/v1/supply")
    assert report[EUROBANK_EUR]["invariant_holds"] is True and report["EUR"]["invariant_holds"] is True
    minted = euro["minted"]
    assert report[EUROBANK_EUR]["minted"] == f"{minted // 100}.{minted % 100:02d}"


def test_the_http_api_names_the_issuing_bank(parties: Parties) -> None:
    euro, bank = parties.apis["EuroBankOrg/issuer"], parties.apis["BankOrg/issuer"]
    buyer = parties.apis["PlatformOrg/buyer-us"]
    account = new_id("http-two-banks")
    bank.ok("POST", "/v1/accounts", {"id": account, "holder": "PlatformOrg/buyer-us", "kyc_ref": f"KYC-{account}"})
    mint = {"account": account, "currency": "EUR", "amount": "50.00", "reserve_ref": new_id("R")}
    # BankOrg's issuer cannot create EuroBankOrg's money through the API either (the contract refuses it).
    refused = bank.post("/v1/mints", {**mint, "issuer": "EuroBankMSP"})
    assert refused.status_code == 403 and refused.json()["code"] == "UNAUTHORIZED", refused.text
    minted = euro.ok("POST", "/v1/mints", {**mint, "issuer": "EuroBankMSP"})
    assert (minted["currency"], minted["issuer"], minted["amount"]) == ("EUR", "EuroBankMSP", "50.00")
    parties.net.wait_peers_in_sync(60)

    payee = new_id("http-two-banks-payee")
    bank.ok("POST", "/v1/accounts", {"id": payee, "holder": "PlatformOrg/seller-cn", "kyc_ref": f"KYC-{payee}"})
    body = {"from": account, "to": payee, "currency": "EUR", "amount": "20.00", "reference": "INV-HTTP-2B"}
    poor = buyer.post("/v1/transfers", body)  # BankOrg's EUR: this account holds none
    assert poor.status_code == 422 and poor.json()["code"] == "INSUFFICIENT_FUNDS", poor.text
    paid = buyer.ok("POST", "/v1/transfers", {**body, "issuer": "EuroBankMSP"})
    assert paid["issuer"] == "EuroBankMSP"
    redeemed = buyer.ok(
        "POST", "/v1/redemptions", {"account": account, "currency": "EUR", "amount": "5.00", "issuer": "EuroBankMSP"}
    )
    parties.net.wait_peers_in_sync(60)
    rid = redeemed["redemption_id"]
    # Only the instrument's own bank settles it.
    other = bank.post(f"/v1/redemptions/{rid}/settle", {"payout_ref": "WIRE-WRONG-BANK"})
    assert other.status_code == 403 and other.json()["code"] == "UNAUTHORIZED", other.text
    assert euro.ok("POST", f"/v1/redemptions/{rid}/settle", {"payout_ref": "WIRE-EUROBANK-1"})
    parties.net.wait_peers_in_sync(60)
    assert buyer.ok("GET", f"/v1/accounts/{account}")["balances"][EUROBANK_EUR] == "25.00"
    assert parties.apis["AuditorOrg/auditor"].ok("GET", f"/v1/accounts/{payee}")["balances"][EUROBANK_EUR] == "20.00"
