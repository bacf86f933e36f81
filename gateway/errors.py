"""The service's errors. Each carries a stable machine-readable `code` and the HTTP status it maps to.

    ServiceError                 500 INTERNAL (a bug: nothing raises the base on purpose)
    ├── Unauthenticated          401 UNAUTHENTICATED + WWW-Authenticate (missing or unknown API key)
    ├── RateLimited              429 RATE_LIMITED + Retry-After (the key's request rate)
    │   └── TooManyStreams       429 TOO_MANY_STREAMS + Retry-After (the key's open event streams)
    ├── BodyTooLarge             413 BODY_TOO_LARGE (the front door's body cap)
    ├── BodyTimeout              408 REQUEST_TIMEOUT (the body did not arrive in time)
    ├── Forbidden                403 FORBIDDEN (the gateway's own second-line role check)
    ├── BadRequest               400 INVALID_ARGUMENT (the gateway's own input validation)
    │   ├── UnknownHolder        422 UNKNOWN_HOLDER (no such identity to open an account for: members join
    │   │                        at runtime, so a well-formed name may name nobody yet)
    │   ├── InvalidCsr           400 INVALID_CSR (not a P-256 PKCS#10 request for the member named)
    │   ├── InvalidSignature     400 INVALID_SIGNATURE (an offline signature that does not verify)
    │   ├── SigningMode          422 SIGNING_MODE (`Signing: offline` from a member whose key the gateway
    │   │                        holds, or a member with its own key writing without it)
    │   └── IdempotencyKeyReused 422 IDEMPOTENCY_KEY_REUSED (same key, different request)
    ├── InvalidMessage           400 INVALID_MESSAGE (an ISO 20022 message that breaks its schema: the path)
    ├── NoBooks                  404 NO_BOOKS (this org's gateway keeps no books)
    ├── MemberExists             409 MEMBER_EXISTS (a member of that name is enrolled already)
    ├── TopologyIdentity         409 TOPOLOGY_IDENTITY (the topology's own identities are not revoked here)
    ├── UnknownMember            404 UNKNOWN_MEMBER (no such member of this org)
    ├── UnknownApiKey            404 UNKNOWN_API_KEY (the member has no key with that id)
    ├── UnknownSigning           404 UNKNOWN_SIGNING (no offline signing of that id waiting for the caller)
    ├── UnknownTransaction       404 UNKNOWN_TRANSACTION (no committed transaction with that id, or not the
    │                            caller's to see: not yours = not there)
    ├── ChaincodeRejected        the contract refused: its code mapped by CHAINCODE_STATUS
    ├── RetryableConflict        409 CONFLICT_RETRIES_EXHAUSTED (MVCC conflicts outlasted the retries)
    │   └── EndorsersDisagree    the peers' endorsements differ (one is behind): retried; when that outlasts
    │                            the retries, LedgerBehind
    ├── TransactionInvalid       500 TX_INVALID (committed invalid for a reason a retry cannot fix)
    ├── LedgerError              502 LEDGER_ERROR (the peer answered with an unexpected error)
    ├── LedgerUnavailable        503 LEDGER_UNAVAILABLE + Retry-After (peers or orderers unreachable)
    │   ├── Overloaded           503 OVERLOADED + Retry-After (no write capacity left: shed at the front door)
    │   └── LedgerBehind         503 LEDGER_BEHIND + Retry-After (this org's peer has not committed the block a
    │                            request's `Min-Block` names, within the wait; or the orgs' peers disagreed on
    │                            every endorsement of a write)
    └── CommitUnknown            504 COMMIT_STATUS_UNKNOWN (submitted; outcome not known yet — retry with
                                 the same Idempotency-Key)

Fabric client errors are translated into these in exactly one place: `gateway.fabric_ledger`. The HTTP
API answers each as problem+json with `headers()` (`gateway.api.problems.problem_for`), and declares, per
route, which of these it can answer (`gateway.api.problems.problem_responses`).
"""

from __future__ import annotations

