"""Exactly-once writes against a scripted fake ledger: replay, mismatch, retries, crash recovery."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chaincode import protocol
from gateway.directory import Caller
from gateway.errors import (
    BadRequest,
    ChaincodeRejected,
    CommitUnknown,
    EndorsersDisagree,
    LedgerBehind,
    LedgerUnavailable,
    RetryableConflict,
)
from gateway.idempotency import IdempotencyStore
from gateway.ledger import Endorsed, LedgerEvent, TxStatus
from gateway.service import WriteService
from network.pki import TlsPair

NOWHERE = Path("/nowhere")
CALLER = Caller("PlatformOrg", "buyer-us", "holder", "PlatformMSP", NOWHERE, TlsPair(NOWHERE, "client"))


class FakeLedger:
    """Endorses by echoing the request; `submit_script` decides each submit's fate in turn."""

    def __init__(self) -> None:
        self.endorsed: list[bytes] = []
        self.submitted: list[bytes] = []
        self.waits: list[int | None] = []
        self.submit_script: list[Callable[[Endorsed], TxStatus]] = []
        self.endorse_error: Exception | None = None
        self._by_envelope: dict[bytes, Endorsed] = {}

    def endorse(self, caller: Caller, function: str, args: list[bytes]) -> Endorsed:
        if self.endorse_error is not None:
            raise self.endorse_error
        n = len(self.endorsed)
        self.endorsed.append(args[0])
        e = Endorsed(f"tx{n}", f"envelope{n}".encode(), json.dumps({"n": n}).encode())
        self._by_envelope[e.envelope] = e
        return e

    def submit(self, caller: Caller, envelope: bytes, wait: int | None = None) -> TxStatus:
        self.submitted.append(envelope)
        self.waits.append(wait)
        e = self._by_envelope[envelope]
        if self.submit_script:
            return self.submit_script.pop(0)(e)
        return TxStatus(e.tx_id, True, True, "VALID", 10 + len(self.submitted))

    def status(self, caller: Caller, tx_id: str, wait: int | None = None) -> TxStatus:
        return TxStatus(tx_id, True, True, "VALID", 99)

    def evaluate(self, caller: Caller, function: str, args: list[bytes]) -> bytes:
        return b"{}"

    def events(self, caller: Caller, start_block: int | None, after_tx_id: str | None) -> list[LedgerEvent]:
        return []

    def close(self) -> None:
        pass


def conflict(_: Endorsed) -> TxStatus:
    raise RetryableConflict("MVCC_READ_CONFLICT")


def lost(_: Endorsed) -> TxStatus:
    raise CommitUnknown("gateway crashed before the commit status came back")


def transfer(amount: int = 100) -> Callable[[str], protocol.Args]:
    return lambda rid: protocol.Transfer("a", "b", "USD", amount, "INV-1", rid)


def echo(result: dict[str, object], status: TxStatus) -> dict[str, object]:
    return {"n": result["n"]}


@pytest.fixture
def ledger() -> FakeLedger:
    return FakeLedger()


@pytest.fixture
def service(ledger: FakeLedger, tmp_path: Path) -> WriteService:
    return WriteService(ledger, IdempotencyStore(tmp_path / "idem.sqlite3"))


def test_a_repeat_returns_the_first_answer_without_a_second_transaction(
    service: WriteService, ledger: FakeLedger
) -> None:
    first = service.write(CALLER, "k1", transfer(), echo)
    again = service.write(CALLER, "k1", transfer(), echo)
    assert first.status == again.status == 201
    assert again.body == first.body and again.replayed and not first.replayed
    assert len(ledger.endorsed) == 1 and len(ledger.submitted) == 1


def test_the_request_id_is_derived_from_caller_and_key(service: WriteService, ledger: FakeLedger) -> None:
    service.write(CALLER, "k1", transfer(), echo)
    sent = json.loads(ledger.endorsed[0])
    assert sent["request_id"] == WriteService.request_id(CALLER, "k1") != WriteService.request_id(CALLER, "k2")


