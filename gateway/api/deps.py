"""Dependencies shared by the routers: the wired components and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from gateway.directory import Caller, Directory
from gateway.errors import Forbidden, Unauthenticated
from gateway.ledger import Ledger
from gateway.service import WriteService


@dataclass(frozen=True, slots=True)
class Components:
    directory: Directory
    ledger: Ledger
    writes: WriteService


def components(request: Request) -> Components:
    c: Components = request.app.state.components
    return c


def current_caller(
    request: Request, authorization: Annotated[str | None, Header(include_in_schema=False)] = None
) -> Caller:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("send `Authorization: Bearer <api key>`")
    caller = components(request).directory.authenticate(token.strip())
    if caller is None:
        raise Unauthenticated("unknown API key")
    request.state.caller = caller.ref
    return caller


def require_role(*roles: str) -> Any:
    """Second line of defence: refuse a role that the contract would refuse anyway, before endorsing."""

    def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role not in roles:
            raise Forbidden(f"{caller.ref} ({caller.role}) may not do this; allowed: {', '.join(roles)}")
        return caller

    return Depends(check)


CallerDep = Annotated[Caller, Depends(current_caller)]
ComponentsDep = Annotated[Components, Depends(components)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]
