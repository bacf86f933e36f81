"""The books connector over the in-memory contract and the fake core: fundings mint once to the DDA's account,
the repair queue, payouts paid or rejected by the core and closed on chain, reconciliation and its breaks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from books.connector import Connector, KillingLedger, KillPoints
from books.store import BooksStore
from chaincode import protocol
from gateway.directory import Caller, Directory
from gateway.errors import InvalidMessage
from gateway.idempotency import IdempotencyStore
from gateway.service import WriteService
from network import pki
from network.layout import Layout
from network.topology import load_topology
from tests.fake_core import FakeCore, Line, camt053_xml, camt054_xml
from tests.unit.gateway.fake_ledger import FakeLedger


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Directory]:
    layout = Layout(tmp_path_factory.mktemp("data"))
    topo = load_topology()
    pki.generate(layout.crypto, topo)
    return {org.name: Directory(topo, layout, org) for org in topo.orgs}


class Bank:
    def __init__(self, directories: dict[str, Directory], tmp: Path) -> None:
        self.d = directories
        self.ledger = FakeLedger()
        self.store = BooksStore(tmp / "books.sqlite3")
        self.core = FakeCore(rejects={"DDA-CLOSED": "AC04", "DE44500105175407324931": "AC01"})
        self.writes = WriteService(self.ledger, IdempotencyStore(tmp / "gw.sqlite3"))
        killing = KillingLedger(self.ledger, KillPoints(None))
        bank = directories["BankOrg"]
        self.connector = Connector(
            self.store,
            killing,
            WriteService(killing, IdempotencyStore(tmp / "books-idem.sqlite3")),
            self.caller("BankOrg/treasury"),
            bank.service,
            self.core,
            KillPoints(None),
        )
        self.n = 0

    def caller(self, ref: str) -> Caller:
        org, name = ref.split("/")
        return next(c for c in self.d[org].callers if c.name == name)

    def write(self, ref: str, build: Callable[[str], protocol.Args]) -> dict[str, Any]:
        self.n += 1
        return self.writes.write(self.caller(ref), f"k{self.n}", build, lambda r, s: r).body

    def read(self, args: protocol.Args) -> Any:
        return json.loads(self.ledger.evaluate(self.caller("BankOrg/issuer"), args.FUNCTION.value, [args.to_json()]))

    def open(self, account: str, dda: str | None) -> None:
        holder = self.d["PlatformOrg"].holder("PlatformOrg/buyer-us")
        assert holder is not None
        self.write("BankOrg/issuer", lambda r: protocol.OpenAccount(account, *holder, "KYC-1", r, dda))

    def balance(self, account: str) -> int:
        return int(self.read(protocol.GetAccount(account))["balances"]["USD"])

    def settle_blocks(self) -> None:
        """Let the connector's block reader catch up with every committed event."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cp = self.store.checkpoint()
            if cp is not None and cp[1] == self.ledger.world.events[-1].tx_id:
                return
            time.sleep(0.02)
        raise AssertionError("the block reader did not catch up")

    def step(self) -> None:
        self.settle_blocks()
        self.connector.step()
        self.settle_blocks()
        self.connector.step()


@pytest.fixture
def bank(directories: dict[str, Directory], tmp_path: Path) -> Iterator[Bank]:
    b = Bank(directories, tmp_path)
    reader = threading.Thread(target=b.connector.follow, daemon=True)
    reader.start()
    yield b
    b.connector.stop()
    reader.join(5)
    assert not reader.is_alive(), "stop() must end the block stream it waits in"
    b.store.close()


