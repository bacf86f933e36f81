"""/v1/books/* and /v1/reconciliation over the fake ledger: who may post and read, bad XML, replays, the
auditor's check from the chain alone, and maker-checker at /v1/mints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chaincode import protocol
from gateway.chain_reconciliation import chain_report
from network.layout import Layout
from tests.fake_core import camt054_xml
from tests.unit.gateway.fake_gateways import FakeGateways, dev_layout


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    return dev_layout(tmp_path_factory.mktemp("data"))


@pytest.fixture
def gw(layout: Layout, tmp_path: Path) -> Iterator[tuple[FakeGateways, dict[str, TestClient]]]:
    gateways = FakeGateways(layout, tmp_path)
    clients = {org: TestClient(app) for org, app in gateways.apps.items()}
    yield gateways, clients
    for c in clients.values():
        c.close()
    gateways.close()


def call(gw: tuple[FakeGateways, dict[str, TestClient]], ref: str, method: str, path: str, **kw: Any) -> Any:
    gateways, clients = gw
    headers = {"Authorization": f"Bearer {gateways.keys[ref]}", **kw.pop("headers", {})}
    return clients[ref.split("/")[0]].request(method, path, headers=headers, **kw)


def test_the_core_posts_and_the_bank_reads(gw: tuple[FakeGateways, dict[str, TestClient]]) -> None:
    xml = camt054_xml("CORE-1", "DDA-9", "USD", [("B-1", "1.00")])
    xml_headers = {"Content-Type": "application/xml"}
    first = call(gw, "BankOrg/core", "POST", "/v1/books/inbound", content=xml, headers=xml_headers)
    assert (first.status_code, first.json()) == (202, {"message_id": "CORE-1", "kind": "camt.054.001.08", "entries": 1})
    assert call(gw, "BankOrg/core", "POST", "/v1/books/inbound", content=xml).json() == first.json()
    bad = call(gw, "BankOrg/core", "POST", "/v1/books/inbound", content=xml.replace(b"DDA-9", b""))
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_MESSAGE")
    assert bad.json()["detail"].startswith("/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Acct/Id/Othr/Id")
    assert call(gw, "BankOrg/issuer", "POST", "/v1/books/inbound", content=xml).status_code == 403
    assert call(gw, "BankOrg/core", "GET", "/v1/books/exceptions").status_code == 403
    assert call(gw, "BankOrg/compliance", "GET", "/v1/books/exceptions").json() == []  # no connector ran
    empty = {"as_of_block": 0, "currencies": {}, "breaks": [], "in_flight": {}}
    assert call(gw, "BankOrg/treasury", "GET", "/v1/reconciliation").json() == empty


def test_the_auditor_checks_attestations_from_the_chain(gw: tuple[FakeGateways, dict[str, TestClient]]) -> None:
    gateways, _ = gw
    assert call(gw, "AuditorOrg/auditor", "GET", "/v1/reconciliation").json()["breaks"] == []
    assert call(gw, "AuditorOrg/auditor", "GET", "/v1/books/exceptions").status_code == 403
    for body in ({"id": "acme", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K1", "dda": "DDA-1"},):
        assert call(gw, "BankOrg/issuer", "POST", "/v1/accounts", json=body).json()["dda"] == "DDA-1"
    mint = {"account": "acme", "currency": "USD", "amount": "100.00", "reserve_ref": "R1"}
    block = call(gw, "BankOrg/issuer", "POST", "/v1/mints", json=mint).json()["block_number"]
    treasury = next(c for c in gateways.apps["BankOrg"].state.components.directory.callers if c.name == "treasury")
    for balance, rid in ((10_000, "a1"), (9_999, "a2")):
        args = protocol.Attest("USD", balance, block, None, rid)
        gateways.ledger.submit(treasury, gateways.ledger.endorse(treasury, "attest", [args.to_json()]).envelope)
    report = call(gw, "AuditorOrg/auditor", "GET", "/v1/reconciliation").json()
    assert [b["kind"] for b in report["breaks"]] == ["attestation_mismatch"]
    assert report["currencies"]["USD"]["ledger"] == "100.00"
    assert call(gw, "PlatformOrg/operator", "GET", "/v1/reconciliation").status_code == 403


def test_the_auditors_check_reads_each_block_once(gw: tuple[FakeGateways, dict[str, TestClient]]) -> None:
    """The auditor's gateway keeps the supply moves it read: a check reads only the events committed since
    the last one, and answers what a check from block 0 answers."""
    gateways, _ = gw
    components = gateways.apps["AuditorOrg"].state.components
    treasury = next(c for c in gateways.apps["BankOrg"].state.components.directory.callers if c.name == "treasury")

    def mint_and_attest(ref: str, amount: str, attested: tuple[int, ...]) -> None:
        mint = {"account": "acme", "currency": "USD", "amount": amount, "reserve_ref": ref}
        block = call(gw, "BankOrg/issuer", "POST", "/v1/mints", json=mint).json()["block_number"]
        for balance in attested:
            args = protocol.Attest("USD", balance, block, None, f"{ref}-{balance}")
            gateways.ledger.submit(treasury, gateways.ledger.endorse(treasury, "attest", [args.to_json()]).envelope)

    call(
        gw,
        "BankOrg/issuer",
        "POST",
        "/v1/accounts",
        json={"id": "acme", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K1"},
    )
    mint_and_attest("R1", "100.00", (10_000,))
    assert call(gw, "AuditorOrg/auditor", "GET", "/v1/reconciliation").json()["breaks"] == []
    read = components.supply.events_read
    assert read == len(gateways.ledger.world.events)  # the first check read the chain from block 0
    call(gw, "AuditorOrg/auditor", "GET", "/v1/reconciliation")
    assert components.supply.events_read == read  # nothing new committed: nothing read
    mint_and_attest("R2", "50.00", (15_000, 14_000))
    report = call(gw, "AuditorOrg/auditor", "GET", "/v1/reconciliation").json()
    assert components.supply.events_read == read + 3  # the mint and the two attestations
    assert [b["kind"] for b in report["breaks"]] == ["attestation_mismatch"]
    auditor = next(c for c in components.directory.callers if c.name == "auditor")
    from_zero = chain_report(gateways.ledger, auditor, components.directory.service, components.currencies)
    assert report == {**from_zero, "in_flight": {}}


def test_a_large_mint_waits_for_its_checker(gw: tuple[FakeGateways, dict[str, TestClient]]) -> None:
    body = {"id": "acme", "holder": "PlatformOrg/buyer-us", "kyc_ref": "K1"}
    call(gw, "BankOrg/issuer", "POST", "/v1/accounts", json=body)
    mint = {"account": "acme", "currency": "USD", "amount": "20000000.00", "reserve_ref": "WIRE-1"}
    waiting = call(gw, "BankOrg/issuer", "POST", "/v1/mints", json=mint).json()
    assert waiting["mint_status"] == "pending_approval"
    path = f"/v1/mints/{waiting['mint_id']}/approve"
    assert call(gw, "BankOrg/issuer", "POST", path).json()["code"] == "UNAUTHORIZED"
    approved = call(gw, "BankOrg/compliance", "POST", path).json()
    assert (approved["mint_status"], approved["amount"]) == ("minted", "20000000.00")
    assert call(gw, "BankOrg/issuer", "GET", "/v1/accounts/acme").json()["balances"]["USD"] == "20000000.00"
