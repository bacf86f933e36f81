"""The rules of money, pure: no Fabric, no I/O, no clock, no floats. One module per concept:

    money        Currency, Amount (integer minor units), parsing and formatting decimals
    accounts     Account and its status, what a frozen account may not do, debits
    redemptions  Redemption and its transitions (pending → settled | rejected)
    supply       Supply and its invariant
    escrow       Order (marketplace escrow) and its transitions; used as `chaincode.domain.escrow`
    books        DDA links, payout accounts and attestations of the bank's books; as `chaincode.domain.books`
    fx           Rate (an exact ratio), Quote and the conversion it prices; used as `chaincode.domain.fx`
    instruments  Instrument = (issuing bank, currency) and who may issue it

Every rule raises `ContractError` with a stable code. The names below are the package's public surface;
`chaincode.domain.X` is the way to reach them.
"""

from chaincode.domain import books, escrow, fx, instruments
from chaincode.domain.accounts import ACCOUNT_ID_PATTERN, Account, AccountStatus, check_account_id, debit
from chaincode.domain.instruments import DEFAULT_ISSUER, Instrument, check_msp_id
from chaincode.domain.money import (
    CURRENCY_CODE_PATTERN,
    MAX_AMOUNT,
    MAX_MINOR_DIGITS,
    Amount,
    Currency,
    check_currency_code,
    check_minor,
    format_units,
)
from chaincode.domain.redemptions import Redemption, RedemptionStatus
from chaincode.domain.supply import Supply

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "CURRENCY_CODE_PATTERN",
    "DEFAULT_ISSUER",
    "MAX_AMOUNT",
    "MAX_MINOR_DIGITS",
    "Account",
    "AccountStatus",
    "Amount",
    "Currency",
    "Instrument",
    "Redemption",
    "RedemptionStatus",
    "Supply",
    "books",
    "check_account_id",
    "check_currency_code",
    "check_minor",
    "check_msp_id",
    "debit",
    "escrow",
    "format_units",
    "fx",
    "instruments",
]