def test_a_notification_mints_each_entry_once_and_parks_what_it_cannot(bank: Bank) -> None:
    bank.open("alice", "DDA-1")
    xml = camt054_xml("CORE-1", "DDA-1", "USD", [("B-1", "100.00"), ("B-2", "0.50"), ("B-3", "1.005")])
    assert bank.store.accept(xml) == {"message_id": "CORE-1", "kind": "camt.054.001.08", "entries": 3}
    assert bank.store.accept(xml) == {"message_id": "CORE-1", "kind": "camt.054.001.08", "entries": 3}
    bank.store.accept(camt054_xml("CORE-2", "DDA-404", "USD", [("B-4", "5.00")]))
    bank.store.accept(camt054_xml("CORE-3", "DDA-1", "JPY", [("B-5", "5")]))
    # The same booking sent again under another MsgId is still one booking.
    bank.store.accept(camt054_xml("CORE-4", "DDA-1", "USD", [("B-1", "100.00")]))
    bank.step()
    assert bank.balance("alice") == 10_050
    parked = {e["reference"]: e["reason"].split(":")[0] for e in bank.store.exceptions()}
    assert parked == {"B-3": "INVALID_AMOUNT", "B-4": "UNKNOWN_DDA", "B-5": "UNKNOWN_CURRENCY"}
    mints = [r for r in bank.store.chain() if r.type == "Minted"]
    assert sorted(r.reference or "" for r in mints) == ["B-1", "B-2"]
    # A person's mint against a booking the connector has not reached: that booking is not minted again.
    bank.write("BankOrg/issuer", lambda r: protocol.Mint("alice", "USD", 700, "B-6", r))
    bank.store.accept(camt054_xml("CORE-5", "DDA-1", "USD", [("B-6", "7.00")]))
    bank.step()
    assert bank.balance("alice") == 10_750
    assert [f.status for f in bank.store.fundings() if f.reference == "B-6"] == ["minted_elsewhere"]


def test_bad_xml_is_refused_with_the_path_and_nothing_is_kept(bank: Bank) -> None:
    xml = camt054_xml("CORE-9", "DDA-1", "USD", [("B-1", "1.00")]).replace(b'Ccy="USD"', b'Ccy="usd"', 1)
    with pytest.raises(InvalidMessage, match="/Document/BkToCstmrDbtCdtNtfctn/Ntfctn"):
        bank.store.accept(xml)
    with pytest.raises(InvalidMessage):
        bank.store.accept(b"<not xml")
    assert bank.store.fundings() == []


def test_redemptions_are_paid_by_the_core_and_closed_on_chain(bank: Bank) -> None:
    bank.open("alice", "DDA-1")
    bank.open("carol", "DDA-CLOSED")
    bank.open("dave", None)
    bank.store.accept(camt054_xml("F-1", "DDA-1", "USD", [("B-1", "100.00")]))
    bank.store.accept(camt054_xml("F-2", "DDA-CLOSED", "USD", [("B-2", "10.00")]))
    bank.write("BankOrg/issuer", lambda r: protocol.Mint("dave", "USD", 500, "MANUAL-1", r))
    bank.step()
    holder = "PlatformOrg/buyer-us"
    book = bank.write(holder, lambda r: protocol.Redeem("alice", "USD", 2_000, r))["redemption_id"]
    iban = {"iban": "DE89370400440532013000"}
    external = bank.write(holder, lambda r: protocol.Redeem("alice", "USD", 1_000, r, iban))["redemption_id"]
    bad = {"iban": "DE44500105175407324931"}
    unknown = bank.write(holder, lambda r: protocol.Redeem("alice", "USD", 500, r, bad))["redemption_id"]
    closed = bank.write(holder, lambda r: protocol.Redeem("carol", "USD", 1_000, r))["redemption_id"]
    manual = bank.write(holder, lambda r: protocol.Redeem("dave", "USD", 100, r))["redemption_id"]
    bank.step()
    status = {rid: bank.read(protocol.GetRedemption(rid)) for rid in (book, external, unknown, closed, manual)}
    assert status[book]["status"] == status[external]["status"] == "settled"
    assert (status[unknown]["status"], status[unknown]["reason"]) == ("rejected", "AC01")
    assert (status[closed]["status"], status[closed]["reason"]) == ("rejected", "AC04")
    assert status[manual]["status"] == "pending"
    assert bank.balance("alice") == 10_000 - 2_000 - 1_000  # the rejected 5.00 came back
    assert bank.balance("carol") == 1_000
    payout = next(p for p in bank.store.payouts() if p.redemption_id == book)
    assert status[book]["payout_ref"] == payout.uetr
    assert sorted(e2e for e2e, _, _ in bank.core.booked) == sorted([book[-32:], external[-32:]])
    # Sending a payout again is the same MsgId, and the core answers the first status.
    assert payout.message is not None and payout.answer is not None
    assert bank.core.send(payout.message) == payout.answer
    report = bank.connector.report()
    # Unbacked: dave's manual mint; the books hold alice's and carol's fundings less what the core paid.
    assert [(b["kind"], b["reference"]) for b in report["breaks"]] == [
        ("unbacked_mint", "MANUAL-1"),
        ("balance_difference", "USD"),
    ]
    assert report["currencies"]["USD"] == {"ledger": "85.00", "books": "80.00", "difference": "5.00"}
    assert report["in_flight"] == {}


