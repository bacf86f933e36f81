"""The bank's books on the live network: the core's camt.054 funds tokens, redemptions are paid by pacs.008
and closed by the pacs.002, reconciliation names each injected break, and the connector survives SIGKILL at
every step of the issue without losing or doubling anything. The core is `tests.fake_core` on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from chaincode import protocol
from gateway import fabric
from gateway.directory import Directory
from network.endpoints import books_name
from network.network import Network
from tests.e2e.conftest import Api, Apis, deposits, new_id
from tests.e2e.test_chaincode import rejected_code, submit
from tests.e2e.test_fx import quote
from tests.fake_core import FakeCore, Line, camt053_xml, camt054_xml

pytestmark = pytest.mark.e2e

HOLDER = "PlatformOrg/buyer-us"


# How many blocks past an injected break the reconciliation may take to name it.
BREAK_BLOCKS = 3


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, what: Callable[[], object] = lambda: None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout}s; state: {what()}")


class Books:
    """The network's books connector, run against a fake core; restartable with a kill point."""

    def __init__(self, network: Network, apis: Apis, core: FakeCore, url: str) -> None:
        self.network = network
        self.apis = apis
        self.core = core
        self.url = url
        self.org = network.topology.org("BankOrg")
        self.name = books_name(self.org)

    def start(self, kill_at: str | None = None) -> None:
        self.network.runtime.stop(self.name)
        self.network.runtime.start(self.network.books_service(self.org, core_url=self.url, kill_at=kill_at))

    def running(self) -> bool:
        return self.network.runtime.running(self.name)

    def post(self, xml: bytes, as_: str = "BankOrg/core") -> Any:
        api = self.apis[as_]
        headers = {"Authorization": f"Bearer {api.api_key}", "Content-Type": "application/xml"}
        return api.http.post("/v1/books/inbound", content=xml, headers=headers)

    def report(self, as_: str = "BankOrg/issuer") -> dict[str, Any]:
        return self.apis[as_].ok("GET", "/v1/reconciliation")


@pytest.fixture(scope="module")
def books(network: Network, apis: Apis) -> Iterator[Books]:
    core = FakeCore(rejects={"DE44500105175407324931": "AC01", "DDA-CLOSED-1": "AC04"})
    with core.serve() as url:
        b = Books(network, apis, core, url)
        b.start()
        try:
            yield b
        finally:
            network.runtime.stop(b.name)
            network.runtime.start(network.books_service(b.org))  # as `network up` left it


def open_account(apis: Apis, dda: str | None) -> str:
    account = new_id("bk")
    body = {"id": account, "holder": HOLDER, "kyc_ref": "KYC-BOOKS", **({"dda": dda} if dda else {})}
    assert apis["BankOrg/issuer"].ok("POST", "/v1/accounts", body)["dda"] == dda
    return account


def balance(apis: Apis, account: str) -> str:
    return str(apis["BankOrg/issuer"].ok("GET", f"/v1/accounts/{account}")["balances"]["USD"])


def redemption(apis: Apis, rid: str) -> dict[str, Any]:
    return apis["BankOrg/issuer"].ok("GET", f"/v1/redemptions/{rid}")


def redeem(apis: Apis, account: str, amount: str, payout: dict[str, str] | None = None) -> str:
    body: dict[str, Any] = {"account": account, "currency": "USD", "amount": amount}
    if payout:
        body["payout"] = payout
    return str(apis[HOLDER].ok("POST", "/v1/redemptions", body)["redemption_id"])


def mentioned(report: dict[str, Any], *references: str) -> list[dict[str, str]]:
    return [b for b in report["breaks"] if b["reference"] in references]


def quiet(books: Books) -> dict[str, Any]:
    """The report once the connector has nothing in flight (after a full pass over what was sent so far: the
    connector reports once a second)."""
    found: dict[str, Any] = {}
    time.sleep(2.5)

    def settled() -> bool:
        found.update(books.report())
        return not found.get("in_flight")

    wait_until(settled, what=lambda: found)
    return found


