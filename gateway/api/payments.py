"""/v1/mints and /v1/transfers."""

from __future__ import annotations

from fastapi import APIRouter, Response

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, require_role
from gateway.api.money import to_minor
from gateway.api.problems import MONEY, WRITE, problem_responses
from gateway.api.results import written
from gateway.api.schemas import MintCreate, Minted, TransferCreate, Transferred

router = APIRouter(tags=["payments"])


@router.post(
    "/v1/mints",
    status_code=201,
    dependencies=[require_role(Role.ISSUER)],
    responses=problem_responses(
        WRITE, MONEY, (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.DUPLICATE_RESERVE_REF)
    ),
)
def mint(
    body: MintCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> Minted:
    minor = to_minor(body.amount, body.currency)
    echo = body.model_dump()
    return Minted.model_validate(
        written(
            c.writes.write(
                caller,
                key,
                lambda rid: protocol.Mint(body.account, body.currency, minor, body.reserve_ref, rid),
                lambda r, s: echo,
            ),
            response,
        )
    )


@router.post(
    "/v1/transfers",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses=problem_responses(
        WRITE, MONEY, (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.INSUFFICIENT_FUNDS)
    ),
)
def transfer(
    body: TransferCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> Transferred:
    minor = to_minor(body.amount, body.currency)
    echo = body.model_dump(by_alias=True)
    return Transferred.model_validate(
        written(
            c.writes.write(
                caller,
                key,
                lambda rid: protocol.Transfer(body.from_, body.to, body.currency, minor, body.reference, rid),
                lambda r, s: echo,
            ),
            response,
        )
    )
