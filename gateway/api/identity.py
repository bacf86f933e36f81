"""/v1/me: which identity an API key acts as, and its role."""

from __future__ import annotations

from fastapi import APIRouter

from chaincode.access import Role
from gateway.api.deps import CallerDep
from gateway.api.problems import FRONT_DOOR, problem_responses
from gateway.api.schemas import CallerPublic

router = APIRouter(tags=["identity"])


@router.get("/v1/me", responses=problem_responses(FRONT_DOOR))
def me(caller: CallerDep) -> CallerPublic:
    return CallerPublic(org=caller.org, name=caller.name, role=Role(caller.role), msp_id=caller.msp_id)
