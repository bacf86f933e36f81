"""Offline signing for members that keep their own key (enrolled with a CSR): the use case behind
`Signing: offline` and /v1/signing/{id}.

A write becomes three steps, each its own request: the gateway builds the proposal and hands out its digest
(202); the member's signature over it is verified here, then the proposal endorsed, and the transaction's
digest handed out; the member's second signature is verified, the transaction submitted and its commit
awaited — the usual 201. A signature that does not verify under the member's certificate is a 400
INVALID_SIGNATURE and nothing is sent. Pending signings are kept in memory for `ttl` seconds, only for
the member that started them (anyone else is told there is no such signing); a gateway restart forgets
them (start again: nothing was submitted).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature as _BadSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from chaincode import protocol
from gateway.deadline import Deadline
from gateway.directory import Caller
from gateway.errors import InvalidSignature, TransactionInvalid, UnknownSigning
from gateway.ledger import Ledger, TxStatus, Unsigned

Present = Callable[[dict[str, Any], TxStatus], dict[str, Any]]


@dataclass(slots=True)
class _Pending:
    caller_ref: str
    step: Unsigned
    endorsed: bool
    present: Present
    expires_ns: int  # on the monotonic clock


@dataclass(frozen=True, slots=True)
class Step:
    """What the member signs next: `digest` (SHA-256), for signing `signing_id`."""

    signing_id: str
    digest: bytes


class OfflineSigning:
    def __init__(self, ledger: Ledger, via: Caller, *, ttl: int = 300, commit_timeout: int = 30) -> None:
        """via: the identity whose connection carries the members' proposals (the gateway's own)."""
        self._ledger = ledger
        self._via = via
        self._ttl = ttl
        self._commit_timeout = commit_timeout
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def start(self, caller: Caller, args: protocol.Args, present: Present) -> Step:
        """Build the proposal for caller to sign. Raises what the ledger raises."""
        proposal = self._ledger.propose_offline(self._via, caller, args.FUNCTION.value, [args.to_json()])
        signing_id = secrets.token_hex(16)
        with self._lock:
            now = time.monotonic_ns()
            for sid in [s for s, p in self._pending.items() if p.expires_ns < now]:
                del self._pending[sid]
            self._pending[signing_id] = _Pending(caller.ref, proposal, False, present, now + self._ttl * 1_000_000_000)
        return Step(signing_id, proposal.digest)

    def sign(self, caller: Caller, signing_id: str, signature: bytes) -> Step | dict[str, Any]:
        """The proposal's signature → endorse, the next Step; the transaction's → submit, the receipt.

        Raises UnknownSigning (none such for this caller, or expired), InvalidSignature, and what the ledger
        raises (ChaincodeRejected, LedgerUnavailable, CommitUnknown, …).
        """
        with self._lock:
            pending = self._pending.get(signing_id)
            if pending is None or pending.caller_ref != caller.ref or pending.expires_ns < time.monotonic_ns():
                raise UnknownSigning(f"no signing {signing_id} waiting for {caller.ref}")
            del self._pending[signing_id]  # one signature per step: a concurrent second one finds nothing
        try:
            _verify(caller, pending.step.digest, signature)
        except InvalidSignature:
            with self._lock:
                self._pending[signing_id] = pending
            raise
        if not pending.endorsed:
            transaction = self._ledger.endorse_offline(self._via, pending.step, signature)
            with self._lock:
                self._pending[signing_id] = _Pending(
                    caller.ref, transaction, True, pending.present, time.monotonic_ns() + self._ttl * 1_000_000_000
                )
            return Step(signing_id, transaction.digest)
        deadline = Deadline(self._commit_timeout)
        status = self._ledger.submit_offline(self._via, pending.step, signature, wait=deadline.remaining())
        if not status.valid:
            raise TransactionInvalid(f"transaction {status.tx_id} committed invalid: {status.validation_code}")
        result = json.loads(pending.step.result) if pending.step.result else {}
        return {
            "tx_id": pending.step.tx_id,
            "block_number": status.block_number,
            "status": "committed",
            **pending.present(result, status),
        }


def _verify(caller: Caller, digest: bytes, signature: bytes) -> None:
    """Raises InvalidSignature unless signature is the caller's ECDSA P-256 signature of digest."""
    key = x509.load_pem_x509_certificate(caller.certificate_pem()).public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise InvalidSignature("the member's certificate holds no EC key")
    try:
        key.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    except (_BadSignature, ValueError) as exc:
        raise InvalidSignature("the signature does not verify under the member's certificate") from exc
