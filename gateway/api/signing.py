"""/v1/signing/{signing_id}: a member that keeps its own key sends its signatures (`gateway.signing`)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from chaincode.access import Role
from gateway.api.deps import CallerDep, ComponentsDep, require_role
from gateway.api.payments import TRANSFER_FAILURES
from gateway.api.problems import MONEY, WRITE, problem_responses
from gateway.api.schemas import SIGNING_ID, SignatureSubmit, SigningEndorsed, Transferred
from gateway.errors import InvalidSignature, UnknownSigning

router = APIRouter(tags=["payments"])


@router.post(
    "/v1/signing/{signing_id}",
    dependencies=[require_role(Role.HOLDER)],
    response_model=None,
    responses={
        200: {"model": SigningEndorsed, "description": "the proposal's signature: endorsed, sign the transaction"},
        201: {"model": Transferred, "description": "the transaction's signature: submitted and committed"},
        **problem_responses(WRITE, MONEY, TRANSFER_FAILURES, (UnknownSigning, InvalidSignature)),
    },
)
def sign(
    signing_id: Annotated[str, Path(pattern=SIGNING_ID)], body: SignatureSubmit, caller: CallerDep, c: ComponentsDep
) -> Any:
    """The first signature (over `proposal_digest`) endorses; the second (over `transaction_digest`) submits."""
    if c.signing is None:
        raise UnknownSigning(f"no signing {signing_id} waiting for {caller.ref}")
    try:
        signature = base64.b64decode(body.signature, validate=True)
    except binascii.Error:
        signature = b""  # verifies under no key: INVALID_SIGNATURE once the signing is found, else 404
    outcome = c.signing.sign(caller, signing_id, signature)
    if isinstance(outcome, dict):
        return JSONResponse(Transferred.model_validate(outcome).model_dump(by_alias=True), status_code=201)
    endorsed = SigningEndorsed(
        signing_id=outcome.signing_id, transaction_digest=base64.b64encode(outcome.digest).decode()
    )
    return JSONResponse(endorsed.model_dump(), status_code=200)
