"""The reconciliation rules on settlements: each RedemptionSettled is backed by the one payment the core
accepted for that redemption, of the same amount, currency and account."""

from __future__ import annotations

from books import reconcile
from books.store import ChainRecord, Funding, PayoutRow

DIGITS = {"USD": 2}
RID, OTHER = "ab" * 32, "cd" * 32


def _paid(rid: str, uetr: str, minor: int) -> PayoutRow:
    return PayoutRow(
        rid, 4, "acct-1", "USD", minor, None, "closed", "DDA-1", "M", None, None, True, None, uetr, rid[-32:], "t"
    )


def _settled(rid: str, uetr: str, minor: int, account: str = "acct-1") -> ChainRecord:
    return ChainRecord(f"tx-{rid[:4]}", 6, "RedemptionSettled", "USD", minor, uetr, account, rid)


def _report(payouts: list[PayoutRow], settled: list[ChainRecord]) -> list[tuple[str, str]]:
    funding = Funding("BK-1", "N-1", "DDA-1", "USD", "100.00", "minted", None, "acct-1", 10_000, "tx-m")
    chain = [ChainRecord("tx-m", 3, "Minted", "USD", 10_000, "BK-1", "acct-1", None), *settled]
    breaks = reconcile.report(9, [funding], payouts, [], chain, DIGITS)["breaks"]
    return [(b["kind"], b["reference"]) for b in breaks if b["kind"] != "balance_difference"]


def test_a_settlement_backed_by_its_payment_is_no_break() -> None:
    assert _report([_paid(RID, "u-1", 2500)], [_settled(RID, "u-1", 2500)]) == []


def test_a_settlement_of_another_amount_or_account_than_its_payment_is_named() -> None:
    assert _report([_paid(RID, "u-1", 2500)], [_settled(RID, "u-1", 2400)]) == [("settlement_without_payout", RID)]
    wrong_account = [_settled(RID, "u-1", 2500, "acct-2")]
    assert _report([_paid(RID, "u-1", 2500)], wrong_account) == [("settlement_without_payout", RID)]


def test_a_settlement_against_another_redemptions_payment_is_named() -> None:
    """A person settling by hand with the UETR of a payment the core made for a different redemption."""
    payouts = [_paid(RID, "u-1", 2500)]
    breaks = _report(payouts, [_settled(RID, "u-1", 2500), _settled(OTHER, "u-1", 2500)])
    assert breaks == [("settlement_without_payout", OTHER)]


def test_a_settlement_with_no_payment_is_named() -> None:
    assert _report([], [_settled(RID, "u-9", 2500)]) == [("settlement_without_payout", RID)]
