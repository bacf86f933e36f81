"""Who is calling, and what that caller may do.

The caller is the proposal's creator: an MSP ID and an X.509 certificate. The peer has already checked
that the certificate chains to that MSP and that the proposal is signed by its key; what the contract
adds is the *role*, read from the certificate's Fabric-CA attribute extension (OID 1.2.3.4.5.6.7.8.1,
value `{"attrs":{"role":"issuer"}}`) — never from a name. A role counts only in the MSP that grants it
(`ROLE_MSP`): a PlatformMSP certificate claiming `issuer` has no role at all, and a caller without a
role may do nothing.

An account's holder is an identity `(msp_id, subject)`, subject being the certificate subject as an
RFC 4514 string; only a caller with the `holder` role and that identity acts for the account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509

from chaincode.domain import Account
from chaincode.errors import ContractError, ErrorCode
from chaincode.stub import Creator

ATTRIBUTE_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
ROLE_ATTRIBUTE = "role"


class Role(StrEnum):
    ISSUER = "issuer"
    COMPLIANCE = "compliance"
    OPERATOR = "operator"
    HOLDER = "holder"
    AUDITOR = "auditor"


# The one MSP in which each role means something (network/topology.yaml grants the same; a test checks).
ROLE_MSP: dict[Role, str] = {
    Role.ISSUER: "BankMSP",
    Role.COMPLIANCE: "BankMSP",
    Role.OPERATOR: "PlatformMSP",
    Role.HOLDER: "PlatformMSP",
    Role.AUDITOR: "AuditorMSP",
}

# Roles that may read every account, history, redemption and the supply (a tuple: messages list them in order).
READ_ALL_ROLES = (Role.ISSUER, Role.COMPLIANCE, Role.OPERATOR, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class Caller:
    msp_id: str
    subject: str
    role: Role | None

    def __str__(self) -> str:
        return f"{self.msp_id} {self.subject!r} ({self.role or 'no role'})"


def caller_of(creator: Creator) -> Caller:
    """The caller's identity and role. Raises ContractError(UNAUTHORIZED) when id_bytes is no PEM certificate."""
    try:
        cert = x509.load_pem_x509_certificate(creator.id_bytes)
    except ValueError as exc:
        raise ContractError(ErrorCode.UNAUTHORIZED, "the creator's identity is not a PEM X.509 certificate") from exc
    role = _role_claim(cert)
    granted = role if role is not None and ROLE_MSP[role] == creator.msp_id else None
    return Caller(creator.msp_id, cert.subject.rfc4514_string(), granted)


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


def can_read_all(caller: Caller) -> bool:
    return caller.role in READ_ALL_ROLES


def require_reader(caller: Caller) -> None:
    """Any read at all: the read-everything roles and holders. Raises ContractError(UNAUTHORIZED)."""
    require_role(caller, *READ_ALL_ROLES, Role.HOLDER)


def require_account_reader(caller: Caller, account: Account) -> None:
    """Read-everything roles, or the account's holder. Raises ContractError(UNAUTHORIZED)."""
    if not (can_read_all(caller) or is_holder(caller, account)):
        raise ContractError(ErrorCode.UNAUTHORIZED, f"{caller} may not read account {account.id}")
