"""/v1/mints and /v1/transfers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from chaincode import protocol
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_minor
from gateway.api.results import written
from gateway.api.schemas import MintCreate, TransferCreate

router = APIRouter(tags=["payments"])


@router.post("/v1/mints", status_code=201, dependencies=[require_role("issuer")])
def mint(
    body: MintCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    minor = to_minor(body.amount, body.currency)
    echo = body.model_dump()
    return written(
        c.writes.write(
            caller,
            key,
            lambda rid: protocol.Mint(body.account, body.currency, minor, body.reserve_ref, rid),
            lambda r, s: echo,
        ),
        response,
    )


@router.post("/v1/transfers", status_code=201, dependencies=[require_role("holder")])
def transfer(
    body: TransferCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> dict[str, Any]:
    minor = to_minor(body.amount, body.currency)
    echo = body.model_dump(by_alias=True)
    return written(
        c.writes.write(
            caller,
            key,
            lambda rid: protocol.Transfer(body.from_, body.to, body.currency, minor, body.reference, rid),
            lambda r, s: echo,
        ),
        response,
    )
