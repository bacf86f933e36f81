"""Escrow for marketplace orders: fund, record shipment and delivery, accept, release, refund, dispute,
resolve; get_order. The rules are `chaincode.domain.escrow`'s; this is their wiring.

Who may call what (the rules then decide whether the order's state allows it):

    fund_order                  the holder of buyer_account
    record_shipment, record_delivery, resolve_dispute     PlatformMSP operator
    accept_order, open_dispute  the holder of the order's buyer account
    release_order, refund_order anyone who transacts (issuer, compliance, operator, holder) and may see the
                                order; a refund by the seller's holder is the voluntary one, any other
                                caller's needs ship_by to have passed unshipped
    get_order                   every reader who may see the order (buyer, seller, their operator, the
                                bank's roles, the auditor)

An order is seen through its two accounts: whoever may see either may see the order (`access`); anyone
else is told it does not exist. Time is the proposal's timestamp in whole seconds (`Books.seconds`).
The escrow itself is no account: the held amount lives in the order record, so get_supply sums it as
`escrowed` and `outstanding = balances_total + pending_redemptions + escrowed`.
"""

from __future__ import annotations

from chaincode import access, domain
from chaincode.access import Role
from chaincode.contract._tx import Handlers, Tx, done, entry, leg, visible_account
from chaincode.domain.escrow import Order
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import (
    AcceptOrder,
    Event,
    EventType,
    FundOrder,
    GetOrder,
    Leg,
    OpenDispute,
    OrderView,
    RecordDelivery,
    RecordShipment,
    RefundOrder,
    ReleaseOrder,
    ResolveDispute,
)
from chaincode.state import order_to_state, unknown_order

# Roles that may move an order along (the auditor only reads).
_ACTORS = (Role.ISSUER, Role.COMPLIANCE, Role.OPERATOR, Role.HOLDER)


async def _visible_order(tx: Tx, order_id: str) -> tuple[Order, domain.Account, domain.Account]:
    """The order and its buyer and seller accounts, if the caller may see it. Raises UNKNOWN_ORDER alike
    when it does not exist and when it is not the caller's to see."""
    order = await tx.books.find_order(order_id)
    if order is None:
        raise unknown_order(order_id)
    buyer = await tx.books.account(order.buyer_account)
    seller = await tx.books.account(order.seller_account)
    if not (access.may_see_account(tx.caller, buyer) or access.may_see_account(tx.caller, seller)):
        raise unknown_order(order_id)
    return order, buyer, seller


async def _pay(tx: Tx, order: Order, account: domain.Account, minor: int, kind: EventType) -> None:
    """Credit `minor` from the order's escrow to `account` (nothing when zero), with its history entry."""
    if minor == 0:
        return
    amount = await tx.books.amount(order.currency, minor)
    await tx.books.credit(account.id, amount)
    await tx.books.add_history(account.id, entry(tx, kind, amount, +1, None, order.id))


def _event(
    tx: Tx, kind: EventType, request_id: str, order: Order, amount: int | None, legs: tuple[Leg, ...], **refs: str
) -> Event:
    return Event(
        kind,
        tx.books.tx_id,
        request_id,
        (order.buyer_account, order.seller_account),
        order.currency,
        amount,
        {"order_id": order.id, "status": str(order.status), **refs},
        legs,
    )


# --- writes ---------------------------------------------------------------------------------------------


async def fund_order(tx: Tx, args: FundOrder) -> dict[str, object]:
    """The holder of buyer_account. Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT, DUPLICATE_REQUEST,
    ORDER_EXISTS, ACCOUNT_FROZEN: a frozen buyer, INSUFFICIENT_FUNDS, INVALID_AMOUNT: milestones that do
    not sum to the amount, INVALID_ARGUMENT: ship_by not in the future, buyer = seller)."""
    access.require_role(tx.caller, Role.HOLDER)
    buyer = await visible_account(tx, args.buyer_account)
    access.require_holder(tx.caller, buyer)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    if await tx.books.find_order(args.order_id) is not None:
        raise ContractError(ErrorCode.ORDER_EXISTS, f"order {args.order_id} already exists")
    seller = await tx.books.account(args.seller_account)
    order = domain.escrow.fund(
        args.order_id,
        buyer.id,
        seller.id,
        args.currency,
        args.amount,
        args.plan(),
        args.ship_by,
        args.inspection_seconds,
        tx.books.seconds,
    )
    buyer.check_can_send()
    amount = await tx.books.amount(args.currency, args.amount)
    await tx.books.debit(buyer.id, amount)
    await tx.books.put_order(order)
    await tx.books.add_history(buyer.id, entry(tx, EventType.ESCROW_FUNDED, amount, -1, seller.id, order.id))
    legs = (leg(buyer, -amount.minor), leg(seller, None))
    event = _event(tx, EventType.ESCROW_FUNDED, args.request_id, order, amount.minor, legs)
    return await done(tx, args.request_id, event)


