"""/v1/members: the org's onboarder (PlatformOrg operator, BankOrg issuer) enrolls, reads, re-keys and
revokes the org's members (`gateway.onboarding`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from chaincode.access import Role
from gateway.api.deps import ComponentsDep, require_role
from gateway.api.problems import FRONT_DOOR, INPUT, problem_responses
from gateway.api.schemas import (
    KEY_ID,
    MEMBER_NAME,
    ApiKeyIssued,
    ApiKeyPublic,
    MemberCreate,
    MemberEnrolled,
    MemberPage,
    MemberPublic,
    MemberRevoke,
)
from gateway.errors import (
    BodyTimeout,
    Forbidden,
    InvalidCsr,
    LedgerError,
    LedgerUnavailable,
    MemberExists,
    TopologyIdentity,
    UnknownApiKey,
    UnknownMember,
)
from gateway.members import OWN_KEY, ApiKey, Member
from gateway.onboarding import Members

router = APIRouter(prefix="/v1/members", tags=["members"])

ONBOARDERS = (Role.OPERATOR, Role.ISSUER)
Name = Annotated[str, Path(pattern=MEMBER_NAME)]
KeyId = Annotated[str, Path(pattern=KEY_ID)]
_BASE = (*FRONT_DOOR, Forbidden, *INPUT[:1])
_ONBOARD = require_role(*ONBOARDERS)


def _members(c: ComponentsDep) -> Members:
    if c.members is None:
        raise Forbidden("this gateway enrolls no members")
    return c.members


def public(m: Member, org: str, keys: list[ApiKey] | None = None) -> MemberPublic:
    return MemberPublic(
        name=m.name,
        ref=f"{org}/{m.name}",
        role=Role(m.role),
        legal_name=m.legal_name,
        country=m.country,
        certificate_serial=m.serial,
        signing="offline" if m.source == OWN_KEY else "custodial",
        status="revoked" if m.revoked else "active",
        revoked_reason=m.revoked_reason,
        created_at=m.created_at,
        keys=None
        if keys is None
        else [ApiKeyPublic(key_id=k.key_id, created_at=k.created_at, revoked_at=k.revoked_at) for k in keys],
    )


@router.post(
    "",
    status_code=201,
    dependencies=[_ONBOARD],
    responses=problem_responses(_BASE, (BodyTimeout, MemberExists, InvalidCsr)),
)
def enroll(body: MemberCreate, c: ComponentsDep) -> MemberEnrolled:
    """Enroll a member: a certificate from the org's CA, and its first API key (shown once)."""
    members = _members(c)
    done = members.enroll(body.name, body.role.value, body.legal_name, body.country, body.csr)
    m = done.member
    return MemberEnrolled(
        name=m.name,
        ref=f"{members.org.name}/{m.name}",
        role=Role(m.role),
        certificate_serial=m.serial,
        certificate=m.cert_pem.decode(),
        key_id=done.key_id,
        api_key=done.api_key,
        signing="offline" if m.source == OWN_KEY else "custodial",
    )


@router.get("", dependencies=[_ONBOARD], responses=problem_responses(_BASE))
def list_members(
    c: ComponentsDep,
    after: Annotated[str | None, Query(pattern=MEMBER_NAME, description="`next_after` of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MemberPage:
    members = _members(c)
    page = members.page(after, limit)
    return MemberPage(
        members=[public(m, members.org.name) for m in page],
        next_after=page[-1].name if len(page) == limit else None,
    )


@router.get("/{name}", dependencies=[_ONBOARD], responses=problem_responses(_BASE, (UnknownMember,)))
def get_member(name: Name, c: ComponentsDep) -> MemberPublic:
    members = _members(c)
    m, keys = members.get(name)
    return public(m, members.org.name, keys)


@router.post(
    "/{name}/keys",
    status_code=201,
    dependencies=[_ONBOARD],
    responses=problem_responses(_BASE, (UnknownMember,)),
)
def add_key(name: Name, c: ComponentsDep) -> ApiKeyIssued:
    """A further API key; the member's other keys keep working until deleted."""
    key_id, api_key = _members(c).add_key(name)
    return ApiKeyIssued(key_id=key_id, api_key=api_key)


@router.delete(
    "/{name}/keys/{key_id}",
    status_code=204,
    dependencies=[_ONBOARD],
    responses=problem_responses(_BASE, (UnknownMember, UnknownApiKey, TopologyIdentity)),
)
def delete_key(name: Name, key_id: KeyId, c: ComponentsDep) -> Response:
    """Revoke one API key at once (401 from then on)."""
    _members(c).revoke_key(name, key_id)
    return Response(status_code=204)


@router.post(
    "/{name}/revoke",
    dependencies=[_ONBOARD],
    responses=problem_responses(_BASE, (BodyTimeout, UnknownMember, TopologyIdentity, LedgerUnavailable, LedgerError)),
)
def revoke(name: Name, body: MemberRevoke, c: ComponentsDep) -> MemberPublic:
    """Revoke the member: its API keys at once, its certificate in the org's CRL on the channel (the peers
    refuse what it signs from then on). Its accounts and balances stay. Revoking again publishes again."""
    members = _members(c)
    return public(members.revoke(name, body.reason), members.org.name)
