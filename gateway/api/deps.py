"""Dependencies shared by the routers: the wired components and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.concurrency import run_in_threadpool

from chaincode.access import Role
from gateway.api import front_door
from gateway.books_port import BooksPort
from gateway.chain_reconciliation import SupplyTally
from gateway.consistency import BlockWait, await_block
from gateway.currencies import CurrencyRegistry
from gateway.directory import Caller, Directory
from gateway.errors import Forbidden, Unauthenticated
from gateway.event_hub import EventHub
from gateway.ledger import Ledger
from gateway.onboarding import Members
from gateway.service import WriteService
from gateway.signing import OfflineSigning
from gateway.step_times import StepTimes


@dataclass(frozen=True, slots=True)
class Components:
    directory: Directory
    ledger: Ledger
    writes: WriteService
    events: EventHub
    members: Members | None = None  # None: this gateway enrolls nobody (tools, some tests)
    signing: OfflineSigning | None = None  # None: no offline signing (then no member can need it)
    steps: StepTimes | None = None  # the Fabric steps' timings, exported on /metrics (None: not measured)
    books: BooksPort | None = None  # the books connector's store: only the bank's gateway keeps books
    block_wait: BlockWait = field(default_factory=BlockWait)  # how long a request's `Min-Block` is waited for
    currencies: CurrencyRegistry = field(init=False)  # the ledger's registry, read as the service identity
    supply: SupplyTally = field(init=False)  # the chain's supply moves read so far (the auditor's check)

    def __post_init__(self) -> None:
        object.__setattr__(self, "currencies", CurrencyRegistry(self.ledger, self.directory.service))
        object.__setattr__(self, "supply", SupplyTally())


# The dependencies are coroutines, though they do not await: FastAPI runs a plain `def` dependency on a worker
# thread, and the hand-off there and back cost more of the event loop than the whole route's own work (profile
# in README, "Levers measured"). What blocks — waiting for a block, the route itself — still goes to a thread.


async def components(request: Request) -> Components:
    c: Components = request.app.state.components
    return c


async def min_block(
    request: Request,
    block: Annotated[
        int | None,
        # Described once in the document's description, not as every operation's parameter: a generated
        # future block is a 503 by design, which API fuzzers count as a server fault.
        Header(alias="Min-Block", ge=0, include_in_schema=False),
    ] = None,
) -> None:
    """Read-your-writes across orgs (`gateway.consistency`). Raises LedgerBehind, LedgerUnavailable."""
    if block is not None:
        c = await components(request)
        await run_in_threadpool(await_block, c.ledger, c.directory.service, block, c.block_wait)


# Declares the scheme in OpenAPI; the check is ours, so a refusal is problem+json like every other error.
_bearer = HTTPBearer(
    scheme_name="ApiKey",
    description="`Authorization: Bearer <api key>`: a key of one of this gateway's identities",
    auto_error=False,
)


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Caller:
    known: Caller | None = request.scope.get("state", {}).get(front_door.CALLER)
    if known is not None:
        return known  # every /v1/ request: the front door authenticated this key before reading the body
    if credentials is None or not credentials.credentials.strip():
        raise Unauthenticated("send `Authorization: Bearer <api key>`")
    caller = (await components(request)).directory.authenticate(credentials.credentials.strip())
    if caller is None:
        raise Unauthenticated("unknown API key")
    return caller


async def _role_check(scopes: SecurityScopes, caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    if caller.role not in scopes.scopes:
        raise Forbidden(f"{caller.ref} ({caller.role}) may not do this; allowed: {', '.join(scopes.scopes)}")
    return caller


def require_role(*roles: Role) -> Any:
    """Second line of defence: refuse a role that the contract would refuse anyway, before endorsing.

    The roles are the operation's security scopes, so its OpenAPI names who may call it. Raises Forbidden.
    """
    return Security(_role_check, scopes=[r.value for r in roles])


CallerDep = Annotated[Caller, Depends(current_caller)]
ComponentsDep = Annotated[Components, Depends(components)]
SigningHeader = Annotated[
    Literal["offline"] | None,
    Header(
        alias="Signing",
        description="`offline`: a member that keeps its own key signs the proposal and the transaction itself "
        "(202 with the digest to sign; then POST /v1/signing/{signing_id})",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="makes the write retry-safe: a repeat with the same key answers the first answer",
    ),
]
