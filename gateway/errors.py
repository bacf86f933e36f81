"""The service's errors. Each carries a stable machine-readable `code` and the HTTP status it maps to.

    ServiceError
    ├── Unauthenticated        401 (missing or unknown API key)
    ├── Forbidden              403 (the gateway's own second-line role check)
    ├── BadRequest             400 / 422 (the gateway's own input validation, idempotency-key reuse)
    ├── ChaincodeRejected      the contract refused: its code mapped by CHAINCODE_STATUS
    ├── LedgerUnavailable      503 + Retry-After (peers or orderers unreachable)
    └── CommitUnknown          504 (submitted; outcome not known yet — retry with the same Idempotency-Key)

Fabric client errors are translated into these in exactly one place: `gateway.fabric_ledger`.
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
    "ACCOUNT_EXISTS": 409,
    "DUPLICATE_REQUEST": 409,
    "DUPLICATE_RESERVE_REF": 409,
    "INVALID_STATE": 409,
    "INSUFFICIENT_FUNDS": 422,
    "ACCOUNT_FROZEN": 422,
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


class Unauthenticated(ServiceError):
    status = 401
    code = "UNAUTHENTICATED"


class Forbidden(ServiceError):
    status = 403
    code = "FORBIDDEN"


class BadRequest(ServiceError):
    status = 400
    code = "INVALID_ARGUMENT"


class ChaincodeRejected(ServiceError):
    """The contract answered with an error; `code` is its stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, status=CHAINCODE_STATUS.get(code, 400))


class LedgerUnavailable(ServiceError):
    status = 503
    code = "LEDGER_UNAVAILABLE"
    retry_after = 2


class CommitUnknown(ServiceError):
    status = 504
    code = "COMMIT_STATUS_UNKNOWN"


class RetryableConflict(ServiceError):
    """An MVCC / phantom-read conflict or endorser mismatch: the service retries these itself."""

    status = 409
    code = "CONFLICT_RETRIES_EXHAUSTED"
