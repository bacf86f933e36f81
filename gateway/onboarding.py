"""Onboarding: the org's members joining and leaving at runtime (the use cases behind /v1/members).

Enrollment asks the org's CA (`gateway.ca`) for a certificate — for a key the gateway makes and keeps sealed
(custodial), or for the public key of a member's own CSR (the member keeps its private key) — publishes
the certificate (public) where every org's gateway can resolve `Org/name` to a holder, and stores the
member with its first API key (`gateway.members`). Revocation stops the member's keys at once and hands
the org's new CRL to `Revocations`, which puts it in the channel's MSP configuration, where the peers
enforce it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from chaincode.access import ROLE_MSP, SYSTEM_ROLES
from gateway.ca import CertificateAuthority, Revoked
from gateway.directory import NAME_PATTERN, Caller
from gateway.errors import BadRequest, InvalidCsr, MemberExists, TopologyIdentity, UnknownApiKey, UnknownMember
from gateway.members import (
    CUSTODIAL,
    OWN_KEY,
    TOPOLOGY,
    ApiKey,
    Member,
    MemberStore,
    Sealer,
    key_digest,
    new_api_key,
    serial_hex,
)
from network.pki import OrgCrypto, TlsPair
from network.topology import Org


class Revocations(Protocol):
    def publish(self, crl_pem: bytes) -> None:
        """Make crl_pem the org's revocation list in the channel's configuration. Raises ServiceError."""
        ...


@dataclass(frozen=True, slots=True)
class Enrolled:
    member: Member
    key_id: str
    api_key: str


class Members:
    """This org's members. Thread-safe; authentication (`caller`) is one indexed lookup and a cache hit."""

    def __init__(
        self,
        org: Org,
        crypto: OrgCrypto,
        store: MemberStore,
        sealer: Sealer,
        ca: CertificateAuthority,
        service_tls: TlsPair,
        revocations: Revocations | None = None,
    ) -> None:
        """service_tls: the TLS client pair a member's connection to the peer presents (the gateway's own:
        TLS authenticates the process that dials, the member's certificate signs what it sends)."""
        self.org = org
        self._crypto = crypto
        self._store = store
        self._sealer = sealer
        self._ca = ca
        self._tls = service_tls
        self._revocations = revocations
        self._callers: dict[str, Caller] = {}
        self._lock = threading.Lock()
        self._publishing = threading.Lock()  # one config update at a time: each builds on the last

    # --- authentication ----------------------------------------------------------------------------------

    def caller(self, api_key: str) -> Caller | None:
        name = self._store.member_of_key(key_digest(api_key))
        if name is None:
            return None
        with self._lock:
            found = self._callers.get(name)
        if found is not None:
            return found
        member = self._store.get(name)
        if member is None or member.revoked:
            return None
        if member.source == TOPOLOGY:
            made = Caller(
                self.org.name,
                name,
                member.role,
                self.org.msp_id,
                self._crypto.user_msp(name),
                self._crypto.user_tls(name),
            )
        else:
            sealed = self._store.sealed_key(name)
            key_pem = None if sealed is None else self._sealer.open(name, sealed)
            made = Caller(self.org.name, name, member.role, self.org.msp_id, None, self._tls, member.cert_pem, key_pem)
        with self._lock:
            self._callers[name] = made
        return made

    # --- the topology's identities -----------------------------------------------------------------------

    def import_topology(self, api_keys: dict[str, str]) -> None:
        """Record each topology identity of the org (certificate and dev API key) unless recorded already."""
        for ident in self.org.identities:
            if self._store.get(ident.name) is not None:
                continue
            pem = (self._crypto.user_msp(ident.name) / "signcerts" / "cert.pem").read_bytes()
            cert = x509.load_pem_x509_certificate(pem)
            member = Member(
                ident.name, ident.role, ident.name, "US", pem, serial_hex(cert), TOPOLOGY, int(time.time()), None, None
            )
            self._store.add(member, None, secrets.token_hex(8), key_digest(api_keys[ident.name]))

    # --- enrollment --------------------------------------------------------------------------------------

    def enrollable_roles(self) -> list[str]:
        return sorted(r.value for r, msp in ROLE_MSP.items() if msp == self.org.msp_id and r not in SYSTEM_ROLES)

    def enroll(self, name: str, role: str, legal_name: str, country: str, csr_pem: str | None = None) -> Enrolled:
        """Enroll a member. Raises BadRequest (a role this org does not grant, a name that is no slug),
        InvalidCsr, MemberExists."""
        if not NAME_PATTERN.fullmatch(name):
            raise BadRequest(f"name {name!r} must match {NAME_PATTERN.pattern}")
        if role not in self.enrollable_roles():
            raise BadRequest(f"{self.org.name} grants the roles {', '.join(self.enrollable_roles())}, not {role!r}")
        if self._store.get(name) is not None:
            raise MemberExists(f"{self.org.name}/{name} is enrolled already")
        private_key: ec.EllipticCurvePrivateKey | None = None
        if csr_pem is None:
            private_key = ec.generate_private_key(ec.SECP256R1())
            public_key = private_key.public_key()
        else:
            public_key = self._csr_key(name, csr_pem)
        cert = self._ca.enroll(name, role, public_key)
        pem = cert.public_bytes(Encoding.PEM)
        member = Member(
            name,
            role,
            legal_name,
            country,
            pem,
            serial_hex(cert),
            CUSTODIAL if private_key is not None else OWN_KEY,
            int(time.time()),
            None,
            None,
        )
        key_id, api_key = new_api_key(self.org.name)
        sealed = None if private_key is None else self._sealer.seal(name, private_key)
        if not self._store.add(member, sealed, key_id, key_digest(api_key)):
            raise MemberExists(f"{self.org.name}/{name} is enrolled already")
        published = self._crypto.member_cert(name)
        published.parent.mkdir(parents=True, exist_ok=True)
        published.write_bytes(pem)
        return Enrolled(member, key_id, api_key)

    def _csr_key(self, name: str, csr_pem: str) -> ec.EllipticCurvePublicKey:
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError as exc:
            raise InvalidCsr(f"not a PEM PKCS#10 request: {exc}") from exc
        if not csr.is_signature_valid:
            raise InvalidCsr("the request's signature does not verify")
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise InvalidCsr("the key must be ECDSA P-256")
        cns = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if cns and any(a.value != name for a in cns):
            raise InvalidCsr(f"the request's subject names {cns[0].value!r}, not {name!r}")
        return key

    # --- reading -----------------------------------------------------------------------------------------

    def get(self, name: str) -> tuple[Member, list[ApiKey]]:
        """Raises UnknownMember."""
        member = self._store.get(name)
        if member is None:
            raise UnknownMember(f"no member {self.org.name}/{name}")
        return member, self._store.keys(name)

    def page(self, after: str | None, limit: int) -> list[Member]:
        return self._store.page(after, limit)

    # --- keys and revocation -----------------------------------------------------------------------------

    def add_key(self, name: str) -> tuple[str, str]:
        """(key id, API key) of a further key. Raises UnknownMember (also for a revoked member)."""
        key_id, api_key = new_api_key(self.org.name)
        if not self._store.add_key(name, key_id, key_digest(api_key)):
            raise UnknownMember(f"no active member {self.org.name}/{name}")
        return key_id, api_key

    def _not_topology(self, name: str) -> None:
        """Raises UnknownMember, TopologyIdentity: the topology's identities are the network's own cast (named
        in the topology file, their keys printed by `deposits network status`); they change there."""
        member, _ = self.get(name)
        if member.source == TOPOLOGY:
            raise TopologyIdentity(f"{self.org.name}/{name} is a topology identity: change network/topology.yaml")

    def revoke_key(self, name: str, key_id: str) -> None:
        """Raises UnknownMember, TopologyIdentity, UnknownApiKey."""
        self._not_topology(name)
        if not self._store.revoke_key(name, key_id):
            raise UnknownApiKey(f"{self.org.name}/{name} has no key {key_id!r}")

    def revoke(self, name: str, reason: str) -> Member:
        """Revoke the member: its keys at once, its certificate in the org's CRL on the channel. Raises
        UnknownMember, TopologyIdentity, and what `Revocations.publish` raises (the keys stay revoked; revoking
        again retries)."""
        self._not_topology(name)
        if not self._store.revoke(name, reason):
            raise UnknownMember(f"no member {self.org.name}/{name}")
        with self._lock:
            self._callers.pop(name, None)
        if self._revocations is not None:
            with self._publishing:
                self._publish()
        member, _ = self.get(name)
        return member

    def _publish(self) -> None:
        if self._revocations is not None:
            listed = [
                Revoked(m.serial_number, dt.datetime.fromtimestamp(m.revoked_at or 0, dt.UTC))
                for m in self._store.revoked()
            ]
            self._revocations.publish(self._ca.revocation_list(listed))
