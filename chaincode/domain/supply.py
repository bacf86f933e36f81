"""The supply of each currency and its invariant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Supply:
    """One currency's supply, from two independent sources: the mint/settle counters, and what is held.

    Invariant: balances_total + pending_redemptions + escrowed
               == minted + fx_in - redeemed - fx_out (= outstanding).
    """

    minted: int = 0
    redeemed: int = 0
    balances_total: int = 0
    pending_redemptions: int = 0
    escrowed: int = 0  # held in orders' escrow (chaincode.domain.escrow)
    fx_in: int = 0  # issued by conversions (the bank sold this currency)
    fx_out: int = 0  # taken out of supply by conversions (the bank bought it)

    @property
    def outstanding(self) -> int:
        return self.minted + self.fx_in - self.redeemed - self.fx_out

    @property
    def fx_position(self) -> int:
        """The bank's net FX position in this currency: bought from holders minus sold to them."""
        return self.fx_out - self.fx_in

    @property
    def consistent(self) -> bool:
        return self.balances_total + self.pending_redemptions + self.escrowed == self.outstanding
