"""The transaction functions of the tokenized-deposit contract, one module per concept, and `invoke`.

    accounts     open_account, mint, approve_mint, transfer, freeze, unfreeze; get_account, get_account_history,
                 list_accounts, get_supply
    redemptions  redeem, settle_redemption, reject_redemption; get_redemption
    escrow       fund_order, record_shipment, record_delivery, accept_order, release_order, refund_order,
                 open_dispute, resolve_dispute; get_order
    books        attest; list_attestations, get_dda_link (the bank's books; mints by treasury are in accounts)
    fx           register_currency, post_quote, convert (and transfer's payment versus payment);
                 get_currencies, get_quote, get_fx_position
    payouts      payout (one debit, up to 500 credits, one PayoutSettled event)

Each function is thin: parse (`chaincode.protocol`) → authorise (`chaincode.access`) → guard the request
id → apply the domain rule (`chaincode.domain`) → write state (`chaincode.state.Books`) → emit the event.
A write's result is its event payload, also recorded under `request~{msp}~{request_id}`.

Order of checks in a write: arguments, then the caller's role, then (holders) that the caller holds the
account, then the request id (so a replay answers DUPLICATE_REQUEST rather than whatever the first run
changed, e.g. ACCOUNT_EXISTS), then the domain rules. Nothing is written before the last check passes,
and Fabric discards the writes of a failed transaction anyway.
"""

from chaincode.contract._invoke import handle, invoke, make_handler
from chaincode.contract._tx import Err, InvokeResult, Ok

__all__ = ["Err", "InvokeResult", "Ok", "handle", "invoke", "make_handler"]
