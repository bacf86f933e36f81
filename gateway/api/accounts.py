"""/v1/accounts: open, read, history, freeze, unfreeze."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from chaincode import protocol
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import balances, to_decimal
from gateway.api.results import read, written
from gateway.api.schemas import AccountCreate, FreezeRequest
from gateway.errors import BadRequest

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.post("", status_code=201, dependencies=[require_role("issuer")])
def open_account(
    body: AccountCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    holder = c.directory.holder(body.holder)
    if holder is None:
        raise BadRequest(f"no identity {body.holder!r}; name one as Org/name", code="UNKNOWN_HOLDER")
    msp, subject = holder

    def build(request_id: str) -> protocol.Args:
        return protocol.OpenAccount(body.id, msp, subject, body.kyc_ref, request_id)

    echo = {"account": body.id, "holder": body.holder, "holder_msp": msp, "holder_subject": subject}
    return written(c.writes.write(caller, key, build, lambda r, s: echo), response)


@router.get("/{account_id}")
def get_account(account_id: str, caller: CallerDep, c: ComponentsDep) -> dict[str, Any]:
    raw = read(c, caller, protocol.GetAccount(account_id))
    return {**raw, "balances": balances(raw["balances"])}


@router.get("/{account_id}/history")
def get_history(account_id: str, caller: CallerDep, c: ComponentsDep) -> dict[str, Any]:
    raw = read(c, caller, protocol.GetAccountHistory(account_id))
    entries = [{**e, "amount": to_decimal(e["amount"], e["currency"])} for e in raw["entries"]]
    return {"account": account_id, "entries": entries}


def _status_change(
    args: type[protocol.Freeze],
    account_id: str,
    body: FreezeRequest | None,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: str | None,
) -> dict[str, Any]:
    reason = (body or FreezeRequest()).reason
    status = "frozen" if args is protocol.Freeze else "active"
    outcome = c.writes.write(
        caller,
        key,
        lambda rid: args(account_id, reason, rid),
        lambda r, s: {"account": account_id, "account_status": status},
    )
    return written(outcome, response)


@router.post("/{account_id}/freeze", status_code=201, dependencies=[require_role("compliance")])
def freeze(
    account_id: str,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    body: FreezeRequest | None = None,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return _status_change(protocol.Freeze, account_id, body, caller, c, response, key)


@router.post("/{account_id}/unfreeze", status_code=201, dependencies=[require_role("compliance")])
def unfreeze(
    account_id: str,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    body: FreezeRequest | None = None,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    return _status_change(protocol.Unfreeze, account_id, body, caller, c, response, key)
