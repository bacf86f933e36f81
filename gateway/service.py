"""Use cases of the gateway: exactly-once writes and reads against the ledger port.

Exactly once, in two layers:
1. The ledger: every write carries a `request_id` derived from (caller, Idempotency-Key); the contract
   records it and refuses a replay with DUPLICATE_REQUEST, so no retry path can move money twice.
2. The gateway: the (caller, key) record holds the request's fingerprint, and — written before submit —
   the endorsed envelope; a repeat returns the first answer, a repeat after a crash resubmits the SAME
   envelope (same transaction id) instead of making a new transaction.
MVCC / phantom-read conflicts and endorser mismatches are retried with a fresh endorsement, bounded; retries
spent on conflicts answer 409, retries spent on peers that still disagree (one is behind) 503 LEDGER_BEHIND.

Bounded in time, too: a write answers within `commit_timeout` seconds (plus one Submit call). Past it, a
transaction that was submitted answers 504 COMMIT_STATUS_UNKNOWN and keeps its envelope, so a retry with the
same Idempotency-Key settles that very transaction.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaincode import protocol
from gateway.deadline import Deadline
from gateway.directory import Caller
from gateway.errors import (
    ChaincodeRejected,
    CommitUnknown,
    EndorsersDisagree,
    IdempotencyKeyReused,
    LedgerBehind,
    LedgerUnavailable,
    RetryableConflict,
)
from gateway.idempotency import IdempotencyStore, Record
from gateway.ledger import Endorsed, Ledger, TxStatus

Present = Callable[[dict[str, Any], TxStatus], dict[str, Any]]
# Builds the contract arguments once the request id is known.
Build = Callable[[str], protocol.Args]


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False


class WriteService:
    def __init__(
        self, ledger: Ledger, store: IdempotencyStore, *, max_attempts: int = 6, commit_timeout: int = 30
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.max_attempts = max_attempts
        self.commit_timeout = commit_timeout
        self.conflict_retries = 0

    @staticmethod
    def request_id(caller: Caller, key: str) -> str:
        return hashlib.sha256(f"{caller.msp_id}\n{caller.name}\n{key}".encode()).hexdigest()[:40]

    def write(self, caller: Caller, idempotency_key: str | None, build: Build, present: Present) -> Outcome:
        """Run one write exactly once per (caller, Idempotency-Key).

        Raises IdempotencyKeyReused, ChaincodeRejected, RetryableConflict (retries exhausted), LedgerBehind (the
        peers disagreed to the last retry), LedgerUnavailable, CommitUnknown (submitted, not committed within
        `commit_timeout`).
        """
        deadline = Deadline(self.commit_timeout)
        if idempotency_key is None:
            # Not retry-safe by the caller's choice: nothing of it is kept once it has its answer.
            key = f"auto-{uuid.uuid4()}"
            try:
                return self._write(caller, key, build, present, deadline)
            finally:
                self.store.discard(caller.ref, key)
        return self._write(caller, idempotency_key, build, present, deadline)

    def _write(self, caller: Caller, key: str, build: Build, present: Present, deadline: Deadline) -> Outcome:
        unsent = build("")
        fingerprint = hashlib.sha256(unsent.FUNCTION.encode() + b"\n" + unsent.to_json()).hexdigest()
        with self.store.exclusive(caller.ref, key):
            rec = self.store.get(caller.ref, key)
            if rec is not None and rec.fingerprint != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used with a different request")
            if rec is not None and rec.done:
                return Outcome(rec.status or 200, json.loads(rec.body or "{}"), replayed=True)
            if rec is None:
                self.store.create(caller.ref, key, fingerprint)
            elif rec.envelope is not None:
                recovered = self._recover(caller, rec, present, deadline)
                if recovered is not None:
                    return recovered
            return self._attempts(caller, key, build(self.request_id(caller, key)), present, deadline)

    def _attempts(self, caller: Caller, key: str, args: protocol.Args, present: Present, deadline: Deadline) -> Outcome:
        last: RetryableConflict | None = None
        for attempt in range(self.max_attempts):
            if deadline.expired():
                break
            if attempt:
                self.conflict_retries += 1
                time.sleep(min(0.05 * 2**attempt, 1.0))
            try:
                endorsed = self.ledger.endorse(caller, args.FUNCTION.value, [args.to_json()])
            except ChaincodeRejected as exc:
                self.store.finish(caller.ref, key, exc.status, json.dumps(_problem_body(exc)))
                raise
            except RetryableConflict as exc:
                last = exc
                continue
            except LedgerUnavailable:
                self.store.forget(caller.ref, key)
                raise
            self.store.endorsed(caller.ref, key, endorsed.tx_id, endorsed.envelope, endorsed.result)
            try:
                status = self.ledger.submit(caller, endorsed.envelope, wait=deadline.remaining())
            except RetryableConflict as exc:
                last = exc
                continue
            return self._finish(caller, key, endorsed, status, present)
        if isinstance(last, EndorsersDisagree):
            raise LedgerBehind("the organisations' peers disagreed on every endorsement: one is behind; retry later")
        raise RetryableConflict(f"gave up after conflicting attempts ({self.max_attempts} at most); retry later")

    def _recover(self, caller: Caller, rec: Record, present: Present, deadline: Deadline) -> Outcome | None:
        """A previous attempt was endorsed (maybe submitted) but never answered: settle that transaction."""
        assert rec.envelope is not None and rec.tx_id is not None and rec.result is not None
        endorsed = Endorsed(rec.tx_id, rec.envelope, rec.result)
        try:
            # Same envelope, same tx id: never a second effect.
            status = self.ledger.submit(caller, rec.envelope, wait=deadline.remaining())
        except RetryableConflict:
            return None  # it committed invalid: nothing happened, endorse afresh
        except LedgerUnavailable:
            # The orderers cannot take it now. It may have committed before: look once, briefly, rather than
            # waiting out the budget for a block that cannot come; else 503 and the envelope stays for a retry.
            try:
                status = self.ledger.status(caller, rec.tx_id, wait=1)
            except CommitUnknown as unknown:
                raise LedgerUnavailable(
                    f"transaction {rec.tx_id} not committed yet and the orderers are unavailable"
                ) from unknown
            if not status.valid:
                return None
        return self._finish(caller, rec.key, endorsed, status, present)

    def _finish(self, caller: Caller, key: str, endorsed: Endorsed, status: TxStatus, present: Present) -> Outcome:
        result = json.loads(endorsed.result) if endorsed.result else {}
        body = {
            "tx_id": endorsed.tx_id,
            "block_number": status.block_number,
            "status": "committed",
            **present(result, status),
        }
        self.store.finish(caller.ref, key, 201, json.dumps(body, sort_keys=True))
        return Outcome(201, body)


def _problem_body(exc: ChaincodeRejected) -> dict[str, Any]:
    return {"type": "about:blank", "title": exc.code, "status": exc.status, "code": exc.code, "detail": exc.message}
