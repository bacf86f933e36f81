"""/v1/accounts: open, list, read, history, freeze, unfreeze."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import balances, to_decimal
from gateway.api.problems import INPUT, READ, WRITE, problem_responses
from gateway.api.results import read, written
from gateway.api.schemas import (
    ACCOUNT_ID,
    CURSOR_PATTERN,
    HOLDER_PATTERN,
    AccountCreate,
    AccountHistoryPublic,
    AccountOpened,
    AccountPage,
    AccountPublic,
    AccountStatusChanged,
    FreezeRequest,
)
from gateway.errors import UnknownHolder

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

AccountId = Annotated[str, Path(pattern=ACCOUNT_ID)]
_STATUS_CHANGE = problem_responses(WRITE, (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.INVALID_STATE))


@router.post(
    "",
    status_code=201,
    dependencies=[require_role(Role.ISSUER)],
    responses=problem_responses(WRITE, (UnknownHolder, ErrorCode.ACCOUNT_EXISTS, ErrorCode.DDA_LINKED)),
)
def open_account(
    body: AccountCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> AccountOpened:
    holder = c.directory.holder(body.holder)
    if holder is None:
        raise UnknownHolder(f"no identity {body.holder!r}; name one as Org/name")
    msp, subject = holder

    def build(request_id: str) -> protocol.Args:
        return protocol.OpenAccount(body.id, msp, subject, body.kyc_ref, request_id, body.dda)

    echo = {"account": body.id, "holder": body.holder, "holder_msp": msp, "holder_subject": subject, "dda": body.dda}
    return AccountOpened.model_validate(written(c.writes.write(caller, key, build, lambda r, s: echo), response))


@router.get("", responses=problem_responses(READ, INPUT))
def list_accounts(
    caller: CallerDep,
    c: ComponentsDep,
    holder: Annotated[
        str | None, Query(pattern=HOLDER_PATTERN, description="only this identity's accounts, `Org/name`")
    ] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=protocol.MAX_PAGE)] = 50,
) -> AccountPage:
    """The accounts the caller may see (the chaincode decides), a page at a time, with balances."""
    msp: str | None = None
    subject: str | None = None
    if holder is not None:
        found = c.directory.holder(holder)
        if found is None:
            # No such identity holds nothing: the same answer as a holder the caller may not see.
            return AccountPage(accounts=[], next_cursor=None)
        msp, subject = found
    raw = read(c, caller, protocol.ListAccounts(msp, subject, cursor, limit))
    accounts = [AccountPublic.model_validate({**a, "balances": balances(c, a["balances"])}) for a in raw["accounts"]]
    return AccountPage(accounts=accounts, next_cursor=raw["next_cursor"])


@router.get("/{account_id}", responses=problem_responses(READ, INPUT, (ErrorCode.UNKNOWN_ACCOUNT,)))
def get_account(account_id: AccountId, caller: CallerDep, c: ComponentsDep) -> AccountPublic:
    raw = read(c, caller, protocol.GetAccount(account_id))
    return AccountPublic.model_validate({**raw, "balances": balances(c, raw["balances"])})


@router.get("/{account_id}/history", responses=problem_responses(READ, INPUT, (ErrorCode.UNKNOWN_ACCOUNT,)))
def get_history(account_id: AccountId, caller: CallerDep, c: ComponentsDep) -> AccountHistoryPublic:
    raw = read(c, caller, protocol.GetAccountHistory(account_id))
    entries = [{**e, "amount": to_decimal(c, e["amount"], e["currency"])} for e in raw["entries"]]
    return AccountHistoryPublic.model_validate({"account": account_id, "entries": entries})


def _status_change(
    args: type[protocol.Freeze],
    account_id: str,
    body: FreezeRequest | None,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: str | None,
) -> AccountStatusChanged:
    reason = (body or FreezeRequest()).reason
    status = "frozen" if args is protocol.Freeze else "active"
    outcome = c.writes.write(
        caller,
        key,
        lambda rid: args(account_id, reason, rid),
        lambda r, s: {"account": account_id, "account_status": status},
    )
    return AccountStatusChanged.model_validate(written(outcome, response))


@router.post(
    "/{account_id}/freeze", status_code=201, dependencies=[require_role(Role.COMPLIANCE)], responses=_STATUS_CHANGE
)
def freeze(
    account_id: AccountId,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    body: FreezeRequest | None = None,
    key: IdempotencyKey = None,
) -> AccountStatusChanged:
    return _status_change(protocol.Freeze, account_id, body, caller, c, response, key)


@router.post(
    "/{account_id}/unfreeze", status_code=201, dependencies=[require_role(Role.COMPLIANCE)], responses=_STATUS_CHANGE
)
def unfreeze(
    account_id: AccountId,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    body: FreezeRequest | None = None,
    key: IdempotencyKey = None,
) -> AccountStatusChanged:
    return _status_change(protocol.Unfreeze, account_id, body, caller, c, response, key)
