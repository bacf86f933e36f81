"""The org's certificate authority at runtime: enrolls members and keeps the org's revocation list.

One small port (`CertificateAuthority`) so a deployment can put a real Fabric CA (its enroll and revoke
calls) or an HSM-held key behind it; `LocalCA` signs with the org's signing CA key on disk (the one
`network.pki` creates for the dev identities), because Fabric CA cannot be installed here.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from network.pki import issue_member, load_signing_ca, member_subject
from network.topology import Org

MEMBER_VALIDITY = dt.timedelta(days=365)
CRL_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class Revoked:
    serial: int
    revoked_at: dt.datetime


class CertificateAuthority(Protocol):
    def subject(self, name: str) -> x509.Name:
        """The subject a member called name gets."""
        ...

    def enroll(self, name: str, role: str, public_key: ec.EllipticCurvePublicKey) -> x509.Certificate:
        """A member certificate for public_key (NodeOU client, role attribute, unique serial)."""
        ...

    def revocation_list(self, revoked: list[Revoked]) -> bytes:
        """The org's CRL (PEM) listing every revoked serial, signed by the CA."""
        ...


class LocalCA:
    """The org's signing CA from `<data>/crypto/<Org>/ca/` (`ca.pem`, `ca.key`). Raises FileNotFoundError
    at construction when the CA does not exist yet (run `deposits network up` first)."""

    def __init__(self, ca_dir: Path, org: Org, validity: dt.timedelta = MEMBER_VALIDITY) -> None:
        self._cert, self._key = load_signing_ca(ca_dir)
        self._org = org
        self._validity = validity
        self._lock = threading.Lock()

    @property
    def certificate(self) -> x509.Certificate:
        return self._cert

    def subject(self, name: str) -> x509.Name:
        return member_subject(self._org, name)

    def enroll(self, name: str, role: str, public_key: ec.EllipticCurvePublicKey) -> x509.Certificate:
        return issue_member(self._cert, self._key, self._org, name, role, public_key, self._validity)

    def revocation_list(self, revoked: list[Revoked]) -> bytes:
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self._cert.subject)
            .last_update(now)
            .next_update(now + CRL_VALIDITY)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
        )
        for r in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(r.serial).revocation_date(r.revoked_at).build()
            )
        with self._lock:
            crl = builder.sign(self._key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.PEM)