async def record_shipment(tx: Tx, args: RecordShipment) -> dict[str, object]:
    """PlatformMSP operator; shipment milestones go to the seller. Raises ContractError(UNAUTHORIZED,
    UNKNOWN_ORDER, DUPLICATE_REQUEST, INVALID_STATE: not funded, or after ship_by; ACCOUNT_FROZEN: a
    shipment milestone is due to a frozen seller — nothing is recorded, retry once unfrozen)."""
    access.require_role(tx.caller, Role.OPERATOR)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    shipped, due = order.ship(tx.books.seconds, args.carrier, args.tracking_ref)
    if due:
        seller.check_can_receive()
    await _pay(tx, shipped, seller, due, EventType.ESCROW_RELEASED)
    await tx.books.put_order(shipped)
    legs = (leg(buyer, None), leg(seller, due or None))
    event = _event(
        tx, EventType.SHIPMENT_RECORDED, args.request_id, shipped, due, legs, carrier=args.carrier,
        tracking_ref=args.tracking_ref,
    )  # fmt: skip
    return await done(tx, args.request_id, event)


async def record_delivery(tx: Tx, args: RecordDelivery) -> dict[str, object]:
    """PlatformMSP operator; the inspection period starts. Raises ContractError(UNAUTHORIZED, UNKNOWN_ORDER,
    DUPLICATE_REQUEST, INVALID_STATE: not shipped)."""
    access.require_role(tx.caller, Role.OPERATOR)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    delivered = order.deliver(tx.books.seconds)
    await tx.books.put_order(delivered)
    legs = (leg(buyer, None), leg(seller, None))
    event = _event(tx, EventType.DELIVERY_RECORDED, args.request_id, delivered, None, legs)
    return await done(tx, args.request_id, event)


async def accept_order(tx: Tx, args: AcceptOrder) -> dict[str, object]:
    """The buyer's holder: what is held goes to the seller. Raises ContractError(UNAUTHORIZED, UNKNOWN_ORDER,
    DUPLICATE_REQUEST, INVALID_STATE, ACCOUNT_FROZEN: a frozen seller, the escrow stays held)."""
    access.require_role(tx.caller, Role.HOLDER)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    access.require_holder(tx.caller, buyer)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    return await _release(tx, args.request_id, *order.accept(), buyer, seller)


async def release_order(tx: Tx, args: ReleaseOrder) -> dict[str, object]:
    """Anyone who transacts and may see the order, once inspection has passed after delivery with no
    dispute. Raises ContractError(UNAUTHORIZED, UNKNOWN_ORDER, DUPLICATE_REQUEST, INVALID_STATE,
    ACCOUNT_FROZEN: a frozen seller, the escrow stays held)."""
    access.require_role(tx.caller, *_ACTORS)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    return await _release(tx, args.request_id, *order.release(tx.books.seconds), buyer, seller)


async def _release(
    tx: Tx, request_id: str, released: Order, due: int, buyer: domain.Account, seller: domain.Account
) -> dict[str, object]:
    seller.check_can_receive()
    await _pay(tx, released, seller, due, EventType.ESCROW_RELEASED)
    await tx.books.put_order(released)
    legs = (leg(buyer, None), leg(seller, due))
    return await done(tx, request_id, _event(tx, EventType.ESCROW_RELEASED, request_id, released, due, legs))


