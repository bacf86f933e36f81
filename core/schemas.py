"""The admin API's request and answer shapes (amounts are decimal strings, never numbers)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class DdaCreate(BaseModel):
    dda: str
    currency: str
    balance: str = "0"


class DdaPublic(BaseModel):
    dda: str
    currency: str
    status: str
    balance: str
    opening_reference: str | None = None


class FundingItem(BaseModel):
    dda: str
    amount: str


class FundingCreate(BaseModel):
    """Either one funding (dda, amount) or many (fundings); many go out in one camt.054."""

    dda: str | None = None
    amount: str | None = None
    fundings: list[FundingItem] = Field(default_factory=list)


class EntryPublic(BaseModel):
    reference: str
    dda: str
    currency: str
    amount: str


class FundingPublic(BaseModel):
    message_id: str
    entries: list[EntryPublic]


class StatementPublic(BaseModel):
    currency: str
    account: str
    opening: str
    closing: str
    entries: int


class CloseDayPublic(BaseModel):
    message_id: str | None
    statements: list[StatementPublic]


class AccountPublic(BaseModel):
    account: str
    kind: str
    currency: str
    status: str
    balance: str


class BalancesPublic(BaseModel):
    accounts: list[AccountPublic]
    # Per currency: the sum of every account's balance (always "0": the books balance).
    totals: dict[str, str]


class LinePublic(BaseModel):
    line_id: int
    posting_id: int
    reference: str
    kind: str
    account: str
    currency: str
    amount: str
    booked_at: str
    business_date: str
    end_to_end_id: str | None
    uetr: str | None


class PostingsPublic(BaseModel):
    lines: list[LinePublic]


class OutboxPublic(BaseModel):
    id: int
    message_id: str
    kind: str
    status: str
    attempts: int
    last_error: str | None
    created_at: str
    next_attempt_at: str | None
    delivered_at: str | None


class OutboxList(BaseModel):
    messages: list[OutboxPublic]


class Health(BaseModel):
    status: str
    database: str


class Problem(BaseModel):
    code: str
    detail: str
    path: str | None = None
