"""/v1/redemptions: a holder redeems (burns) tokens; the bank settles with a payout or rejects."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from chaincode import protocol
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_decimal, to_minor
from gateway.api.results import read, written
from gateway.api.schemas import RedemptionCreate, RedemptionReject, RedemptionSettle

router = APIRouter(prefix="/v1/redemptions", tags=["redemptions"])


@router.post("", status_code=201, dependencies=[require_role("holder")])
def redeem(
    body: RedemptionCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    minor = to_minor(body.amount, body.currency)

    def present(result: dict[str, Any], _: object) -> dict[str, Any]:
        return {**body.model_dump(), "redemption_id": result["redemption_id"], "redemption_status": "pending"}

    return written(
        c.writes.write(caller, key, lambda rid: protocol.Redeem(body.account, body.currency, minor, rid), present),
        response,
    )


@router.get("/{redemption_id}")
def get_redemption(redemption_id: str, caller: CallerDep, c: ComponentsDep) -> dict[str, Any]:
    raw = read(c, caller, protocol.GetRedemption(redemption_id))
    return {**raw, "amount": to_decimal(raw["amount"], raw["currency"])}


@router.post("/{redemption_id}/settle", status_code=201, dependencies=[require_role("issuer")])
def settle(
    redemption_id: str,
    body: RedemptionSettle,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    echo = {"redemption_id": redemption_id, "redemption_status": "settled", "payout_ref": body.payout_ref}
    return written(
        c.writes.write(
            caller, key, lambda rid: protocol.SettleRedemption(redemption_id, body.payout_ref, rid), lambda r, s: echo
        ),
        response,
    )


@router.post("/{redemption_id}/reject", status_code=201, dependencies=[require_role("issuer")])
def reject(
    redemption_id: str,
    body: RedemptionReject,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    echo = {"redemption_id": redemption_id, "redemption_status": "rejected", "reason": body.reason}
    return written(
        c.writes.write(
            caller, key, lambda rid: protocol.RejectRedemption(redemption_id, body.reason, rid), lambda r, s: echo
        ),
        response,
    )
