"""/v1/redemptions: a holder redeems (burns) tokens; the bank settles with a payout or rejects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_decimal, to_minor
from gateway.api.problems import INPUT, MONEY, READ, WRITE, problem_responses
from gateway.api.results import read, written
from gateway.api.schemas import (
    TX_ID_PATTERN,
    RedemptionCreate,
    RedemptionPublic,
    RedemptionReject,
    RedemptionRejected,
    RedemptionRequested,
    RedemptionSettle,
    RedemptionSettled,
    default_issuer,
)

router = APIRouter(prefix="/v1/redemptions", tags=["redemptions"])

# A redemption's id is the id of the transaction that requested it.
RedemptionId = Annotated[str, Path(pattern=TX_ID_PATTERN)]
_CLOSE = problem_responses(WRITE, (ErrorCode.UNKNOWN_REDEMPTION, ErrorCode.INVALID_STATE))


@router.post(
    "",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(
        WRITE, MONEY, (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.INSUFFICIENT_FUNDS)
    ),
)
def redeem(
    body: RedemptionCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> RedemptionRequested:
    minor = to_minor(c, body.amount, body.currency)

    payout = None if body.payout is None else body.payout.model_dump(exclude_none=True)

    def present(result: dict[str, Any], _: object) -> dict[str, Any]:
        echo = body.model_dump(exclude={"payout", *default_issuer(body.issuer)})
        return {**echo, "redemption_id": result["redemption_id"], "redemption_status": "pending"}

    def build(rid: str) -> protocol.Redeem:
        return protocol.Redeem(body.account, body.currency, minor, rid, payout, body.issuer)

    return RedemptionRequested.model_validate(written(c.writes.write(caller, key, build, present), response))


@router.get("/{redemption_id}", responses=problem_responses(READ, INPUT, (ErrorCode.UNKNOWN_REDEMPTION,)))
def get_redemption(redemption_id: RedemptionId, caller: CallerDep, c: ComponentsDep) -> RedemptionPublic:
    raw = read(c, caller, protocol.GetRedemption(redemption_id))
    return RedemptionPublic.model_validate({**raw, "amount": to_decimal(c, raw["amount"], raw["currency"])})


@router.post(
    "/{redemption_id}/settle",
    status_code=201,
    dependencies=[require_role(Role.ISSUER)],
    responses=_CLOSE,
)
def settle(
    redemption_id: RedemptionId,
    body: RedemptionSettle,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> RedemptionSettled:
    echo = {"redemption_id": redemption_id, "redemption_status": "settled", "payout_ref": body.payout_ref}
    return RedemptionSettled.model_validate(
        written(
            c.writes.write(
                caller,
                key,
                lambda rid: protocol.SettleRedemption(redemption_id, body.payout_ref, rid),
                lambda r, s: echo,
            ),
            response,
        )
    )


@router.post(
    "/{redemption_id}/reject",
    status_code=201,
    dependencies=[require_role(Role.ISSUER)],
    responses=_CLOSE,
)
def reject(
    redemption_id: RedemptionId,
    body: RedemptionReject,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> RedemptionRejected:
    echo = {"redemption_id": redemption_id, "redemption_status": "rejected", "reason": body.reason}
    return RedemptionRejected.model_validate(
        written(
            c.writes.write(
                caller, key, lambda rid: protocol.RejectRedemption(redemption_id, body.reason, rid), lambda r, s: echo
            ),
            response,
        )
    )
