"""Instruments: a token is a deposit at one bank, so what a balance holds is (issuing bank, currency).

BankOrg's EUR and EuroBankOrg's EUR are two liabilities of two banks: two instruments, two balances, two
supplies. An instrument is written as one code wherever the ledger keys money by currency (balances,
supply counters, redemptions, events): the default issuer's instruments keep their plain ISO 4217 code
(`EUR`: every single-bank key, event and API stays as it was), another bank's carry its MSP ID
(`EUR@EuroBankMSP`). Which banks issue is the ledger's registry (`register_issuer`); which currencies
exist, the currency registry, shared by every bank.

Rules: only the issuing bank mints an instrument and closes (settles or rejects) its redemptions; a holder
may hold any bank's instruments side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chaincode.domain.money import check_currency_code
from chaincode.errors import ContractError, ErrorCode

# The bank that founded the network: its instruments are the plain currency codes (README "Instruments").
DEFAULT_ISSUER = "BankMSP"
SEPARATOR = "@"
MSP_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_msp_id(value: object) -> str:
    """Raises ContractError(INVALID_ARGUMENT) for anything but an MSP ID's shape."""
    if not isinstance(value, str) or MSP_ID_PATTERN.fullmatch(value) is None:
        raise ContractError(ErrorCode.INVALID_ARGUMENT, f"{value!r} is no MSP ID")
    return value


@dataclass(frozen=True, slots=True)
class Instrument:
    currency: str  # ISO 4217 code
    issuer: str  # the issuing bank's MSP ID

    @property
    def code(self) -> str:
        return self.currency if self.issuer == DEFAULT_ISSUER else f"{self.currency}{SEPARATOR}{self.issuer}"

    @classmethod
    def of(cls, currency: str, issuer: str | None) -> Instrument:
        """currency at issuer (None: the default issuer). Raises ContractError(UNKNOWN_CURRENCY,
        INVALID_ARGUMENT) for a malformed code or MSP ID."""
        return cls(check_currency_code(currency), DEFAULT_ISSUER if issuer is None else check_msp_id(issuer))

    @classmethod
    def parse(cls, code: str) -> Instrument:
        """The instrument a code names (`EUR`, `EUR@EuroBankMSP`). Raises ContractError(UNKNOWN_CURRENCY)."""
        currency, sep, issuer = code.partition(SEPARATOR)
        if sep and (issuer == DEFAULT_ISSUER or MSP_ID_PATTERN.fullmatch(issuer) is None):
            raise ContractError(ErrorCode.UNKNOWN_CURRENCY, f"{code!r} names no instrument")
        return cls(check_currency_code(currency), issuer if sep else DEFAULT_ISSUER)

    def check_issued_by(self, msp_id: str) -> None:
        """Only the issuing bank creates or destroys its money. Raises ContractError(UNAUTHORIZED)."""
        if msp_id != self.issuer:
            why = f"{self.code} is a deposit at {self.issuer}: {msp_id} may not issue or redeem it"
            raise ContractError(ErrorCode.UNAUTHORIZED, why)
