"""Who signs: an MSP identity (MSP ID + X.509 certificate) and its ECDSA P-256 signer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from gateway.fabric import _protos

# Order of the P-256 group. Fabric rejects signatures whose s is in the upper half (malleable twins).
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_HALF_ORDER = _P256_ORDER >> 1


@dataclass(frozen=True, slots=True)
class Identity:
    """A client identity: its MSP ID and the PEM of its X.509 certificate."""

    msp_id: str
    cert_pem: bytes

    def serialize(self) -> bytes:
        """The serialized `msp.SerializedIdentity`: the proposal's creator and the tx id's input."""
        message = _protos.identities.SerializedIdentity(mspid=self.msp_id, id_bytes=self.cert_pem)
        return bytes(message.SerializeToString())


class Signer:
    """Signs messages with ECDSA P-256 over SHA-256, DER encoded, with low S as Fabric requires.

    Thread-safe: it holds only the immutable private key.
    """

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        """Raises ValueError unless the key is on P-256."""
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError(f"Fabric client keys are ECDSA P-256, not {private_key.curve.name}")
        self._private_key = private_key

    @classmethod
    def from_pem(cls, private_key_pem: bytes) -> Signer:
        """A signer for an unencrypted PEM private key. Raises ValueError if it is not an EC P-256 key."""
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("Fabric client keys are ECDSA P-256 keys")
        return cls(key)

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._private_key.public_key()

    def sign(self, message: bytes) -> bytes:
        """The DER ECDSA signature of SHA-256(message), with s normalised to the lower half."""
        der = self._private_key.sign(message, ec.ECDSA(hashes.SHA256()))
        return low_s(der)


def low_s(der_signature: bytes) -> bytes:
    """The same P-256 signature with s replaced by n - s when s > n/2."""
    r, s = decode_dss_signature(der_signature)
    if s > _P256_HALF_ORDER:
        return encode_dss_signature(r, _P256_ORDER - s)
    return der_signature


def load_msp(msp_dir: str | Path, msp_id: str) -> tuple[Identity, Signer]:
    """Identity and signer from an MSP directory: the one file in `signcerts/` and in `keystore/`.

    Raises FileNotFoundError if a directory is missing, ValueError if it does not hold exactly one file
    or the files are not a certificate and a P-256 key.
    """
    msp = Path(msp_dir)
    cert_pem = _single_file(msp / "signcerts").read_bytes()
    certificate = x509.load_pem_x509_certificate(cert_pem)
    signer = Signer.from_pem(_single_file(msp / "keystore").read_bytes())
    # A mismatched pair would only show up as a signature failure on the peer.
    if certificate.public_key() != signer.public_key:
        raise ValueError(f"the key in {msp / 'keystore'} does not belong to the certificate in signcerts")
    return Identity(msp_id, cert_pem), signer


def _single_file(directory: Path) -> Path:
    if not directory.is_dir():
        raise FileNotFoundError(f"no directory {directory}")
    files = sorted(path for path in directory.iterdir() if path.is_file())
    if len(files) != 1:
        raise ValueError(f"expected exactly one file in {directory}, found {len(files)}")
    return files[0]
