"""/v1/mints and /v1/transfers."""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from chaincode import protocol
from chaincode.access import Role
from chaincode.errors import ErrorCode
from gateway.api.deps import CallerDep, ComponentsDep, IdempotencyKey, SigningHeader, require_role
from gateway.api.fx import QUOTE_FAILURES
from gateway.api.money import to_decimal, to_minor
from gateway.api.problems import MONEY, WRITE, problem_responses
from gateway.api.results import written
from gateway.api.schemas import (
    TX_ID_PATTERN,
    MintCreate,
    Minted,
    SigningStarted,
    TransferCreate,
    Transferred,
    default_issuer,
)
from gateway.errors import SigningMode
from gateway.service import WriteService

router = APIRouter(tags=["payments"])


@router.post(
    "/v1/mints",
    status_code=201,
    response_model_exclude_none=True,  # mint_id only on a mint that waits for its checker
    dependencies=[require_role(Role.ISSUER)],
    responses=problem_responses(
        WRITE, MONEY, (ErrorCode.UNKNOWN_ACCOUNT, ErrorCode.ACCOUNT_FROZEN, ErrorCode.DUPLICATE_RESERVE_REF)
    ),
)
def mint(
    body: MintCreate, caller: CallerDep, c: ComponentsDep, response: Response, key: IdempotencyKey = None
) -> Minted:
    """Above the topology's limit (`chaincode.mint_approval_limit`) the mint waits for a checker."""
    minor = to_minor(c, body.amount, body.currency)
    echo = body.model_dump(exclude=default_issuer(body.issuer))

    def present(result: dict[str, Any], _: object) -> dict[str, Any]:
        if result.get("type") == "MintRequested":
            return {**echo, "mint_status": "pending_approval", "mint_id": result["mint_id"]}
        return echo

    return Minted.model_validate(
        written(
            c.writes.write(
                caller,
                key,
                lambda rid: protocol.Mint(body.account, body.currency, minor, body.reserve_ref, rid, body.issuer),
                present,
            ),
            response,
        )
    )


@router.post(
    "/v1/mints/{mint_id}/approve",
    status_code=201,
    response_model_exclude_none=True,
    dependencies=[require_role(Role.ISSUER, Role.COMPLIANCE)],
    responses=problem_responses(WRITE, (ErrorCode.UNKNOWN_MINT, ErrorCode.INVALID_STATE, ErrorCode.ACCOUNT_FROZEN)),
)
def approve_mint(
    mint_id: Annotated[str, Path(pattern=TX_ID_PATTERN)],
    caller: CallerDep,
    c: ComponentsDep,
    response: Response,
    key: IdempotencyKey = None,
) -> Minted:
    """The checker: a BankOrg identity other than the maker; the tokens exist once this commits."""

    def present(result: dict[str, Any], _: object) -> dict[str, Any]:
        return {
            "account": result["accounts"][0],
            "currency": result["currency"],
            "amount": to_decimal(c, int(result["amount"]), result["currency"]),
            "reserve_ref": result["reserve_ref"],
            "mint_id": mint_id,
        }

    return Minted.model_validate(
        written(c.writes.write(caller, key, lambda rid: protocol.ApproveMint(mint_id, rid), present), response)
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
    plain = body.model_dump(by_alias=True, exclude=default_issuer(body.issuer))

    def echo(r: dict[str, Any], _: object) -> dict[str, Any]:
        if r.get("receive_currency") is None:
            return plain
        got = r["receive_currency"]
        pvp = {"rate": r["rate"], "receive_amount": to_decimal(c, int(r["receive_amount"]), got)}
        return {**plain, **pvp}

    def build(rid: str) -> protocol.Transfer:
        return protocol.Transfer(
            body.from_,
            body.to,
            body.currency,
            minor,
            body.reference,
            rid,
            body.receive_currency,
            body.quote_id,
            body.issuer,
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
