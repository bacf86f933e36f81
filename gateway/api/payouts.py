"""/v1/payouts: one payer, up to 500 payees, one transaction and one Idempotency-Key
(`chaincode.contract.payouts`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_decimal, to_minor
from gateway.api.problems import MONEY, WRITE, problem_responses
from gateway.api.results import written
from gateway.api.schemas import PayoutCreate, PayoutSettled
from gateway.errors import ChaincodeRejected

router = APIRouter(tags=["payments"])


@router.post(
    "/v1/payouts",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(
        WRITE, MONEY, (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.INSUFFICIENT_FUNDS)
    ),
)
def payout(
    body: PayoutCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> PayoutSettled:
    """The payer's holder pays every line, or none: a refused line is named by its index (`lines[i]: …`)."""
    c.currencies.get(body.currency)
    lines = []
    for i, line in enumerate(body.lines):
        try:
            lines.append(protocol.PayoutLine(line.to, to_minor(c, line.amount, body.currency), line.reference))
        except ChaincodeRejected as exc:
            raise ChaincodeRejected(exc.code, f"lines[{i}]: {exc.message}") from exc
    total = sum(line.amount for line in lines)

    def present(r: dict[str, Any], _: object) -> dict[str, Any]:
        return {
            "from": body.from_,
            "currency": body.currency,
            "total": to_decimal(c, total, body.currency),
            "lines": len(lines),
        }

    def build(rid: str) -> protocol.Payout:
        return protocol.Payout(body.from_, body.currency, tuple(lines), rid)

    return PayoutSettled.model_validate(written(c.writes.write(caller, key, build, present), response))
