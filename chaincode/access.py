"""Who is calling, and what that caller may do.

The caller is the proposal's creator: an MSP ID and an X.509 certificate. The peer has already checked
that the certificate chains to that MSP and that the proposal is signed by its key; what the contract
adds is the *role*, read from the certificate's Fabric-CA attribute extension (OID 1.2.3.4.5.6.7.8.1,
value `{"attrs":{"role":"issuer"}}`) — never from a name. A role counts only in the MSP that grants it
(`ROLE_MSP`): a PlatformMSP certificate claiming `issuer` has no role at all, and a caller without a
role may do nothing.

An account's holder is an identity `(msp_id, subject)`, subject being the certificate subject as an
RFC 4514 string; only a caller with the `holder` role and that identity acts for the account.

What a caller may SEE is decided here and nowhere else (the gateway imports these functions for what it
serves outside chaincode queries: the event stream, transaction lookups):

    caller                       accounts, their history and redemptions     payments (events)
    issuer, compliance, auditor, all                                         all
    treasury (the books connector)
    operator (PlatformMSP)       those held by PlatformMSP identities        those touching such an account
    holder                       its own                                     those touching its accounts
    fx_desk (BankMSP)            nothing (it reads quotes, supply, position) none
    anyone else                  nothing                                     nothing

A payment is seen through its legs (`protocol.Leg`, one per account it touches): a party that sees
only credit legs of a payment (a payee of a bulk payout) sees those legs and the payer's, never the
other payees'. Whatever a caller may not see is reported exactly as if it did not exist.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from enum import StrEnum

from cryptography import x509

from chaincode.domain import Account
from chaincode.errors import ContractError, ErrorCode
from chaincode.protocol import Event
from chaincode.stub import Creator

ATTRIBUTE_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
ROLE_ATTRIBUTE = "role"


class Role(StrEnum):
    ISSUER = "issuer"
    COMPLIANCE = "compliance"
    OPERATOR = "operator"
    HOLDER = "holder"
    AUDITOR = "auditor"
    # The bank's books (README "The bank's books"): the core banking system's identity posts ISO 20022
    # messages to the gateway and may do nothing on chain; the books connector mints, settles and attests.
    CORE = "core"
    TREASURY = "treasury"
    FX_DESK = "fx_desk"


# The one MSP in which each role means something (network/topology.yaml grants the same; a test checks).
ROLE_MSP: dict[Role, str] = {
    Role.ISSUER: "BankMSP",
    Role.COMPLIANCE: "BankMSP",
    Role.OPERATOR: "PlatformMSP",
    Role.HOLDER: "PlatformMSP",
    Role.AUDITOR: "AuditorMSP",
    Role.CORE: "BankMSP",
    Role.TREASURY: "BankMSP",
    Role.FX_DESK: "BankMSP",
}

# Systems, not people: their identities are the topology's, never enrolled at runtime (gateway.onboarding).
SYSTEM_ROLES = (Role.CORE, Role.TREASURY)
# Roles that see every account, history, redemption and payment.
SEE_ALL_ROLES = (Role.ISSUER, Role.COMPLIANCE, Role.AUDITOR, Role.TREASURY)
# Roles that may make reads at all (each then sees what the rule below allows; a tuple: messages list them).
# fx_desk reads the registry, quotes, supply and the position, and no one's accounts.
READER_ROLES = (*SEE_ALL_ROLES, Role.OPERATOR, Role.HOLDER, Role.FX_DESK)
# The bank's FX position: the bank's roles and the auditor.
POSITION_ROLES = (Role.ISSUER, Role.COMPLIANCE, Role.FX_DESK, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class Caller:
    msp_id: str
    subject: str
    role: Role | None

    def __str__(self) -> str:
        return f"{self.msp_id} {self.subject!r} ({self.role or 'no role'})"


def caller_of(creator: Creator, *, issuing_bank: bool = False) -> Caller:
    """The caller's identity and role. `issuing_bank`: the ledger's issuer registry names the creator's MSP,
    whose `issuer` role then counts too (it mints and redeems that bank's own instruments only, see
    `domain.instruments`). Raises ContractError(UNAUTHORIZED) when id_bytes is no PEM certificate."""
    subject, role = _claims(creator.id_bytes)
    granted = role if role is not None and ROLE_MSP[role] == creator.msp_id else None
    if role is Role.ISSUER and issuing_bank:
        granted = role
    return Caller(creator.msp_id, subject, granted)


@functools.lru_cache(maxsize=4096)
def _claims(id_bytes: bytes) -> tuple[str, Role | None]:
    """The certificate's subject and the role it claims. A function of the bytes alone, so it is kept for the
    callers seen lately: parsing the certificate was a twentieth of an endorsement's CPU, and is the same
    for every transaction of one caller. Raises ContractError(UNAUTHORIZED) when they are no PEM certificate
    (not kept)."""
    try:
        cert = x509.load_pem_x509_certificate(id_bytes)
    except ValueError as exc:
        raise ContractError(ErrorCode.UNAUTHORIZED, "the creator's identity is not a PEM X.509 certificate") from exc
    return cert.subject.rfc4514_string(), _role_claim(cert)


def claims_foreign_issuer(creator: Creator) -> bool:
    """Whether the certificate claims `issuer` in an MSP other than the default issuer's: only then does the
    contract read the issuer registry (one read for those callers, none for everyone else).
    Raises ContractError(UNAUTHORIZED) when id_bytes is no PEM certificate."""
    return creator.msp_id != ROLE_MSP[Role.ISSUER] and _claims(creator.id_bytes)[1] is Role.ISSUER


def require_default_issuer(caller: Caller) -> None:
    """The network-wide registries (currencies, issuing banks) are the founding bank's issuer's to keep.
    Raises ContractError(UNAUTHORIZED)."""
    if caller.role is not Role.ISSUER or caller.msp_id != ROLE_MSP[Role.ISSUER]:
        raise ContractError(ErrorCode.UNAUTHORIZED, f"{caller} may not do this; needs {ROLE_MSP[Role.ISSUER]} issuer")


def _role_claim(cert: x509.Certificate) -> Role | None:
    """The role the certificate claims, or None when it has no (well-formed, known) role attribute."""
    try:
        extension = cert.extensions.get_extension_for_oid(ATTRIBUTE_OID)
    except (x509.ExtensionNotFound, ValueError):  # ValueError: some other extension is malformed
        return None
    value = extension.value
    if not isinstance(value, x509.UnrecognizedExtension):
        return None
    try:
        document = json.loads(value.value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    attrs = document.get("attrs") if isinstance(document, dict) else None
    role = attrs.get(ROLE_ATTRIBUTE) if isinstance(attrs, dict) else None
    return Role(role) if isinstance(role, str) and role in _ROLE_NAMES else None


_ROLE_NAMES = frozenset(r.value for r in Role)


def require_role(caller: Caller, *roles: Role) -> None:
    """Raises ContractError(UNAUTHORIZED) unless the caller has one of `roles`."""
    if caller.role not in roles:
        wanted = " or ".join(f"{ROLE_MSP[r]} {r}" for r in roles)
        raise ContractError(ErrorCode.UNAUTHORIZED, f"{caller} may not do this; needs {wanted}")


def is_holder(caller: Caller, account: Account) -> bool:
    return (
        caller.role is Role.HOLDER and caller.msp_id == account.holder_msp and caller.subject == account.holder_subject
    )


def require_holder(caller: Caller, account: Account) -> None:
    """Raises ContractError(UNAUTHORIZED) unless the caller holds `account`."""
    if not is_holder(caller, account):
        raise ContractError(ErrorCode.UNAUTHORIZED, f"{caller} does not hold account {account.id}")


def require_reader(caller: Caller) -> None:
    """Any read at all. Raises ContractError(UNAUTHORIZED): the same answer whatever the read names."""
    require_role(caller, *READER_ROLES)


# --- the visibility rule ----------------------------------------------------------------------------------


def sees_all(caller: Caller) -> bool:
    return caller.role in SEE_ALL_ROLES


def may_see_party(caller: Caller, msp_id: str, subject: str) -> bool:
    """Whether the caller may see what belongs to the identity (msp_id, subject): the rule's one core."""
    if sees_all(caller):
        return True
    if caller.role is Role.OPERATOR:
        return msp_id == caller.msp_id  # the platform's own holders
    if caller.role is Role.HOLDER:
        return (msp_id, subject) == (caller.msp_id, caller.subject)
    return False