def test_statements_anchor_the_books_and_name_what_the_core_did_alone(bank: Bank) -> None:
    bank.open("alice", "DDA-1")
    bank.store.accept(camt054_xml("F-1", "DDA-1", "USD", [("B-1", "100.00")]))
    bank.step()
    rid = bank.write("PlatformOrg/buyer-us", lambda r: protocol.Redeem("alice", "USD", 1_000, r))["redemption_id"]
    bank.step()
    assert bank.connector.report()["breaks"] == []
    e2e = rid[-32:]
    # The core's statement: the funding, the payout booked twice, and a funding it never notified.
    lines = [
        Line("B-1", "100.00", True),
        Line(e2e, "10.00", False),
        Line(e2e, "10.00", False),
        Line("B-9", "3.00", True),
    ]
    bank.store.accept(camt053_xml("EOD-1", "USD", "0", "83.00", lines))
    bank.step()
    kinds = {(b["kind"], b["reference"]) for b in bank.connector.report()["breaks"]}
    # The treasury attests what its books say (83.00), and so the chain (90.00) disagrees with it too.
    attestation = next(r.tx_id for r in bank.store.chain() if r.type == "BalanceAttested")
    assert kinds == {
        ("duplicate_payout", e2e),
        ("funding_not_minted", "B-9"),
        ("balance_difference", "USD"),
        ("attestation_mismatch", attestation),
    }
    assert bank.store.statements()[0]["closing"] == "83.00"


def test_the_treasury_attests_a_clean_statement_and_a_wrong_attestation_is_named(bank: Bank) -> None:
    bank.open("alice", "DDA-1")
    bank.store.accept(camt054_xml("F-1", "DDA-1", "USD", [("B-1", "100.00")]))
    bank.step()
    bank.store.accept(camt053_xml("EOD-1", "USD", "0", "100.00", [Line("B-1", "100.00", True)]))
    bank.step()
    attested = bank.read(protocol.ListAttestations())["attestations"]
    assert [(a["currency"], a["balance"]) for a in attested] == [("USD", 10_000)]
    assert attested[0]["statement_sha256"] == bank.store.statements()[0]["sha256"]
    bank.step()
    assert bank.connector.report()["breaks"] == []
    block = int(bank.store.checkpoint()[0])  # type: ignore[index]
    bank.write("BankOrg/treasury", lambda r: protocol.Attest("USD", 99, block, None, r))
    bank.step()
    assert [b["kind"] for b in bank.connector.report()["breaks"]] == ["attestation_mismatch"]


def test_an_attestation_on_demand_records_each_currencys_books_without_a_statement(bank: Bank) -> None:
    bank.open("alice", "DDA-1")
    bank.store.accept(camt054_xml("F-2", "DDA-1", "USD", [("B-2", "40.00")]))
    bank.step()
    minted_at = int(bank.store.checkpoint()[0])  # type: ignore[index]
    request = bank.store.request_attestation()
    assert bank.store.attestation_result(request) is None
    bank.step()
    result = bank.store.attestation_result(request)
    attested = bank.read(protocol.ListAttestations())["attestations"]
    assert [(a["currency"], a["balance"], a["statement_sha256"]) for a in attested] == [("USD", 4000, None)]
    assert result == {"USD": attested[0]["tx_id"]}
    assert attested[0]["as_of_block"] == minted_at  # the block the books were reconciled as of
    bank.step()
    assert bank.store.attestation_requests() == [] and bank.connector.report()["breaks"] == []
