"""Escrow for marketplace orders (trade assurance): the rules of an order's life, pure.

A buyer funds an order; the amount leaves its balance and is held, spendable by nobody, in milestones
(each released on shipment or on acceptance) that sum to the amount exactly. Then:

    funded ──ship──▶ shipped ──deliver──▶ delivered ──accept, or inspection over──▶ released
      │                 │                    │
      │ ship_by passed  └──────dispute───────┴──▶ disputed ──resolve──▶ resolved
      ▼ (anyone)
    refunded ◀── the seller, any time before release (disputed included)

The buyer may also accept before delivery (it got what it wanted), and dispute from funding until the
inspection period after delivery ends. `now` is the transaction's time in whole seconds (the proposal's
timestamp, never a clock here); every transition returns the new order and the minor units it moves, and
raises ContractError(INVALID_STATE or INVALID_AMOUNT) without changing anything when it is not allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from chaincode.domain.money import MAX_AMOUNT
from chaincode.errors import ContractError, ErrorCode

ORDER_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_MILESTONES = 10
# A week is a long inspection; a year is the ceiling (both deadlines are whole seconds).
MAX_INSPECTION_SECONDS = 365 * 24 * 3600


class OrderStatus(StrEnum):
    FUNDED = "funded"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    DISPUTED = "disputed"
    RELEASED = "released"
    REFUNDED = "refunded"
    RESOLVED = "resolved"


CLOSED = frozenset({OrderStatus.RELEASED, OrderStatus.REFUNDED, OrderStatus.RESOLVED})


class Trigger(StrEnum):
    """What releases a milestone to the seller."""

    SHIPMENT = "shipment"
    ACCEPTANCE = "acceptance"  # the buyer's acceptance, or the end of inspection with no dispute


@dataclass(frozen=True, slots=True)
class Milestone:
    on: Trigger
    amount: int
    released: bool = False


@dataclass(frozen=True, slots=True)
class Shipment:
    carrier: str
    tracking_ref: str
    shipped_at: int


@dataclass(frozen=True, slots=True)
class Dispute:
    reason: str
    opened_at: int
    to_seller: int | None = None
    to_buyer: int | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    buyer_account: str
    seller_account: str
    currency: str
    amount: int
    milestones: tuple[Milestone, ...]
    ship_by: int
    inspection_seconds: int
    funded_at: int
    status: OrderStatus = OrderStatus.FUNDED
    released: int = 0
    refunded: int = 0
    shipment: Shipment | None = None
    delivered_at: int | None = None
    dispute: Dispute | None = None

    @property
    def held(self) -> int:
        """What the escrow still holds: neither released to the seller nor refunded to the buyer."""
        return self.amount - self.released - self.refunded

    @property
    def inspection_ends(self) -> int | None:
        return None if self.delivered_at is None else self.delivered_at + self.inspection_seconds

    # --- transitions ------------------------------------------------------------------------------------

    def ship(self, now: int, carrier: str, tracking_ref: str) -> tuple[Order, int]:
        """Shipment recorded: the shipment milestones go to the seller (the amount returned). Refused after
        ship_by, when the buyer may already take its money back."""
        self._require(OrderStatus.FUNDED, action="record a shipment for")
        if now > self.ship_by:
            raise self._invalid(f"ship_by passed at {self.ship_by}; the order can only be refunded")
        due = sum(m.amount for m in self.milestones if m.on is Trigger.SHIPMENT and not m.released)
        milestones = tuple(replace(m, released=True) if m.on is Trigger.SHIPMENT else m for m in self.milestones)
        shipped = replace(
            self,
            status=OrderStatus.SHIPPED,
            shipment=Shipment(carrier, tracking_ref, now),
            milestones=milestones,
            released=self.released + due,
        )
        return shipped, due

    def deliver(self, now: int) -> Order:
        """Delivery recorded: the inspection period starts."""
        self._require(OrderStatus.SHIPPED, action="record a delivery for")
        return replace(self, status=OrderStatus.DELIVERED, delivered_at=now)

    def accept(self) -> tuple[Order, int]:
        """The buyer accepts (even before delivery): everything held goes to the seller."""
        self._require(OrderStatus.FUNDED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, action="accept")
        return self._release_all()

    def release(self, now: int) -> tuple[Order, int]:
        """Anyone, once the inspection period after delivery has passed with no dispute."""
        self._require(OrderStatus.DELIVERED, action="release")
        ends = self.inspection_ends
        assert ends is not None  # delivered orders have delivered_at
        if now < ends:
            raise self._invalid(f"its inspection period runs until {ends}; only the buyer may accept before")
        return self._release_all()

    def refund_expired(self, now: int) -> tuple[Order, int]:
        """Anyone, when it was not shipped by ship_by: everything held returns to the buyer."""
        self._require(OrderStatus.FUNDED, action="refund")
        if now <= self.ship_by:
            raise self._invalid(f"it may still ship until {self.ship_by}")
        return self._refund_all()

    def refund_by_seller(self) -> tuple[Order, int]:
        """The seller gives up the order at any time before release, in dispute too."""
        self._require(
            OrderStatus.FUNDED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.DISPUTED, action="refund"
        )
        return self._refund_all()

    def open_dispute(self, now: int, reason: str) -> Order:
        """The buyer, before the inspection period ends (before delivery, any time): the escrow is held."""
        self._require(OrderStatus.FUNDED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, action="dispute")
        ends = self.inspection_ends
        if ends is not None and now >= ends:
            raise self._invalid(f"its inspection period ended at {ends}")
        return replace(self, status=OrderStatus.DISPUTED, dispute=Dispute(reason, now))

    def resolve(self, to_seller: int, to_buyer: int) -> Order:
        """The operator splits what is held. Raises INVALID_AMOUNT unless the two sum to it exactly."""
        self._require(OrderStatus.DISPUTED, action="resolve")
        for name, value in (("to_seller", to_seller), ("to_buyer", to_buyer)):
            if type(value) is not int or value < 0:
                raise ContractError(ErrorCode.INVALID_AMOUNT, f"{name} must be a non-negative integer")
        if to_seller + to_buyer != self.held:
            raise ContractError(
                ErrorCode.INVALID_AMOUNT,
                f"to_seller + to_buyer = {to_seller + to_buyer} but order {self.id} holds {self.held}",
            )
        assert self.dispute is not None
        return replace(
            self,
            status=OrderStatus.RESOLVED,
            released=self.released + to_seller,
            refunded=self.refunded + to_buyer,
            dispute=replace(self.dispute, to_seller=to_seller, to_buyer=to_buyer),
        )

    # --- helpers ----------------------------------------------------------------------------------------

    def _release_all(self) -> tuple[Order, int]:
        due = self.held
        milestones = tuple(replace(m, released=True) for m in self.milestones)
        return replace(self, status=OrderStatus.RELEASED, milestones=milestones, released=self.released + due), due

    def _refund_all(self) -> tuple[Order, int]:
        due = self.held
        return replace(self, status=OrderStatus.REFUNDED, refunded=self.refunded + due), due

    def _require(self, *allowed: OrderStatus, action: str) -> None:
        if self.status not in allowed:
            raise self._invalid(f"it is {self.status}", action=action)

    def _invalid(self, why: str, action: str = "do this to") -> ContractError:
        return ContractError(ErrorCode.INVALID_STATE, f"cannot {action} order {self.id}: {why}")


def fund(
    order_id: str,
    buyer_account: str,
    seller_account: str,
    currency: str,
    amount: int,
    milestones: tuple[Milestone, ...] | None,
    ship_by: int,
    inspection_seconds: int,
    now: int,
) -> Order:
    """A new funded order. No milestones means one, on acceptance, of the whole amount.

    Raises ContractError(INVALID_AMOUNT: milestones that do not sum to the amount exactly, or a milestone
    not in 1..MAX_AMOUNT; INVALID_ARGUMENT: buyer = seller, ship_by not after now, inspection out of range,
    more than MAX_MILESTONES).
    """
    if buyer_account == seller_account:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, "buyer_account and seller_account must differ")
    if ship_by <= now:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, f"ship_by {ship_by} must be after the transaction's time {now}")
    if not 0 <= inspection_seconds <= MAX_INSPECTION_SECONDS:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, f"inspection_seconds must be in 0..{MAX_INSPECTION_SECONDS}")
    plan = milestones if milestones else (Milestone(Trigger.ACCEPTANCE, amount),)
    if len(plan) > MAX_MILESTONES:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, f"at most {MAX_MILESTONES} milestones")
    if any(type(m.amount) is not int or not 0 < m.amount <= MAX_AMOUNT for m in plan):
        raise ContractError(ErrorCode.INVALID_AMOUNT, f"each milestone must be 1..{MAX_AMOUNT} minor units")
    total = sum(m.amount for m in plan)
    if total != amount:
        raise ContractError(ErrorCode.INVALID_AMOUNT, f"milestones sum to {total}, the order is {amount}")
    return Order(
        id=order_id,
        buyer_account=buyer_account,
        seller_account=seller_account,
        currency=currency,
        amount=amount,
        milestones=tuple(replace(m, released=False) for m in plan),
        ship_by=ship_by,
        inspection_seconds=inspection_seconds,
        funded_at=now,
    )