# One table from the chaincode's stable codes to HTTP statuses.
CHAINCODE_STATUS: dict[str, int] = {
    "INVALID_ARGUMENT": 400,
    "INVALID_AMOUNT": 400,
    "UNKNOWN_CURRENCY": 400,
    "UNKNOWN_FUNCTION": 400,
    "UNAUTHORIZED": 403,
    "UNKNOWN_ACCOUNT": 404,
    "UNKNOWN_REDEMPTION": 404,
    "UNKNOWN_ORDER": 404,
    "ACCOUNT_EXISTS": 409,
    "ORDER_EXISTS": 409,
    "DUPLICATE_REQUEST": 409,
    "DUPLICATE_RESERVE_REF": 409,
    "DDA_LINKED": 409,
    "UNKNOWN_DDA": 404,
    "UNKNOWN_MINT": 404,
    "INVALID_STATE": 409,
    "INSUFFICIENT_FUNDS": 422,
    "ACCOUNT_FROZEN": 422,
    "CURRENCY_EXISTS": 409,
    "UNKNOWN_QUOTE": 404,
    "QUOTE_EXPIRED": 409,
    "QUOTE_EXHAUSTED": 409,
}


class ServiceError(Exception):
    status = 500
    code = "INTERNAL"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def headers(self) -> dict[str, str]:
        """HTTP headers that come with this error's answer."""
        return {}


class Unauthenticated(ServiceError):
    status = 401
    code = "UNAUTHENTICATED"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}  # RFC 9110: a 401 names the scheme to use


class RateLimited(ServiceError):
    status = 429
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyStreams(RateLimited):
    code = "TOO_MANY_STREAMS"


class BodyTooLarge(ServiceError):
    status = 413
    code = "BODY_TOO_LARGE"


class BodyTimeout(ServiceError):
    status = 408
    code = "REQUEST_TIMEOUT"


class Forbidden(ServiceError):
    status = 403
    code = "FORBIDDEN"


class BadRequest(ServiceError):
    status = 400
    code = "INVALID_ARGUMENT"


class InvalidMessage(ServiceError):
    """An ISO 20022 message that does not parse or breaks a rule of its schema; the detail starts with the
    path of the first error (`/Document/…`)."""

    status = 400
    code = "INVALID_MESSAGE"


class NoBooks(ServiceError):
    """This gateway keeps no books (only the bank's org runs a books connector)."""

    status = 404
    code = "NO_BOOKS"


class UnknownHolder(BadRequest):
    status = 422
    code = "UNKNOWN_HOLDER"


class InvalidCsr(BadRequest):
    code = "INVALID_CSR"


class InvalidSignature(BadRequest):
    code = "INVALID_SIGNATURE"


class SigningMode(BadRequest):
    status = 422
    code = "SIGNING_MODE"


class UnknownSigning(ServiceError):
    status = 404
    code = "UNKNOWN_SIGNING"


class MemberExists(ServiceError):
    status = 409
    code = "MEMBER_EXISTS"


class TopologyIdentity(ServiceError):
    status = 409
    code = "TOPOLOGY_IDENTITY"


class UnknownMember(ServiceError):
    status = 404
    code = "UNKNOWN_MEMBER"


class UnknownApiKey(ServiceError):
    status = 404
    code = "UNKNOWN_API_KEY"


class IdempotencyKeyReused(BadRequest):
    status = 422
    code = "IDEMPOTENCY_KEY_REUSED"


class UnknownTransaction(ServiceError):
    status = 404
    code = "UNKNOWN_TRANSACTION"


class ChaincodeRejected(ServiceError):
    """The contract answered with an error; `code` is its stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, status=CHAINCODE_STATUS.get(code, 400))


class RetryableConflict(ServiceError):
    """An MVCC / phantom-read conflict or endorser mismatch: the service retries these itself."""

    status = 409
    code = "CONFLICT_RETRIES_EXHAUSTED"


class EndorsersDisagree(RetryableConflict):
    """The organisations' peers returned different results for one proposal: one is a block or more behind
    the others. Retried like a conflict; if it outlasts the retries (a fault keeps a peer behind: the orderers
    that could give it the block are down), the answer is 503 `LEDGER_BEHIND`, not a conflict of the caller's."""


class TransactionInvalid(ServiceError):
    status = 500
    code = "TX_INVALID"


class LedgerError(ServiceError):
    status = 502
    code = "LEDGER_ERROR"


class LedgerUnavailable(ServiceError):
    status = 503
    code = "LEDGER_UNAVAILABLE"
    retry_after = 2

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Overloaded(LedgerUnavailable):
    code = "OVERLOADED"
    retry_after = 1


class LedgerBehind(LedgerUnavailable):
    code = "LEDGER_BEHIND"
    retry_after = 1


class CommitUnknown(ServiceError):
    status = 504
    code = "COMMIT_STATUS_UNKNOWN"
