"""Hot accounts: concurrent credits never conflict; a debit racing a credit is the one that fails; no
debit ever overdraws. "Concurrent" = every transaction simulated against the same committed state."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from chaincode_fixtures import Ledger, who

from chaincode.contract import Ok, invoke
from chaincode.memory_stub import CommitConflict, MemoryStub
from chaincode.state import BALANCE_DELTA, prefix_range


def simulate(stub: MemoryStub) -> MemoryStub:
    assert isinstance(asyncio.run(invoke(stub)), Ok)
    return stub


def market() -> Ledger:
    ledger = Ledger()
    ledger.open("market", "seller-cn")
    for i in range(10):
        ledger.open(f"buyer{i}", "buyer-us")
        ledger.mint(f"buyer{i}", 10_000)
    return ledger


def mint_stub(ledger: Ledger, account: str, amount: int) -> MemoryStub:
    rid = ledger.request_id()
    args = {"account_id": account, "currency": "USD", "amount": amount, "reserve_ref": f"R-{rid}", "request_id": rid}
    return ledger.stub("issuer", "mint", args)


def transfer_stub(ledger: Ledger, holder: str, src: str, dst: str, amount: int) -> MemoryStub:
    args = {
        "from_account": src,
        "to_account": dst,
        "currency": "USD",
        "amount": amount,
        "reference": "INV",
        "request_id": ledger.request_id(),
    }
    return ledger.stub(holder, "transfer", args)


def assert_independent(stubs: list[MemoryStub]) -> None:
    for a, b in itertools.permutations(stubs, 2):
        assert not a.write_keys & b.write_keys
        assert not a.read_keys & b.write_keys


def test_concurrent_transfers_into_one_account_do_not_conflict() -> None:
    ledger = market()
    stubs = [simulate(transfer_stub(ledger, "buyer-us", f"buyer{i}", "market", 100 + i)) for i in range(10)]
    assert_independent(stubs)
    for stub in reversed(stubs):  # any commit order
        stub.commit()
    assert ledger.balance("market") == sum(100 + i for i in range(10))


def test_concurrent_mints_do_not_conflict() -> None:
    ledger = market()
    stubs = [simulate(mint_stub(ledger, "market", 1 + i)) for i in range(10)]
    stubs += [simulate(mint_stub(ledger, f"buyer{i}", 5)) for i in range(3)]
    assert_independent(stubs)
    for stub in stubs:
        stub.commit()
    assert ledger.balance("market") == 55
    assert ledger.supply()["USD"]["minted"] == 10 * 10_000 + 55 + 15


def test_a_debit_racing_a_credit_is_the_one_that_fails_and_then_succeeds_on_retry() -> None:
    ledger = market()
    ledger.transfer("buyer-us", "buyer0", "market", 1000)
    credit = simulate(transfer_stub(ledger, "buyer-us", "buyer1", "market", 500))
    debit_args = {"account_id": "market", "currency": "USD", "amount": 800, "request_id": "redeem-1"}
    debit = simulate(ledger.stub("seller-cn", "redeem", debit_args))
    credit.commit()
    before = ledger.snapshot()
    with pytest.raises(CommitConflict) as exc:
        debit.commit()
    assert exc.value.validation_code == "PHANTOM_READ_CONFLICT"
    assert ledger.snapshot() == before
    ledger.ok("seller-cn", "redeem", **debit_args)  # the gateway's retry: a fresh endorsement
    assert ledger.balance("market") == 700
    start, end = prefix_range(BALANCE_DELTA, "market", "USD")
    assert ledger.world.range(start, end) == []  # the debit consolidated every delta into the base


def test_concurrent_debits_never_overdraw() -> None:
    ledger = market()
    first = simulate(transfer_stub(ledger, "buyer-us", "buyer0", "buyer1", 7000))
    second = simulate(transfer_stub(ledger, "buyer-us", "buyer0", "buyer2", 7000))  # each alone is covered
    first.commit()
    with pytest.raises(CommitConflict):
        second.commit()
    assert ledger.balance("buyer0") == 3000
    retry = ledger.call(
        "buyer-us",
        "transfer",
        {
            "from_account": "buyer0",
            "to_account": "buyer2",
            "currency": "USD",
            "amount": 7000,
            "reference": "INV",
            "request_id": "retry",
        },
    )
    assert not isinstance(retry, Ok) and retry.message.startswith("INSUFFICIENT_FUNDS: account buyer0 has 30.00 USD")


def test_credits_read_only_the_account_record() -> None:
    ledger = market()
    stub = simulate(transfer_stub(ledger, "buyer-us", "buyer0", "market", 1))
    market_reads = {k for k in stub.read_keys if "\x00market\x00" in k}
    assert market_reads == {"\x00account\x00market\x00"}
    assert who("seller-cn").msp_id == "PlatformMSP"