def test_inbound_is_for_the_core_alone_and_checked(books: Books, apis: Apis) -> None:
    xml = camt054_xml(new_id("M"), "DDA-NONE", "USD", [(new_id("B"), "1.00")])
    for ref in ("BankOrg/issuer", "BankOrg/treasury", "BankOrg/compliance"):
        r = books.post(xml, as_=ref)
        assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN"), ref
    bad = books.post(xml.replace(b'Ccy="USD"', b'Ccy="usd"', 1))
    assert (bad.status_code, bad.json()["code"]) == (400, "INVALID_MESSAGE")
    assert "/Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]" in bad.json()["detail"]
    assert books.post(b"<Document").json()["code"] == "INVALID_MESSAGE"
    first = books.post(xml)
    assert first.status_code == 202
    again = books.post(xml)
    assert (again.status_code, again.json()) == (202, first.json())
    # On another org's gateway there are no books (and the core has no key there anyway).
    other = apis["PlatformOrg/operator"].get("/v1/books/exceptions")
    assert other.status_code == 403


def test_fund_pay_and_redeem_through_the_core(books: Books, apis: Apis) -> None:
    before = quiet(books)
    dda = new_id("DDA")
    alice = open_account(apis, dda)
    bob = open_account(apis, None)
    refs = [new_id("B"), new_id("B")]
    msg = new_id("M")
    answer = books.post(camt054_xml(msg, dda, "USD", [(refs[0], "900.00"), (refs[1], "100.50")]))
    assert answer.json() == {"message_id": msg, "kind": "camt.054.001.08", "entries": 2}
    wait_until(lambda: balance(apis, alice) == "1000.50", what=lambda: balance(apis, alice))
    history = apis["BankOrg/issuer"].ok("GET", f"/v1/accounts/{alice}/history")["entries"]
    assert sorted(e["reference"] for e in history) == sorted(refs)
    body = {"from": alice, "to": bob, "currency": "USD", "amount": "0.50", "reference": "INV-BOOKS"}
    apis[HOLDER].ok("POST", "/v1/transfers", body)
    book = redeem(apis, alice, "100.00")
    external = redeem(apis, alice, "50.00", {"iban": "DE89370400440532013000"})
    other_bank = redeem(apis, alice, "25.00", {"account": "12345678", "bic": "DEUTDEFF"})
    rejected = redeem(apis, alice, "10.00", {"iban": "DE44500105175407324931"})
    manual = redeem(apis, bob, "0.50")
    wait_until(lambda: redemption(apis, rejected)["status"] == "rejected", what=lambda: redemption(apis, rejected))
    for rid in (book, external, other_bank):
        wait_until(lambda rid=rid: redemption(apis, rid)["status"] == "settled")  # type: ignore[misc]
    assert redemption(apis, rejected)["reason"] == "AC01"
    assert redemption(apis, external)["payout_to"] == {"iban": "DE89370400440532013000"}
    paid = {e2e for e2e, _, _ in books.core.booked}
    assert {book[-32:], external[-32:], other_bank[-32:]} <= paid and rejected[-32:] not in paid
    assert redemption(apis, manual)["status"] == "pending"  # no DDA, no external account: by hand
    assert balance(apis, alice) == "825.00"
    after = quiet(books)
    assert mentioned(after, *refs, book, external, other_bank, rejected) == []
    # Our flows moved ledger and books alike: the difference (others' unbacked mints) did not change.
    assert (
        after["currencies"]["USD"]["difference"]
        == before["currencies"].get("USD", {"difference": "0.00"})["difference"]
    )
    apis["BankOrg/issuer"].ok("POST", f"/v1/redemptions/{manual}/reject", {"reason": "no payout account"})


def test_the_repair_queue_holds_what_cannot_be_minted(books: Books, apis: Apis) -> None:
    dda = new_id("DDA")
    account = open_account(apis, dda)
    unknown, digits, currency = new_id("B"), new_id("B"), new_id("B")
    books.post(camt054_xml(new_id("M"), new_id("DDA"), "USD", [(unknown, "5.00")]))
    books.post(camt054_xml(new_id("M"), dda, "USD", [(digits, "5.001")]))
    books.post(camt054_xml(new_id("M"), dda, "XTS", [(currency, "5.00")]))

    def parked() -> dict[str, str]:
        rows = apis["BankOrg/compliance"].ok("GET", "/v1/books/exceptions")
        return {e["reference"]: e["reason"].split(":")[0] for e in rows}  # type: ignore[attr-defined]

    wait_until(lambda: {unknown, digits, currency} <= set(parked()), what=parked)
    assert {k: v for k, v in parked().items() if k in (unknown, digits, currency)} == {
        unknown: "UNKNOWN_DDA",
        digits: "INVALID_AMOUNT",
        currency: "UNKNOWN_CURRENCY",
    }
    assert balance(apis, account) == "0.00"
    kinds = {b["reference"]: b["kind"] for b in quiet(books)["breaks"]}
    assert kinds[unknown] == kinds[digits] == kinds[currency] == "funding_not_minted"