async def refund_order(tx: Tx, args: RefundOrder) -> dict[str, object]:
    """The seller's holder at any time before release; anyone else who transacts and may see the order once
    ship_by passed unshipped. The buyer is credited even when frozen (it restores what it had; the freeze
    still stops it spending). Raises ContractError(UNAUTHORIZED, UNKNOWN_ORDER, DUPLICATE_REQUEST,
    INVALID_STATE)."""
    access.require_role(tx.caller, *_ACTORS)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    if access.is_holder(tx.caller, seller):
        refunded, due = order.refund_by_seller()
    else:
        refunded, due = order.refund_expired(tx.books.seconds)
    await _pay(tx, refunded, buyer, due, EventType.ESCROW_REFUNDED)
    await tx.books.put_order(refunded)
    legs = (leg(buyer, due), leg(seller, None))
    event = _event(tx, EventType.ESCROW_REFUNDED, args.request_id, refunded, due, legs)
    return await done(tx, args.request_id, event)


async def open_dispute(tx: Tx, args: OpenDispute) -> dict[str, object]:
    """The buyer's holder, before the inspection period ends. Raises ContractError(UNAUTHORIZED,
    UNKNOWN_ORDER, DUPLICATE_REQUEST, INVALID_STATE)."""
    access.require_role(tx.caller, Role.HOLDER)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    access.require_holder(tx.caller, buyer)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    disputed = order.open_dispute(tx.books.seconds, args.reason)
    await tx.books.put_order(disputed)
    legs = (leg(buyer, None), leg(seller, None))
    event = _event(tx, EventType.DISPUTE_OPENED, args.request_id, disputed, disputed.held, legs, reason=args.reason)
    return await done(tx, args.request_id, event)


async def resolve_dispute(tx: Tx, args: ResolveDispute) -> dict[str, object]:
    """PlatformMSP operator splits what is held. Raises ContractError(UNAUTHORIZED, UNKNOWN_ORDER,
    DUPLICATE_REQUEST, INVALID_STATE: no dispute, INVALID_AMOUNT: the split is not what is held,
    ACCOUNT_FROZEN: a share for a frozen seller)."""
    access.require_role(tx.caller, Role.OPERATOR)
    order, buyer, seller = await _visible_order(tx, args.order_id)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    held = order.held
    resolved = order.resolve(args.to_seller, args.to_buyer)
    if args.to_seller:
        seller.check_can_receive()
    await _pay(tx, resolved, seller, args.to_seller, EventType.ESCROW_RELEASED)
    await _pay(tx, resolved, buyer, args.to_buyer, EventType.ESCROW_REFUNDED)
    await tx.books.put_order(resolved)
    legs = (leg(buyer, args.to_buyer), leg(seller, args.to_seller))
    event = _event(tx, EventType.DISPUTE_RESOLVED, args.request_id, resolved, held, legs)
    return await done(tx, args.request_id, event)


# --- reads ----------------------------------------------------------------------------------------------


async def get_order(tx: Tx, args: GetOrder) -> OrderView:
    """Whoever may see the buyer's or the seller's account. Raises ContractError(UNAUTHORIZED: no reader
    role; UNKNOWN_ORDER: none, or not the caller's to see)."""
    access.require_reader(tx.caller)
    order, _, _ = await _visible_order(tx, args.order_id)
    raw = order_to_state(order)
    return {
        "id": raw["id"],
        "buyer_account": raw["buyer_account"],
        "seller_account": raw["seller_account"],
        "currency": raw["currency"],
        "amount": raw["amount"],
        "held": raw["held"],
        "released": raw["released"],
        "refunded": raw["refunded"],
        "status": raw["status"],
        "milestones": raw["milestones"],
        "ship_by": raw["ship_by"],
        "inspection_seconds": raw["inspection_seconds"],
        "funded_at": raw["funded_at"],
        "shipment": raw["shipment"],
        "delivered_at": raw["delivered_at"],
        "dispute": raw["dispute"],
    }


HANDLERS: Handlers = {
    FundOrder: fund_order,
    RecordShipment: record_shipment,
    RecordDelivery: record_delivery,
    AcceptOrder: accept_order,
    ReleaseOrder: release_order,
    RefundOrder: refund_order,
    OpenDispute: open_dispute,
    ResolveDispute: resolve_dispute,
    GetOrder: get_order,
}
