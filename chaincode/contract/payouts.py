"""Bulk payouts: one debit of the payer, one credit per line, in one transaction (all lines or none).

Fabric keeps one chaincode event per transaction (a second SetEvent replaces the first), so a payout sets
one `PayoutSettled` event whose legs are its lines: the payer's debit of the total, then one credit leg per
line carrying the line's reference. The visibility rule (`chaincode.access.visible_event`) cuts it to each
payee's own line (and the payer's leg) on the event stream and in transaction lookups.
"""

from __future__ import annotations

from chaincode import access
from chaincode.access import Role
from chaincode.contract._tx import Handlers, Tx, done, entry, leg, visible_account
from chaincode.errors import ContractError
from chaincode.protocol import Event, EventType, Payout


async def payout(tx: Tx, args: Payout) -> dict[str, object]:
    """The holder of from_account pays every line. Raises ContractError(UNAUTHORIZED, UNKNOWN_ACCOUNT,
    DUPLICATE_REQUEST, UNKNOWN_CURRENCY, INVALID_AMOUNT: the total beyond the limit, INSUFFICIENT_FUNDS,
    ACCOUNT_FROZEN); a payee's refusal names its line (`lines[i]: …`)."""
    access.require_role(tx.caller, Role.HOLDER)
    source = await visible_account(tx, args.from_account)
    access.require_holder(tx.caller, source)
    await tx.books.check_request(tx.caller.msp_id, args.request_id)
    source.check_can_send()
    currency = await tx.books.currency(args.currency)
    total = await tx.books.amount(currency.code, args.total)
    payees = []
    for i, line in enumerate(args.lines):
        try:
            payee = await tx.books.account(line.to)
            payee.check_can_receive()
        except ContractError as exc:
            raise ContractError(exc.code, f"lines[{i}]: {exc.message}") from None
        payees.append(payee)
    await tx.books.debit(source.id, total)
    legs = [leg(source, -total.minor)]
    for line, payee in zip(args.lines, payees, strict=True):
        amount = await tx.books.amount(currency.code, line.amount)
        await tx.books.credit(payee.id, amount)
        await tx.books.add_history(payee.id, entry(tx, EventType.PAYOUT_SETTLED, amount, +1, source.id, line.reference))
        legs.append(leg(payee, line.amount, reference=line.reference))
    await tx.books.add_history(source.id, entry(tx, EventType.PAYOUT_SETTLED, total, -1, None, args.request_id))
    event = Event(
        EventType.PAYOUT_SETTLED,
        tx.books.tx_id,
        args.request_id,
        tuple(g.account for g in legs),
        currency.code,
        total.minor,
        {"lines": str(len(args.lines))},
        tuple(legs),
    )
    return await done(tx, args.request_id, event)


HANDLERS: Handlers = {Payout: payout}
