from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from fabric_fake_gateway import MSP_ID, P256_ORDER, KeyPair, make_key_pair, verify_signature
from fabric_protos.msp import identities_pb2

from gateway.fabric import Identity, Signer, load_msp
from gateway.fabric._identity import low_s


def test_low_s_replaces_high_s_with_its_complement(client_keys: KeyPair) -> None:
    message = b"proposal bytes"
    der = client_keys.key.sign(message, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    low, high = min(s, P256_ORDER - s), max(s, P256_ORDER - s)
    high_der = encode_dss_signature(r, high)
    client_keys.key.public_key().verify(high_der, message, ec.ECDSA(hashes.SHA256()))  # both are valid

    assert decode_dss_signature(low_s(high_der)) == (r, low)
    assert low_s(encode_dss_signature(r, low)) == encode_dss_signature(r, low)


def test_signer_signatures_are_valid_and_low_s(client_keys: KeyPair, signer: Signer) -> None:
    # Half of raw ECDSA signatures have high S; 64 tries all pass only if normalisation works.
    for index in range(64):
        message = f"message {index}".encode()
        verify_signature(client_keys.cert_pem, message, signer.sign(message))


def test_signer_rejects_other_curves() -> None:
    with pytest.raises(ValueError, match="P-256"):
        Signer(ec.generate_private_key(ec.SECP384R1()))


def test_signer_from_pem(client_keys: KeyPair) -> None:
    signer = Signer.from_pem(client_keys.key_pem)
    verify_signature(client_keys.cert_pem, b"m", signer.sign(b"m"))


def test_identity_serializes_as_msp_serialized_identity(identity: Identity, client_keys: KeyPair) -> None:
    decoded = identities_pb2.SerializedIdentity.FromString(identity.serialize())
    assert (decoded.mspid, decoded.id_bytes) == (MSP_ID, client_keys.cert_pem)


def _msp_dir(root: Path, keys: KeyPair, key_file: str, cert_key: KeyPair | None = None) -> Path:
    (root / "signcerts").mkdir(parents=True)
    (root / "keystore").mkdir()
    (root / "signcerts" / "cert.pem").write_bytes((cert_key or keys).cert_pem)
    (root / "keystore" / key_file).write_bytes(keys.key_pem)
    return root


@pytest.mark.parametrize("key_file", ["0a1b2c_sk", "key.pem", "anything"])
def test_load_msp_accepts_any_single_key_file(tmp_path: Path, client_keys: KeyPair, key_file: str) -> None:
    identity, signer = load_msp(_msp_dir(tmp_path, client_keys, key_file), MSP_ID)

    assert identity == Identity(MSP_ID, client_keys.cert_pem)
    verify_signature(client_keys.cert_pem, b"m", signer.sign(b"m"))


def test_load_msp_rejects_two_keys(tmp_path: Path, client_keys: KeyPair) -> None:
    msp = _msp_dir(tmp_path, client_keys, "a_sk")
    (msp / "keystore" / "b_sk").write_bytes(client_keys.key_pem)

    with pytest.raises(ValueError, match="exactly one file"):
        load_msp(msp, MSP_ID)


def test_load_msp_rejects_a_key_of_another_certificate(tmp_path: Path, client_keys: KeyPair) -> None:
    msp = _msp_dir(tmp_path, client_keys, "key.pem", cert_key=make_key_pair("someone else"))

    with pytest.raises(ValueError, match="does not belong"):
        load_msp(msp, MSP_ID)


def test_load_msp_needs_the_directories(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_msp(tmp_path, MSP_ID)