def test_each_kind_of_break_is_named(
    books: Books, apis: Apis, contracts: dict[str, fabric.Contract], network: Network
) -> None:
    dda = new_id("DDA")
    account = open_account(apis, dda)
    ref = new_id("B")
    books.post(camt054_xml(new_id("M"), dda, "USD", [(ref, "40.00")]))
    wait_until(lambda: balance(apis, account) == "40.00")
    rid = redeem(apis, account, "10.00")
    wait_until(lambda: redemption(apis, rid)["status"] == "settled")
    # An unbacked mint: a person mints against a reference the core never booked.
    unbacked = new_id("NOBOOK")
    apis["BankOrg/issuer"].ok(
        "POST", "/v1/mints", {"account": account, "currency": "USD", "amount": "1.00", "reserve_ref": unbacked}
    )
    # The core's statement books that payout twice, and a funding it never notified.
    never = new_id("B")
    lines = [Line(ref, "40.00", True), Line(rid[-32:], "10.00", False), Line(rid[-32:], "10.00", False)]
    books.post(camt053_xml(new_id("EOD"), "USD", "0", "23.00", [*lines, Line(never, "3.00", True)]))
    injected = network.wait_peers_in_sync()  # the height once every injection is in (the mint committed)
    named: list[dict[str, Any]] = []

    def all_named() -> bool:
        report = books.report()
        if len(mentioned(report, unbacked, never, rid[-32:])) == 3:
            named.append(report)
        return bool(named)

    wait_until(all_named, what=books.report)
    # Named within a bounded number of blocks, not only of seconds: the first report that names all three is
    # as of at most BREAK_BLOCKS blocks past the injections (nothing else writes meanwhile but the connector).
    assert named[0]["as_of_block"] <= injected + BREAK_BLOCKS, (named[0]["as_of_block"], injected)
    kinds = {b["reference"]: b["kind"] for b in books.report()["breaks"]}
    assert (kinds[unbacked], kinds[never], kinds[rid[-32:]]) == (
        "unbacked_mint",
        "funding_not_minted",
        "duplicate_payout",
    )
    # An attestation that disagrees with the chain: the auditor finds it from the chain alone.
    height = network.wait_peers_in_sync()
    args = protocol.Attest("USD", 1, height - 1, None, uuid.uuid4().hex)
    tx = contracts["BankOrg/treasury"].submit_transaction(args.FUNCTION.value, [args.to_json()])
    auditor = books.report(as_="AuditorOrg/auditor")
    assert [b["kind"] for b in mentioned(auditor, tx.transaction_id)] == ["attestation_mismatch"]
    wait_until(lambda: len(mentioned(books.report(), tx.transaction_id)) == 1, what=books.report)
    metrics = apis["BankOrg/issuer"].http.get("/metrics").text
    assert any(line.startswith("books_reconciliation_breaks ") for line in metrics.splitlines())


@pytest.mark.parametrize("step", ["mint.accepted", "mint.endorsed", "mint.committed"])
def test_a_funding_survives_a_sigkill(books: Books, apis: Apis, step: str) -> None:
    dda = new_id("DDA")
    account = open_account(apis, dda)
    books.start(kill_at=step)
    books.post(camt054_xml(new_id("M"), dda, "USD", [(new_id("B"), "12.34")]))
    wait_until(lambda: not books.running(), what=lambda: balance(apis, account))
    books.start()
    wait_until(lambda: balance(apis, account) == "12.34", what=lambda: balance(apis, account))
    quiet(books)
    assert balance(apis, account) == "12.34"  # once, never twice