def test_same_key_with_another_body_is_refused(service: WriteService, ledger: FakeLedger) -> None:
    service.write(CALLER, "k1", transfer(100), echo)
    with pytest.raises(BadRequest) as info:
        service.write(CALLER, "k1", transfer(200), echo)
    assert (info.value.status, info.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert len(ledger.endorsed) == 1


def test_conflicts_are_retried_with_a_fresh_endorsement(service: WriteService, ledger: FakeLedger) -> None:
    ledger.submit_script = [conflict, conflict]
    out = service.write(CALLER, "k1", transfer(), echo)
    assert out.body["n"] == 2 and len(ledger.endorsed) == 3 and service.conflict_retries == 2


def test_conflict_retries_are_bounded(ledger: FakeLedger, tmp_path: Path) -> None:
    service = WriteService(ledger, IdempotencyStore(tmp_path / "i.sqlite3"), max_attempts=3)
    ledger.submit_script = [conflict] * 5
    with pytest.raises(RetryableConflict):
        service.write(CALLER, "k1", transfer(), echo)
    assert len(ledger.endorsed) == 3


def test_peers_that_disagree_to_the_last_retry_are_503_behind_not_a_conflict(
    ledger: FakeLedger, tmp_path: Path
) -> None:
    """During a fault that keeps one org's peer a block behind, every endorsement mismatches: that is the
    ledger's state, not a conflict of the caller's, so it is 503 LEDGER_BEHIND (Retry-After), and the key is
    free for the retry."""
    service = WriteService(ledger, IdempotencyStore(tmp_path / "i.sqlite3"), max_attempts=3)
    ledger.endorse_error = EndorsersDisagree("endorsers disagree: ProposalResponsePayloads do not match")
    with pytest.raises(LedgerBehind) as behind:
        service.write(CALLER, "k1", transfer(), echo)
    assert behind.value.status == 503 and behind.value.headers() == {"Retry-After": "1"}
    ledger.endorse_error = None
    assert service.write(CALLER, "k1", transfer(), echo).status == 201


def test_after_a_crash_between_submit_and_commit_the_same_envelope_is_resubmitted(
    ledger: FakeLedger, tmp_path: Path
) -> None:
    path = tmp_path / "idem.sqlite3"
    ledger.submit_script = [lost]
    with pytest.raises(CommitUnknown):
        WriteService(ledger, IdempotencyStore(path)).write(CALLER, "k1", transfer(), echo)
    restarted = WriteService(ledger, IdempotencyStore(path))  # a new process, the same database
    out = restarted.write(CALLER, "k1", transfer(), echo)
    assert out.status == 201 and out.body["tx_id"] == "tx0"
    assert len(ledger.endorsed) == 1
    assert ledger.submitted == [b"envelope0", b"envelope0"]


def test_a_contract_refusal_is_remembered_for_the_key(service: WriteService, ledger: FakeLedger) -> None:
    ledger.endorse_error = ChaincodeRejected("INSUFFICIENT_FUNDS", "account a has 0.00 USD, needs 1.00")
    with pytest.raises(ChaincodeRejected):
        service.write(CALLER, "k1", transfer(), echo)
    ledger.endorse_error = None
    replay = service.write(CALLER, "k1", transfer(), echo)
    assert (replay.status, replay.body["code"]) == (422, "INSUFFICIENT_FUNDS")
    assert ledger.submitted == []


def test_an_unreachable_ledger_leaves_the_key_free_to_retry(service: WriteService, ledger: FakeLedger) -> None:
    ledger.endorse_error = LedgerUnavailable("peer down")
    with pytest.raises(LedgerUnavailable):
        service.write(CALLER, "k1", transfer(), echo)
    ledger.endorse_error = None
    assert service.write(CALLER, "k1", transfer(), echo).status == 201


def test_the_commit_wait_never_exceeds_the_time_budget(ledger: FakeLedger, tmp_path: Path) -> None:
    service = WriteService(ledger, IdempotencyStore(tmp_path / "idem.sqlite3"), commit_timeout=7)
    service.write(CALLER, "k1", transfer(), echo)
    (wait,) = ledger.waits
    assert wait is not None and 1 <= wait <= 7


def test_conflict_retries_stop_when_the_time_budget_is_spent(ledger: FakeLedger, tmp_path: Path) -> None:
    def slow_conflict(_: Endorsed) -> TxStatus:
        time.sleep(0.6)
        raise RetryableConflict("MVCC_READ_CONFLICT")

    ledger.submit_script = [slow_conflict] * 6
    service = WriteService(ledger, IdempotencyStore(tmp_path / "idem.sqlite3"), max_attempts=6, commit_timeout=1)
    with pytest.raises(RetryableConflict):
        service.write(CALLER, "k1", transfer(), echo)
    assert len(ledger.submitted) == 2  # the second attempt ends past the 1 s budget: no third


def test_a_commit_wait_past_the_budget_keeps_the_envelope_for_the_retry(ledger: FakeLedger, tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.sqlite3")
    ledger.submit_script = [lost]
    with pytest.raises(CommitUnknown):
        WriteService(ledger, store, commit_timeout=1).write(CALLER, "k1", transfer(), echo)
    out = WriteService(ledger, store).write(CALLER, "k1", transfer(), echo)
    assert out.status == 201 and ledger.submitted == [b"envelope0", b"envelope0"]


def test_a_request_without_a_key_leaves_nothing_behind(ledger: FakeLedger, tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.sqlite3")
    service = WriteService(ledger, store)
    assert service.write(CALLER, None, transfer(), echo).status == 201
    ledger.submit_script = [lost]
    with pytest.raises(CommitUnknown):
        service.write(CALLER, None, transfer(), echo)
    assert store.count() == 0
    service.write(CALLER, "k1", transfer(), echo)
    assert store.count() == 1
    assert store._key_locks == {}  # no lock outlives its request


def test_records_expire_after_the_retention_window(ledger: FakeLedger, tmp_path: Path) -> None:
    now = [1_000_000]
    store = IdempotencyStore(tmp_path / "idem.sqlite3", retention=3600, clock=lambda: now[0])
    service = WriteService(ledger, store)
    for i in range(5):
        service.write(CALLER, f"old-{i}", transfer(), echo)
    rec = store.get(CALLER.ref, "old-0")
    assert rec is not None and rec.done and rec.envelope is None  # a finished record keeps only its answer
    now[0] += 3599
    assert store.sweep() == 0 and store.count() == 5
    now[0] += 61
    service.write(CALLER, "new", transfer(), echo)  # creating a record sweeps (at most once a minute)
    assert store.count() == 1 and store.get(CALLER.ref, "new") is not None
