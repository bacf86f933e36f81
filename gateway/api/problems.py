"""Errors on the wire: RFC 9457 problem+json bodies, and the one place that declares them in OpenAPI.

A route names what it can fail with — service error classes (`gateway.errors`) and the chaincode codes
its transaction can answer — and `problem_responses` turns that into its `responses=`: one entry per HTTP
status, whose schema narrows `status` to that status and `code` to exactly the codes it can carry.
The common sets are below (`READ`, `WRITE`); a route adds what only it can answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from chaincode.errors import ErrorCode
from gateway.errors import (
    CHAINCODE_STATUS,
    BadRequest,
    BodyTimeout,
    BodyTooLarge,
    CommitUnknown,
    Forbidden,
    IdempotencyKeyReused,
    LedgerBehind,
    LedgerError,
    LedgerUnavailable,
    Overloaded,
    RateLimited,
    RetryableConflict,
    ServiceError,
    TransactionInvalid,
    Unauthenticated,
)

PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

# One way a route can fail: a service error class (fixed status and code) or a chaincode code.
Failure = type[ServiceError] | ErrorCode


class Problem(BaseModel):
    """RFC 9457 problem details, with the stable machine-readable `code` clients switch on."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="always `about:blank`: `code` says what happened", examples=["about:blank"])
    title: str = Field(description="the code again, for readers that show only the title")
    status: int = Field(ge=400, le=599)
    code: str = Field(pattern="^[A-Z][A-Z_]*$", examples=["INSUFFICIENT_FUNDS"])
    detail: str = Field(description="for people; may change, never parse it")


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(type="about:blank", title=code, status=status, code=code, detail=detail)
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM, headers=headers)


def problem_for(exc: ServiceError) -> JSONResponse:
    return problem(exc.status, exc.code, exc.message, exc.headers() or None)


_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
# The headers that come with a status whatever the route (`ServiceError.headers`).
_STATUS_HEADERS: dict[int, dict[str, Any]] = {
    Unauthenticated.status: {
        "WWW-Authenticate": {"description": "the scheme to use", "required": True, "schema": {"const": "Bearer"}}
    },
    RateLimited.status: _RETRY_AFTER,
    LedgerUnavailable.status: _RETRY_AFTER,
}


def _status_and_code(failure: Failure) -> tuple[int, str]:
    if isinstance(failure, ErrorCode):
        return CHAINCODE_STATUS[failure], failure.value
    return failure.status, failure.code


def problem_responses(*failure_sets: Iterable[Failure]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` for every way a route can fail, grouped by HTTP status."""
    codes: dict[int, set[str]] = {}
    for failures in failure_sets:
        for failure in failures:
            status, code = _status_and_code(failure)
            codes.setdefault(status, set()).add(code)
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted(codes):
        schema = {
            "allOf": [{"$ref": PROBLEM_REF}],
            "properties": {"status": {"const": status}, "code": {"enum": sorted(codes[status])}},
        }
        response: dict[str, Any] = {
            "description": f"{HTTPStatus(status).phrase}: {', '.join(sorted(codes[status]))}",
            "content": {PROBLEM: {"schema": schema}},
        }
        if status in _STATUS_HEADERS:
            response["headers"] = _STATUS_HEADERS[status]
        out[status] = response
    return out


# Every /v1 route passes the front door (`gateway.api.front_door`): the key, its rate, the body's size.
FRONT_DOOR: tuple[Failure, ...] = (Unauthenticated, RateLimited, BodyTooLarge)
# Every authenticated route: the front door, and the peer being there.
# A malformed `Min-Block` header is a 400 (`gateway.api.deps.min_block`).
AUTHENTICATED: tuple[Failure, ...] = (*FRONT_DOOR, BadRequest, LedgerUnavailable, LedgerBehind, LedgerError)
# A route with parameters or a body: they do not match the schema (or the contract's own parse of them).
INPUT: tuple[Failure, ...] = (BadRequest, ErrorCode.INVALID_ARGUMENT)
# A read evaluated on the org's peer, under the contract's read rules.
READ: tuple[Failure, ...] = (*AUTHENTICATED, ErrorCode.UNAUTHORIZED)
# A write: the gateway's role check, exactly-once bookkeeping, and the submit/commit outcomes.
WRITE: tuple[Failure, ...] = (
    *READ,
    *INPUT,
    BodyTimeout,
    Overloaded,
    Forbidden,
    IdempotencyKeyReused,
    RetryableConflict,
    TransactionInvalid,
    CommitUnknown,
    ErrorCode.DUPLICATE_REQUEST,
)
# A write that moves money: the amount and currency, parsed by the chaincode's domain rules.
MONEY: tuple[Failure, ...] = (ErrorCode.INVALID_AMOUNT, ErrorCode.UNKNOWN_CURRENCY)