@pytest.mark.parametrize("step", ["payout.sent", "payout.answered", "close.endorsed"])
def test_a_payout_survives_a_sigkill(books: Books, apis: Apis, step: str) -> None:
    dda = new_id("DDA")
    account = open_account(apis, dda)
    books.post(camt054_xml(new_id("M"), dda, "USD", [(new_id("B"), "20.00")]))
    wait_until(lambda: balance(apis, account) == "20.00")
    books.start(kill_at=step)
    rid = redeem(apis, account, "5.00")
    wait_until(lambda: not books.running(), what=lambda: redemption(apis, rid))
    books.start()
    wait_until(lambda: redemption(apis, rid)["status"] == "settled", what=lambda: redemption(apis, rid))
    assert [e for e, _, _ in books.core.booked].count(rid[-32:]) == 1  # paid once
    if step == "payout.sent":
        # The connector died with the answer unrecorded: the same MsgId went again, answered as the first time.
        assert books.core.received[f"TDP-{rid[-31:]}"] == 2
    assert balance(apis, account) == "15.00"


def test_an_fx_booking_survives_a_sigkill_after_sending(books: Books, apis: Apis) -> None:
    dda = new_id("DDA")
    account = open_account(apis, dda)
    books.post(camt054_xml(new_id("M"), dda, "USD", [(new_id("B"), "30.00")]))
    wait_until(lambda: balance(apis, account) == "30.00")
    sent_before = {m for m in books.core.received if m.startswith("TDF-")}
    q = quote(apis, "USD", "EUR", "0.9", "10.00")
    books.start(kill_at="fx.sent")
    body = {"account": account, "quote_id": q["id"], "sell_currency": "USD", "sell_amount": "10.00"}
    assert apis[HOLDER].ok("POST", "/v1/conversions", body)["bought_amount"] == "9.00"
    wait_until(lambda: not books.running(), what=lambda: dict(books.core.received))
    books.start()

    # The connector died with the answer unrecorded: the same pacs.009 (same MsgId) went again, booked once.
    def resent() -> list[str]:
        return [m for m, n in books.core.received.items() if m.startswith("TDF-") and m not in sent_before and n > 1]

    wait_until(lambda: bool(resent()), what=lambda: dict(books.core.received))
    (msg_id,) = resent()
    assert books.core.received[msg_id] == 2
    tail = msg_id.removeprefix("TDF-")  # the last 31 hex of the conversion's tx id
    legs = [(c, a) for e, c, a in books.core.booked if e.endswith(tail)]
    assert sorted(legs) == [("EUR", Decimal("9.00")), ("USD", Decimal("10.00"))]
    assert not [b for b in quiet(books)["breaks"] if b["kind"] == "fx_not_booked" and b["reference"].endswith(tail)]


BOOKS_ROUTES = [("GET", "/v1/books/exceptions"), ("GET", "/v1/books/statements"), ("GET", "/v1/reconciliation")]


def test_who_may_call_the_books_endpoints(books: Books, apis: Apis) -> None:
    bank_readers = {"BankOrg/issuer", "BankOrg/compliance", "BankOrg/treasury"}
    for ref, api in apis.items():
        for method, path in BOOKS_ROUTES:
            r = api.request(method, path)
            allowed = ref in bank_readers or (path == "/v1/reconciliation" and ref == "AuditorOrg/auditor")
            assert r.status_code == (200 if allowed else 403), (ref, path, r.status_code, r.text)
        inbound = _post_xml(api, camt054_xml(new_id("M"), "DDA-X", "USD", [(new_id("B"), "1.00")]))
        assert inbound.status_code == (202 if ref == "BankOrg/core" else 403), (ref, inbound.text)


def _post_xml(api: Api, xml: bytes) -> Any:
    headers = {"Authorization": f"Bearer {api.api_key}", "Content-Type": "application/xml"}
    return api.http.post("/v1/books/inbound", content=xml, headers=headers)


