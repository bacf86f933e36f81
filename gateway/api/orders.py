"""/v1/orders: trade-assured payments. A buyer funds an order's escrow; the operator records shipment and
delivery; the buyer accepts or disputes; release and refund are open to anyone with a key, and the
contract's rules (`chaincode.domain.escrow`) decide. Every write answers with its receipt and the order as
it now is; whoever may not see an order is told it does not exist (404 UNKNOWN_ORDER).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, Components, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_decimal, to_minor
from gateway.api.problems import INPUT, MONEY, READ, WRITE, problem_responses
from gateway.api.results import read, written
from gateway.api.schemas import (
    ORDER_ID,
    DisputeCreate,
    DisputeResolve,
    OrderCreate,
    OrderPublic,
    OrderWritten,
    ShipmentCreate,
)
from gateway.directory import Caller

router = APIRouter(prefix="/v1/orders", tags=["orders"])

OrderId = Annotated[str, Path(pattern=ORDER_ID)]
_ACTORS = (Role.ISSUER, Role.COMPLIANCE, Role.OPERATOR, Role.HOLDER)
_STEP = (ErrorCode.UNKNOWN_ORDER, ErrorCode.INVALID_STATE)
# A step that pays the seller: a frozen seller keeps the money in escrow.
_PAYS = (*_STEP, ErrorCode.ACCOUNT_FROZEN)


def order_public(c: Components, raw: dict[str, Any]) -> OrderPublic:
    cur = raw["currency"]

    def money(minor: int | None) -> str | None:
        return None if minor is None else to_decimal(c, int(minor), cur)

    dispute = raw["dispute"]
    return OrderPublic.model_validate(
        {
            **raw,
            **{f: money(raw[f]) for f in ("amount", "held", "released", "refunded")},
            "milestones": [{**m, "amount": money(m["amount"])} for m in raw["milestones"]],
            "dispute": None
            if dispute is None
            else {**dispute, "to_seller": money(dispute["to_seller"]), "to_buyer": money(dispute["to_buyer"])},
        }
    )


def _step(
    c: Components, caller: Caller, key: str | None, response: Response, order_id: str, build: Callable[[str], Any]
) -> OrderWritten:
    def present(result: dict[str, Any], _: object) -> dict[str, Any]:
        moved = result.get("amount")
        return {
            "event": result["type"],
            "moved": None if moved is None else to_decimal(c, int(moved), result["currency"]),
        }

    body = written(c.writes.write(caller, key, build, present), response)
    # The order as it is now (a replay shows its current state, not the first answer's).
    order = order_public(c, read(c, caller, protocol.GetOrder(order_id)))
    return OrderWritten.model_validate({**body, "order": order})


def _share(c: Components, text: str, currency: str) -> int:
    """A resolution share: zero, or an amount as the domain parses it."""
    return 0 if set(text) <= {"0", "."} else to_minor(c, text, currency)


@router.post(
    "",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(
        WRITE,
        MONEY,
        (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.INSUFFICIENT_FUNDS, ErrorCode.ORDER_EXISTS),
    ),
)
def fund(
    body: OrderCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> OrderWritten:
    """The buyer's holder funds the order's escrow from buyer_account."""
    minor = to_minor(c, body.amount, body.currency)
    milestones = (
        None
        if body.milestones is None
        else tuple(protocol.MilestoneArg(str(m.on), to_minor(c, m.amount, body.currency)) for m in body.milestones)
    )

    def build(rid: str) -> protocol.FundOrder:
        return protocol.FundOrder(
            body.id,
            body.buyer_account,
            body.seller_account,
            body.currency,
            minor,
            body.ship_by,
            body.inspection_seconds,
            milestones,
            rid,
        )

    return _step(c, caller, key, response, body.id, build)


@router.get("/{order_id}", responses=problem_responses(READ, INPUT, (ErrorCode.UNKNOWN_ORDER,)))
def get_order(order_id: OrderId, caller: CallerDep, c: ComponentsDep) -> OrderPublic:
    """The buyer, the seller, their operator, the bank's roles and the auditor."""
    return order_public(c, read(c, caller, protocol.GetOrder(order_id)))


@router.post(
    "/{order_id}/shipment",
    status_code=201,
    dependencies=[require_role(Role.OPERATOR)],
    responses=problem_responses(WRITE, _PAYS),
)
def shipment(
    order_id: OrderId,
    body: ShipmentCreate,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> OrderWritten:
    """The operator records shipment (by ship_by); shipment milestones go to the seller."""
    return _step(
        c,
        caller,
        key,
        response,
        order_id,
        lambda rid: protocol.RecordShipment(order_id, body.carrier, body.tracking_ref, rid),
    )


@router.post(
    "/{order_id}/delivery",
    status_code=201,
    dependencies=[require_role(Role.OPERATOR)],
    responses=problem_responses(WRITE, _STEP),
)
def delivery(
    order_id: OrderId, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> OrderWritten:
    """The operator records delivery; the inspection period starts."""
    return _step(c, caller, key, response, order_id, lambda rid: protocol.RecordDelivery(order_id, rid))


@router.post(
    "/{order_id}/accept",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(WRITE, _PAYS),
)
def accept(
    order_id: OrderId, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> OrderWritten:
    """The buyer accepts: what is held goes to the seller."""
    return _step(c, caller, key, response, order_id, lambda rid: protocol.AcceptOrder(order_id, rid))


@router.post(
    "/{order_id}/release",
    status_code=201,
    dependencies=[require_role(*_ACTORS)],
    responses=problem_responses(WRITE, _PAYS),
)
def release(
    order_id: OrderId, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> OrderWritten:
    """Anyone, once the inspection period after delivery has passed with no dispute."""
    return _step(c, caller, key, response, order_id, lambda rid: protocol.ReleaseOrder(order_id, rid))


@router.post(
    "/{order_id}/refund",
    status_code=201,
    dependencies=[require_role(*_ACTORS)],
    responses=problem_responses(WRITE, _STEP),
)
def refund(
    order_id: OrderId, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> OrderWritten:
    """The seller's holder before release; anyone once ship_by has passed unshipped."""
    return _step(c, caller, key, response, order_id, lambda rid: protocol.RefundOrder(order_id, rid))


@router.post(
    "/{order_id}/dispute",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(WRITE, _STEP),
)
def dispute(
    order_id: OrderId,
    body: DisputeCreate,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> OrderWritten:
    """The buyer, before the inspection period ends: the escrow is held until the operator resolves."""
    return _step(c, caller, key, response, order_id, lambda rid: protocol.OpenDispute(order_id, body.reason, rid))


@router.post(
    "/{order_id}/resolve",
    status_code=201,
    dependencies=[require_role(Role.OPERATOR)],
    responses=problem_responses(WRITE, MONEY, _PAYS),
)
def resolve(
    order_id: OrderId,
    body: DisputeResolve,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> OrderWritten:
    """The operator splits what a disputed order holds; the shares must sum to it."""
    currency = read(c, caller, protocol.GetOrder(order_id))["currency"]
    to_seller, to_buyer = _share(c, body.to_seller, currency), _share(c, body.to_buyer, currency)
    return _step(
        c, caller, key, response, order_id, lambda rid: protocol.ResolveDispute(order_id, to_seller, to_buyer, rid)
    )
