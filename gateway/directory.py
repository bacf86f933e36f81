"""Who may call a gateway: the org's dev identities, their Fabric credentials and their API keys.

Dev API keys are generated at the first start and kept in `<data>/gateways/<Org>/api-keys.json` (mode
0600); only their SHA-256 digests are compared at request time, and keys are never logged.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509

from chaincode import access
from chaincode.stub import Creator
from network.layout import Layout
from network.pki import SERVICE_IDENTITY, OrgCrypto, TlsPair
from network.topology import Org, Topology

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")  # a member's name: a slug


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated API user, bound to one Fabric identity of the gateway's org: its MSP folder (what
    signs) and its TLS client pair (what the gateway presents to the peer on this user's connection)."""

    org: str
    name: str
    role: str
    msp_id: str
    msp_dir: Path | None  # a topology identity's MSP folder; None for a member enrolled at runtime
    tls: TlsPair
    # A member enrolled at runtime: its certificate, and its private key when the gateway holds it.
    cert_pem: bytes | None = None
    key_pem: bytes | None = None

    @property
    def ref(self) -> str:
        return f"{self.org}/{self.name}"

    @property
    def signs_offline(self) -> bool:
        """A member that kept its own key: the gateway cannot sign for it (`gateway.signing`)."""
        return self.msp_dir is None and self.key_pem is None

    def certificate_pem(self) -> bytes:
        if self.cert_pem is not None:
            return self.cert_pem
        assert self.msp_dir is not None  # one of the two is always set
        return (self.msp_dir / "signcerts" / "cert.pem").read_bytes()


class MemberLookup(Protocol):
    """The org's members enrolled at runtime (`gateway.onboarding.Members`), as authentication sees them."""

    def caller(self, api_key: str) -> Caller | None:
        """The unrevoked member holding this unrevoked key, or None."""
        ...


def api_keys_path(layout: Layout, org: Org) -> Path:
    return layout.gateways / org.name / "api-keys.json"


def ensure_api_keys(layout: Layout, org: Org) -> dict[str, str]:
    """identity name → API key for org's dev identities; creates missing keys, keeps existing ones."""
    path = api_keys_path(layout, org)
    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for ident in org.identities:
        if ident.name not in keys:
            keys[ident.name] = f"dev-{org.name.lower()}-{ident.name}-{secrets.token_urlsafe(24)}"
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(keys, indent=2, sort_keys=True) + "\n")
        path.chmod(0o600)
    return keys


def viewer_of(caller: Caller) -> access.Caller:
    """The chaincode's view of a caller's certificate. Raises ContractError when it is no certificate."""
    return access.caller_of(Creator(caller.msp_id, caller.certificate_pem()))


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class Directory:
    """Resolves API keys to callers (this org) and identity references to certificate subjects (any org).

    With `members`, API keys are the members' (the topology's identities among them, imported at the first
    start); without, only the topology identities' dev keys (tools and tests that need no database).
    """

    def __init__(self, topology: Topology, layout: Layout, org: Org, members: MemberLookup | None = None) -> None:
        self.topology = topology
        self.layout = layout
        self.org = org
        self.members = members
        keys = ensure_api_keys(layout, org)
        crypto = OrgCrypto(layout.crypto, org)
        self._callers = {
            _digest(keys[i.name]): Caller(
                org.name, i.name, i.role, org.msp_id, crypto.user_msp(i.name), crypto.user_tls(i.name)
            )
            for i in org.identities
        }
        # The gateway's own identity: it reads events and transactions for everyone (no API key reaches it).
        self.service = Caller(
            org.name,
            SERVICE_IDENTITY,
            SERVICE_IDENTITY,
            org.msp_id,
            crypto.service_msp(),
            crypto.user_tls(SERVICE_IDENTITY),
        )
        self._viewers = {c.ref: viewer_of(c) for c in self._callers.values()}

    def authenticate(self, api_key: str) -> Caller | None:
        """The caller whose key this is, or None: one lookup of the key's SHA-256 digest (a hash-table or
        index lookup on a digest reveals nothing usable about the key through timing)."""
        if self.members is not None:
            return self.members.caller(api_key)
        return self._callers.get(_digest(api_key))

    def viewer(self, caller: Caller) -> access.Caller:
        """The caller as the chaincode sees it (MSP ID, subject, role from its certificate): what the
        visibility rule (`chaincode.access`) is applied to for reads the gateway serves itself."""
        found = self._viewers.get(caller.ref)
        if found is None:
            found = viewer_of(caller)
            if caller.msp_dir is not None:
                self._viewers[caller.ref] = found
        return found

    @property
    def callers(self) -> list[Caller]:
        """The topology's identities of this org."""
        return list(self._callers.values())

    @property
    def identity_refs(self) -> list[str]:
        """`Org/name` of every dev identity in the network: the holders an account can be opened for."""
        return [f"{org.name}/{i.name}" for org in self.topology.orgs for i in org.identities]

    def holder(self, ref: str) -> tuple[str, str] | None:
        """`Org/name` → (MSP ID, certificate subject) of that identity — a topology identity or a member
        enrolled at runtime by any org (its published certificate) — or None if there is no such identity.
        A revoked member still resolves: its accounts stay."""
        org_name, _, name = ref.partition("/")
        try:
            org = self.topology.org(org_name)
        except KeyError:
            return None
        crypto = OrgCrypto(self.layout.crypto, org)
        if name in {i.name for i in org.identities}:
            cert_path = crypto.user_msp(name) / "signcerts" / "cert.pem"
        elif NAME_PATTERN.fullmatch(name) and crypto.member_cert(name).is_file():
            cert_path = crypto.member_cert(name)
        else:
            return None
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return org.msp_id, cert.subject.rfc4514_string()
