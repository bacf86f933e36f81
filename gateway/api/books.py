"""/v1/books/… and /v1/reconciliation: the bank's core posts ISO 20022 messages; the bank reads its repair
queue, statements and reconciliation; an auditor checks the bank's attestations against the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from chaincode.access import Role
from gateway.api.deps import CallerDep, Components, ComponentsDep, components, require_role
from gateway.api.problems import AUTHENTICATED, READ, problem_responses
from gateway.books_port import BooksPort
from gateway.chain_reconciliation import chain_report
from gateway.errors import BodyTimeout, Forbidden, InvalidMessage, NoBooks

router = APIRouter(tags=["books"])

# Who reads the bank's books through its gateway: the bank's see-all roles.
BANK_READERS = (Role.ISSUER, Role.COMPLIANCE, Role.TREASURY)


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InboundAccepted(_Public):
    message_id: str = Field(description="the message's GrpHdr/MsgId: a replay answers this same answer")
    kind: str = Field(examples=["camt.054.001.08"])
    entries: int = Field(ge=0, description="bookings the message carries")


class BooksException(_Public):
    reference: str = Field(description="the core's booking reference (AcctSvcrRef)")
    msg_id: str
    dda: str
    currency: str
    amount: str = Field(description="as the core wrote it")
    reason: str | None = Field(description="`CODE: text`: UNKNOWN_DDA, UNKNOWN_CURRENCY, INVALID_AMOUNT, …")


class StatementEntryPublic(_Public):
    reference: str
    credit: bool
    currency: str
    amount: str
    end_to_end_id: str | None


class StatementPublic(_Public):
    msg_id: str
    currency: str
    opening: str
    closing: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$", description="of the camt.053 as received")
    entries: list[StatementEntryPublic]
    seq: int


class CurrencyReconciliation(_Public):
    ledger: str = Field(description="outstanding on chain (minted - settled)")
    books: str = Field(description="token liability in the books (or, from the chain alone, as attested)")
    difference: str = Field(description="ledger - books")


class Break(_Public):
    kind: str = Field(
        examples=["unbacked_mint"],
        description="unbacked_mint, funding_not_minted, duplicate_payout, settlement_without_payout, "
        "attestation_mismatch, balance_difference",
    )
    reference: str
    detail: str


class Reconciliation(_Public):
    as_of_block: int = Field(ge=0)
    currencies: dict[str, CurrencyReconciliation]
    breaks: list[Break]
    in_flight: dict[str, int] = Field(
        default_factory=dict,
        description="per currency, work the connector has not finished (no balance_difference is named meanwhile)",
    )


async def books_of(c: Annotated[Components, Depends(components)]) -> BooksPort:
    if c.books is None:
        raise NoBooks("this gateway keeps no books: ask the bank's gateway")
    return c.books


BooksDep = Annotated[BooksPort, Depends(books_of)]

_XML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/xml": {"schema": {"type": "string", "description": "a camt.054 or camt.053"}}},
    }
}


@router.post(
    "/v1/books/inbound",
    status_code=202,
    dependencies=[require_role(Role.CORE)],
    openapi_extra=_XML_BODY,
    responses=problem_responses(AUTHENTICATED, (Forbidden, InvalidMessage, NoBooks, BodyTimeout)),
)
async def inbound(request: Request, books: BooksDep) -> InboundAccepted:
    """The core's camt.054 (fundings) or camt.053 (statements), accepted durably; the connector mints."""
    return InboundAccepted.model_validate(books.accept(await request.body()))


@router.get(
    "/v1/books/exceptions",
    dependencies=[require_role(*BANK_READERS)],
    responses=problem_responses(AUTHENTICATED, (Forbidden, NoBooks)),
)
def exceptions(books: BooksDep) -> list[BooksException]:
    """The repair queue: core bookings parked with nothing minted."""
    return [BooksException.model_validate(e) for e in books.exceptions()]


@router.get(
    "/v1/books/statements",
    dependencies=[require_role(*BANK_READERS)],
    responses=problem_responses(AUTHENTICATED, (Forbidden, NoBooks)),
)
def statements(books: BooksDep) -> list[StatementPublic]:
    return [StatementPublic.model_validate(s) for s in books.statements()]


@router.get(
    "/v1/reconciliation",
    dependencies=[require_role(*BANK_READERS, Role.AUDITOR)],
    responses=problem_responses(READ, (Forbidden,)),
)
def reconciliation(caller: CallerDep, c: ComponentsDep) -> Reconciliation:
    """At the bank: the connector's latest comparison of chain and books. Elsewhere (the auditor): each
    attestation on chain against the chain's supply at its block, from the chain alone."""
    if c.books is not None:
        report = c.books.report() or {"as_of_block": 0, "currencies": {}, "breaks": []}
        return Reconciliation.model_validate(report)
    return Reconciliation.model_validate(chain_report(c.ledger, caller, c.directory.service, c.currencies, c.supply))
