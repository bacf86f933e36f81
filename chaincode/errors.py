"""The contract's stable error codes.

A refused transaction answers with the message `CODE: text` (`str(ContractError)`). Clients parse the
code — the part before the first `": "` — and never the prose after it, which may change.

    ContractError(code, message)
    ├── INVALID_ARGUMENT        malformed arguments: not one JSON object, missing/extra fields, wrong types
    ├── INVALID_AMOUNT          amount not an integer of minor units in (0, 10**15], or a bad decimal string
    ├── UNKNOWN_CURRENCY        a currency the ledger does not issue
    ├── UNKNOWN_FUNCTION        args[0] names no transaction
    ├── UNAUTHORIZED            the caller's identity/role may not do this
    ├── UNKNOWN_ACCOUNT         no account with that id
    ├── UNKNOWN_REDEMPTION      no redemption with that id
    ├── UNKNOWN_ORDER           no escrowed order with that id (or not the caller's to see)
    ├── ACCOUNT_EXISTS          opening an id that is taken
    ├── ORDER_EXISTS            funding an order id that is taken
    ├── DUPLICATE_REQUEST       this request_id (per MSP) already committed
    ├── DUPLICATE_RESERVE_REF   this reserve reference already backs a mint
    ├── DDA_LINKED              this demand-deposit account already links to a token account
    ├── UNKNOWN_DDA             no token account links to that demand-deposit account
    ├── UNKNOWN_MINT            no mint waiting for approval with that id
    ├── INVALID_STATE           the transition is not allowed from the current status
    ├── INSUFFICIENT_FUNDS      a debit larger than the balance
    ├── ACCOUNT_FROZEN          a frozen account may neither send nor receive
    ├── CURRENCY_EXISTS         registering a currency code that is registered already
    ├── UNKNOWN_QUOTE           no FX quote with that id
    ├── QUOTE_EXPIRED           the quote's valid_until is before the transaction's time
    └── QUOTE_EXHAUSTED         the conversion needs more than the quote's remaining base amount
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    UNKNOWN_FUNCTION = "UNKNOWN_FUNCTION"
    UNAUTHORIZED = "UNAUTHORIZED"
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    UNKNOWN_REDEMPTION = "UNKNOWN_REDEMPTION"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    ACCOUNT_EXISTS = "ACCOUNT_EXISTS"
    ORDER_EXISTS = "ORDER_EXISTS"
    DUPLICATE_REQUEST = "DUPLICATE_REQUEST"
    DUPLICATE_RESERVE_REF = "DUPLICATE_RESERVE_REF"
    DDA_LINKED = "DDA_LINKED"
    UNKNOWN_DDA = "UNKNOWN_DDA"
    UNKNOWN_MINT = "UNKNOWN_MINT"
    INVALID_STATE = "INVALID_STATE"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    ACCOUNT_FROZEN = "ACCOUNT_FROZEN"
    CURRENCY_EXISTS = "CURRENCY_EXISTS"
    UNKNOWN_QUOTE = "UNKNOWN_QUOTE"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"
    QUOTE_EXHAUSTED = "QUOTE_EXHAUSTED"


class ContractError(Exception):
    """A transaction refused by a rule. `str(error)` is the wire form `CODE: message`."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def parse_error(text: str) -> tuple[ErrorCode, str] | None:
    """Split a wire message `CODE: message` into its code and message; None when it carries no known code."""
    code, sep, message = text.partition(": ")
    if not sep or code not in ErrorCode.__members__:
        return None
    return ErrorCode(code), message
