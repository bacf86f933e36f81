"""Redemptions: a holder burns tokens (redeem); the bank settles (paid out) or rejects (returned)."""

from __future__ import annotations

from chaincode import access, domain
from chaincode.access import Role
from chaincode.contract._tx import Handlers, Tx, done, entry, leg, visible_account
from chaincode.protocol import (
    Event,
    EventType,
    GetRedemption,
    Redeem,
    RedemptionView,
    RejectRedemption,
    SettleRedemption,
)
from chaincode.state import redemption_to_state, unknown_redemption


async def redeem(tx: Tx, args: Redeem) -> dict[str, object]:
    """The account's holder burns tokens and opens a pending redemption whose id is this tx id.

    Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT, DUPLICATE_REQUEST, ACCOUNT_FROZEN, INSUFFICIENT_FUNDS).
    """
    access.require_role(tx.caller, Role.HOLDER)
    account = await visible_account(tx, args.account_id)
    access.require_holder(tx.caller, account)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    account.check_can_send()
    amount = await tx.books.amount(args.instrument.code, args.amount)
    await tx.books.debit(account.id, amount)
    redemption = domain.Redemption(
        id=tx.books.tx_id,
        account_id=account.id,
        currency=amount.currency.code,
        amount=amount.minor,
        status=domain.RedemptionStatus.PENDING,
        requested_tx_id=tx.books.tx_id,
        payout_to=args.payout_account,
    )
    await tx.books.put_redemption(redemption)
    await tx.books.add_history(account.id, entry(tx, EventType.REDEMPTION_REQUESTED, amount, -1, None, redemption.id))
    event = Event(
        EventType.REDEMPTION_REQUESTED,
        tx.books.tx_id,
        args.request_id,
        (account.id,),
        amount.currency.code,
        amount.minor,
        {"redemption_id": redemption.id, **_payout_references(redemption)},
        (leg(account, -amount.minor),),
    )
    return await done(tx, args.request_id, event)


def _payout_references(redemption: domain.Redemption) -> dict[str, str]:
    """The external account a redemption names, for the books connector that pays it."""
    target = redemption.payout_to
    return {} if target is None else {f"payout_{k}": v for k, v in target.to_dict().items()}


# Who closes a redemption: a person at the bank, or the books connector once the core has answered.
_CLOSERS = (Role.ISSUER, Role.TREASURY)


def _closed_by(tx: Tx, redemption: domain.Redemption) -> domain.Instrument:
    """The redeemed instrument, closed by its own issuing bank only. Raises ContractError(UNAUTHORIZED)."""
    instrument = domain.Instrument.parse(redemption.currency)
    instrument.check_issued_by(tx.caller.msp_id)
    return instrument


async def settle_redemption(tx: Tx, args: SettleRedemption) -> dict[str, object]:
    """The redeemed instrument's issuing bank (BankMSP issuer or treasury for the default instruments): the
    payout was made; the burned tokens leave the supply.

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_REDEMPTION, INVALID_STATE).
    """
    access.require_role(tx.caller, *_CLOSERS)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    redemption = (await tx.books.redemption(args.redemption_id)).settle(tx.books.tx_id, args.payout_ref)
    instrument = _closed_by(tx, redemption)
    account = await tx.books.account(redemption.account_id)
    await tx.books.put_redemption(redemption)
    await tx.books.add_redeemed(await tx.books.amount(redemption.currency, redemption.amount))
    await tx.books.touch_issuance(instrument)
    event = Event(
        EventType.REDEMPTION_SETTLED,
        tx.books.tx_id,
        args.request_id,
        (redemption.account_id,),
        redemption.currency,
        redemption.amount,
        {"redemption_id": redemption.id, "payout_ref": args.payout_ref},
        (leg(account, None),),
    )
    return await done(tx, args.request_id, event)


async def reject_redemption(tx: Tx, args: RejectRedemption) -> dict[str, object]:
    """The redeemed instrument's issuing bank, as settle_redemption: no payout; the tokens return to the
    account, even a frozen one (that restores what the holder had; the freeze still stops the tokens moving on).

    Raises ContractError(UNAUTHORIZED, DUPLICATE_REQUEST, UNKNOWN_REDEMPTION, INVALID_STATE).
    """
    access.require_role(tx.caller, *_CLOSERS)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    redemption = (await tx.books.redemption(args.redemption_id)).reject(tx.books.tx_id, args.reason)
    instrument = _closed_by(tx, redemption)
    amount = await tx.books.amount(redemption.currency, redemption.amount)
    await tx.books.touch_issuance(instrument)
    account = await tx.books.account(redemption.account_id)
    await tx.books.put_redemption(redemption)
    await tx.books.credit(redemption.account_id, amount)
    await tx.books.add_history(
        redemption.account_id, entry(tx, EventType.REDEMPTION_REJECTED, amount, +1, None, redemption.id)
    )
    event = Event(
        EventType.REDEMPTION_REJECTED,
        tx.books.tx_id,
        args.request_id,
        (redemption.account_id,),
        redemption.currency,
        redemption.amount,
        {"redemption_id": redemption.id, "reason": args.reason},
        (leg(account, amount.minor),),
    )
    return await done(tx, args.request_id, event)


async def get_redemption(tx: Tx, args: GetRedemption) -> RedemptionView:
    """Whoever may see its account. Raises ContractError(UNAUTHORIZED: no reader role; UNKNOWN_REDEMPTION:
    none, or not the caller's to see)."""
    access.require_reader(tx.caller)
    redemption = await tx.books.redemption(args.redemption_id)
    account = await tx.books.find_account(redemption.account_id)
    if account is None or not access.may_see_account(tx.caller, account):
        raise unknown_redemption(args.redemption_id)
    raw = redemption_to_state(redemption)
    return {
        "id": raw["id"],
        "account_id": raw["account_id"],
        "currency": raw["currency"],
        "amount": raw["amount"],
        "status": raw["status"],
        "requested_tx_id": raw["requested_tx_id"],
        "closed_tx_id": raw["closed_tx_id"],
        "payout_ref": raw["payout_ref"],
        "reason": raw["reason"],
        "payout_to": raw["payout_to"],
    }


HANDLERS: Handlers = {
    Redeem: redeem,
    SettleRedemption: settle_redemption,
    RejectRedemption: reject_redemption,
    GetRedemption: get_redemption,
}
