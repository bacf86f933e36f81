"""Redemptions: tokens burned by a holder, then settled (paid out) or rejected (returned)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from chaincode.domain.books import PayoutAccount
from chaincode.errors import ContractError, ErrorCode


class RedemptionStatus(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Redemption:
    """Tokens burned by a holder, awaiting the bank's payout (settle) or their return (reject)."""

    id: str
    account_id: str
    currency: str
    amount: int
    status: RedemptionStatus
    requested_tx_id: str
    closed_tx_id: str | None = None
    payout_ref: str | None = None
    reason: str | None = None
    # An external account to pay; None: the account's linked DDA, or by hand (README "The bank's books").
    payout_to: PayoutAccount | None = None

    def settle(self, tx_id: str, payout_ref: str) -> Redemption:
        """Raises ContractError(INVALID_STATE) unless pending."""
        self._check_pending("settle")
        return replace(self, status=RedemptionStatus.SETTLED, closed_tx_id=tx_id, payout_ref=payout_ref)

    def reject(self, tx_id: str, reason: str) -> Redemption:
        """Raises ContractError(INVALID_STATE) unless pending."""
        self._check_pending("reject")
        return replace(self, status=RedemptionStatus.REJECTED, closed_tx_id=tx_id, reason=reason)

    def _check_pending(self, action: str) -> None:
        if self.status is not RedemptionStatus.PENDING:
            raise ContractError(ErrorCode.INVALID_STATE, f"cannot {action} redemption {self.id}: it is {self.status}")
