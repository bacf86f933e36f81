"""The core's errors: one class carrying a stable code, and each code's ISO status reason and HTTP status.

CoreError(code, detail)
    UNKNOWN_CURRENCY, INVALID_AMOUNT, INVALID_DDA,
    UNSUPPORTED_MESSAGE                             bad input (400)
    UNKNOWN_ACCOUNT, NOT_FOUND                      no such account or outbox message (404)
    DDA_EXISTS, ACCOUNT_CLOSED, INSUFFICIENT_FUNDS,
    WRONG_CURRENCY, IDEMPOTENCY_KEY_REUSED          conflicts with the ledger's state (409)
    UNBALANCED                                      a posting that does not sum to zero (a bug: 500)
    INVALID_DEBTOR_ACCOUNT, INVALID_CREDITOR_ACCOUNT,
    DUPLICATE_PAYMENT                               only ever a payment's RJCT reason (AC02, AC03, DUPL)
"""

from __future__ import annotations

HTTP_STATUS = {
    "UNKNOWN_CURRENCY": 400,
    "INVALID_AMOUNT": 400,
    "INVALID_DDA": 400,
    "UNSUPPORTED_MESSAGE": 400,
    "UNKNOWN_ACCOUNT": 404,
    "NOT_FOUND": 404,
    "DDA_EXISTS": 409,
    "ACCOUNT_CLOSED": 409,
    "INSUFFICIENT_FUNDS": 409,
    "WRONG_CURRENCY": 409,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "UNBALANCED": 500,
}

# ISO 20022 external status reason codes (ExternalStatusReason1Code) a rejected payment carries.
ISO_REASON = {
    "UNKNOWN_ACCOUNT": "AC01",  # IncorrectAccountNumber
    "ACCOUNT_CLOSED": "AC04",  # ClosedAccountNumber
    "INSUFFICIENT_FUNDS": "AM04",  # InsufficientFunds
    "UNKNOWN_CURRENCY": "AM03",  # NotAllowedCurrency
    "WRONG_CURRENCY": "CURR",  # IncorrectCurrency
    "INVALID_AMOUNT": "AM12",  # InvalidAmount
    "INVALID_DEBTOR_ACCOUNT": "AC02",  # InvalidDebtorAccountNumber
    "INVALID_CREDITOR_ACCOUNT": "AC03",  # InvalidCreditorAccountNumber
    "DUPLICATE_PAYMENT": "DUPL",  # DuplicatePayment
}


class CoreError(Exception):
    """An expected failure with a stable `code` (see the module docstring) and a human `detail`."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    @property
    def iso_reason(self) -> str:
        """The ISO external status reason code for a payment rejected with this error (NARR if none fits)."""
        return ISO_REASON.get(self.code, "NARR")
