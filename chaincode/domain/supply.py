"""The supply of each currency and its invariant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Supply:
    """One currency's supply, from two independent sources: the mint/settle counters, and what is held.

    Invariant: balances_total + pending_redemptions + escrowed == minted - redeemed (= outstanding).
    """

    minted: int = 0
    redeemed: int = 0
    balances_total: int = 0
    pending_redemptions: int = 0
    escrowed: int = 0  # held in orders' escrow (chaincode.domain.escrow)

    @property
    def outstanding(self) -> int:
        return self.minted - self.redeemed

    @property
    def consistent(self) -> bool:
        return self.balances_total + self.pending_redemptions + self.escrowed == self.outstanding