def may_see_account(caller: Caller, account: Account) -> bool:
    """An account, its balances, its history and its redemptions."""
    return may_see_party(caller, account.holder_msp, account.holder_subject)


def visible_event(caller: Caller, event: Event) -> Event | None:
    """The part of a committed event the caller may see, or None when it may see none of it.

    An event without legs (written before events carried them) is for the see-all roles only.
    """
    if sees_all(caller):
        return event
    own = [leg for leg in event.legs if may_see_party(caller, leg.holder_msp, leg.holder_subject)]
    if not own:
        return None
    # Every leg its own, or it pays (or is the subject of a non-money event): the whole event is its own.
    if len(own) == len(event.legs) or any(leg.amount is None or leg.amount < 0 for leg in own):
        return event
    # A payee of a payment with other payees: its own credits and who paid them, not the other payees.
    kept = tuple(leg for leg in event.legs if leg in own or (leg.amount is not None and leg.amount < 0))
    if len(kept) == len(event.legs):
        return event  # nothing to hide (a payee and its payer): the event as it is, amounts and currencies
    received = sum(leg.amount or 0 for leg in own)
    return replace(event, legs=kept, accounts=tuple(leg.account for leg in kept), amount=received)


def may_see_transaction(caller: Caller, event: Event | None) -> bool:
    """A transaction is seen through the event it set; one without (configuration, lifecycle, or an event
    this contract does not recognise) is for the see-all roles only."""
    if event is None:
        return sees_all(caller)
    return visible_event(caller, event) is not None


def listing_scope(caller: Caller, holder_msp: str | None, holder_subject: str | None) -> tuple[str, ...] | None:
    """The holder-index prefix (`()`, `(msp,)` or `(msp, subject)`) of the accounts the caller may list under
    the optional holder filter, or None when it may list none of them."""
    wanted = tuple(p for p in (holder_msp, holder_subject) if p is not None)
    if sees_all(caller):
        return wanted
    if caller.role is Role.OPERATOR:
        mine: tuple[str, ...] = (caller.msp_id,)
    elif caller.role is Role.HOLDER:
        mine = (caller.msp_id, caller.subject)
    else:
        return None
    # The narrower of the two prefixes, when one extends the other; otherwise nothing is both.
    if wanted[: len(mine)] == mine:
        return wanted
    if mine[: len(wanted)] == wanted:
        return mine
    return None
