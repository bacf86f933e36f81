"""/v1/mints and /v1/transfers."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, SigningHeader, require_role
from gateway.api.fx import QUOTE_FAILURES
from gateway.api.money import to_decimal, to_minor
from gateway.api.problems import MONEY, WRITE, problem_responses
from gateway.api.results import written
from gateway.api.schemas import MintCreate, Minted, SigningStarted, TransferCreate, Transferred
from gateway.errors import SigningMode
from gateway.service import WriteService

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
    minor = to_minor(c, body.amount, body.currency)
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


TRANSFER_FAILURES = (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.INSUFFICIENT_FUNDS)


@router.post(
    "/v1/transfers",
    status_code=201,
    dependencies=[require_role(Role.HOLDER)],
    responses={
        202: {"model": SigningStarted, "description": "`Signing: offline`: the proposal's digest to sign"},
        **problem_responses(WRITE, MONEY, TRANSFER_FAILURES, QUOTE_FAILURES, (SigningMode,)),
    },
)
def transfer(
    body: TransferCreate,
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
    signing: SigningHeader = None,
) -> Any:
    minor = to_minor(c, body.amount, body.currency)
    if body.quote_id is None and body.receive_currency == body.currency:
        body = body.model_copy(update={"receive_currency": None})  # receiving what is paid: a plain transfer
    if body.receive_currency is not None:
        c.currencies.get(body.receive_currency)
    plain = body.model_dump(by_alias=True)

    def echo(r: dict[str, Any], _: object) -> dict[str, Any]:
        if r.get("receive_currency") is None:
            return plain
        got = r["receive_currency"]
        pvp = {"rate": r["rate"], "receive_amount": to_decimal(c, int(r["receive_amount"]), got)}
        return {**plain, **pvp}

    def build(rid: str) -> protocol.Transfer:
        return protocol.Transfer(
            body.from_, body.to, body.currency, minor, body.reference, rid, body.receive_currency, body.quote_id
        )

    if caller.signs_offline != (signing == "offline"):
        how = "keeps its own key: send `Signing: offline`" if caller.signs_offline else "signs through the gateway"
        raise SigningMode(f"{caller.ref} {how}")
    if signing == "offline":
        if c.signing is None:
            raise SigningMode("this gateway does not sign offline")
        # No Idempotency-Key bookkeeping: each step is one signature, and nothing is sent before the second.
        rid = WriteService.request_id(caller, key or f"offline-{uuid.uuid4()}")
        step = c.signing.start(caller, build(rid), echo)
        started = SigningStarted(signing_id=step.signing_id, proposal_digest=base64.b64encode(step.digest).decode())
        return JSONResponse(started.model_dump(), status_code=202)
    return Transferred.model_validate(
        written(
            c.writes.write(caller, key, build, echo),
            response,
        )
    )