def test_a_large_direct_mint_waits_for_a_checker(apis: Apis) -> None:
    account = open_account(apis, None)
    ref = new_id("WIRE")
    body = {"account": account, "currency": "USD", "amount": "10000000.01", "reserve_ref": ref}
    waiting = apis["BankOrg/issuer"].ok("POST", "/v1/mints", body)
    assert waiting["mint_status"] == "pending_approval"
    assert balance(apis, account) == "0.00"
    path = f"/v1/mints/{waiting['mint_id']}/approve"
    maker = apis["BankOrg/issuer"].post(path)
    assert (maker.status_code, maker.json()["code"]) == (403, "UNAUTHORIZED")  # the chaincode refuses the maker
    for ref_ in ("BankOrg/treasury", "BankOrg/core", HOLDER):
        assert apis[ref_].post(path).status_code == 403
    approved = apis["BankOrg/compliance"].ok("POST", path)
    assert (approved["mint_status"], approved["amount"], approved["reserve_ref"]) == ("minted", "10000000.01", ref)
    assert balance(apis, account) == "10000000.01"
    again = apis["BankOrg/compliance"].post(path)
    assert (again.status_code, again.json()["code"]) == (409, "INVALID_STATE")
    small = {**body, "amount": "10000000.00", "reserve_ref": new_id("WIRE")}
    assert apis["BankOrg/issuer"].ok("POST", "/v1/mints", small)["mint_status"] == "minted"


def test_who_may_attest_and_approve_on_chain(network: Network, contracts: dict[str, fabric.Contract]) -> None:
    """The chaincode's own matrix for the books' writes, each caller straight to its org's peer."""
    account = new_id("bk")
    holder = Directory(network.topology, network.layout, network.topology.org("PlatformOrg")).holder(HOLDER)
    assert holder is not None
    submit(contracts["BankOrg/issuer"], protocol.OpenAccount(account, *holder, "KYC", uuid.uuid4().hex))
    big = protocol.Mint(account, "USD", 10_000_000_00 + 1, new_id("WIRE"), uuid.uuid4().hex)
    mint_id = submit(contracts["BankOrg/issuer"], big)["mint_id"]
    cases: dict[str, tuple[Callable[[], protocol.Args], str]] = {
        "attest": (lambda: protocol.Attest("USD", 0, 0, None, uuid.uuid4().hex), "BankOrg/treasury"),
        # The maker (the issuer) may not approve its own mint: only another BankOrg identity.
        "approve_mint": (lambda: protocol.ApproveMint(mint_id, uuid.uuid4().hex), "BankOrg/compliance"),
    }
    for name, (make, allowed) in cases.items():
        for ref, contract in contracts.items():
            if ref != allowed:
                code = rejected_code(lambda c=contract, m=make: submit(c, m()))  # type: ignore[misc]
                assert code == "UNAUTHORIZED", (name, ref, code)
        submit(contracts[allowed], make())


def test_the_treasury_attests_on_demand_and_the_auditor_checks_it(books: Books, apis: Apis, data_dir: Path) -> None:
    """`deposits books attest`: the connector attests each currency's books now, with no statement (a
    balance that is no amount of the currency — negative after earlier tests' conversions, with a parked
    entry's extra decimals, or in a currency the ledger does not issue — is answered with the reason); the
    auditor's gateway then checks each attestation against the chain from the chain alone."""
    dda = new_id("DDA")
    account = open_account(apis, dda)
    books.post(camt054_xml(new_id("M"), dda, "USD", [(new_id("B"), "12.00")]))
    wait_until(lambda: balance(apis, account) == "12.00")
    bank = quiet(books)
    answer = json.loads(deposits(data_dir, "books", "attest", "--wait", "90").stdout)["attested"]
    assert set(answer) == set(bank["currencies"])
    registry = cast(list[dict[str, Any]], apis["BankOrg/issuer"].ok("GET", "/v1/currencies"))
    digits = {c["code"]: int(c["minor_digits"]) for c in registry}
    made = {}
    for code, figures in bank["currencies"].items():
        units = Decimal(figures["books"]).scaleb(digits.get(code, 0))
        if code in digits and units >= 0 and units == units.to_integral_value():
            assert len(answer[code]) == 64, answer  # a transaction id
            made[code] = answer[code]
        else:
            assert answer[code].startswith("not attested: "), answer
    assert "USD" in bank["currencies"] and made
    auditor = books.report(as_="AuditorOrg/auditor")
    for code, tx in made.items():
        assert auditor["currencies"][code]["books"] == bank["currencies"][code]["books"]
        # A break for the auditor exactly when the books and the chain differ at that block.
        named = [b["kind"] for b in mentioned(auditor, tx)]
        assert named == ([] if Decimal(auditor["currencies"][code]["difference"]) == 0 else ["attestation_mismatch"])
