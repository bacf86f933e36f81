"""Request and response bodies of the HTTP API. Amounts are decimal strings; never floats."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chaincode.domain import ACCOUNT_ID_PATTERN
from chaincode.protocol import MAX_REASON, REFERENCE_PATTERN

# The contract's own patterns: the API refuses early exactly what the ledger would refuse.
_ID = f"^{ACCOUNT_ID_PATTERN.pattern}$"
_REF = f"^{REFERENCE_PATTERN.pattern}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class AccountCreate(_Body):
    id: str = Field(pattern=_ID, examples=["acme-us"])
    holder: str = Field(description="an identity, `Org/name`", examples=["PlatformOrg/buyer-us"])
    kyc_ref: str = Field(pattern=_REF, examples=["KYC-2026-0001"])


class MintCreate(_Body):
    account: str = Field(pattern=_ID)
    currency: str = Field(examples=["USD"])
    amount: str = Field(examples=["1000000.00"], description="decimal string, the currency's minor digits")
    reserve_ref: str = Field(pattern=_REF, examples=["FED-WIRE-2026-11-24-0001"])


class TransferCreate(_Body):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", pattern=_ID)
    to: str = Field(pattern=_ID)
    currency: str
    amount: str = Field(examples=["125000.50"])
    reference: str = Field(pattern=_REF, examples=["INV-2026-001"])


class RedemptionCreate(_Body):
    account: str = Field(pattern=_ID)
    currency: str
    amount: str = Field(examples=["25000.00"])


class RedemptionSettle(_Body):
    payout_ref: str = Field(pattern=_REF)


class RedemptionReject(_Body):
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class FreezeRequest(_Body):
    reason: str = Field(default="compliance hold", min_length=1, max_length=MAX_REASON)
