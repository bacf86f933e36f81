"""Caller identity → role, from the certificate's attribute extension, valid only in its own MSP."""

from __future__ import annotations

import pytest
from chaincode_fixtures import certificate, dev_identities, make_identity

from chaincode import access
from chaincode.access import ROLE_MSP, Role, caller_of
from chaincode.domain import Account
from chaincode.errors import ContractError, ErrorCode
from chaincode.stub import Creator
from network.topology import load_topology


def test_dev_identities_get_their_roles() -> None:
    expected = {
        "issuer": ("BankMSP", Role.ISSUER),
        "compliance": ("BankMSP", Role.COMPLIANCE),
        "operator": ("PlatformMSP", Role.OPERATOR),
        "buyer-us": ("PlatformMSP", Role.HOLDER),
        "seller-cn": ("PlatformMSP", Role.HOLDER),
        "auditor": ("AuditorMSP", Role.AUDITOR),
    }
    for name, (msp, role) in expected.items():
        caller = caller_of(dev_identities()[name].creator)
        assert (caller.msp_id, caller.role) == (msp, role)
        assert caller.subject == dev_identities()[name].subject


def test_subject_is_rfc4514() -> None:
    caller = caller_of(dev_identities()["buyer-us"].creator)
    assert caller.subject == "CN=buyer-us,OU=client,O=platform.example.com,C=US"


def test_role_msp_agrees_with_topology() -> None:
    granted = {(org.msp_id, ident.role) for org in load_topology().orgs for ident in org.identities}
    assert granted == {(msp, str(role)) for role, msp in ROLE_MSP.items()}


@pytest.mark.parametrize(
    ("role", "msp"),
    [
        ("issuer", "PlatformMSP"),
        ("auditor", "BankMSP"),
        ("holder", "AuditorMSP"),
        ("operator", "BankMSP"),
        ("issuer", "OtherMSP"),
    ],
)
def test_role_from_the_wrong_msp_means_nothing(role: str, msp: str) -> None:
    assert caller_of(make_identity("mallory", msp, role).creator).role is None


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"attrs":[]}',
        b'{"attrs":{"role":["issuer"]}}',
        b'{"attrs":{"role":"superuser"}}',
        b'{"attrs":{"hf.Role":"issuer"}}',
        b'{"role":"issuer"}',
    ],
)
def test_missing_or_malformed_attributes_give_no_role(value: bytes | None) -> None:
    pem = certificate("x", extension_value=value)
    assert caller_of(Creator("BankMSP", pem)).role is None


def test_extra_attributes_are_ignored() -> None:
    pem = certificate("x", extension_value=b'{"attrs":{"hf.EnrollmentID":"x","role":"compliance"}}')
    assert caller_of(Creator("BankMSP", pem)).role is Role.COMPLIANCE


BROKEN_PEM = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("id_bytes", [b"", b"garbage", BROKEN_PEM])
def test_not_a_certificate_is_unauthorized(id_bytes: bytes) -> None:
    with pytest.raises(ContractError) as exc:
        caller_of(Creator("BankMSP", id_bytes))
    assert exc.value.code is ErrorCode.UNAUTHORIZED


def test_holder_needs_role_msp_and_subject() -> None:
    buyer = caller_of(dev_identities()["buyer-us"].creator)
    account = Account("acme", buyer.msp_id, buyer.subject, "KYC")
    assert access.is_holder(buyer, account)
    seller = caller_of(dev_identities()["seller-cn"].creator)
    assert not access.is_holder(seller, account)
    operator = caller_of(dev_identities()["operator"].creator)
    assert not access.is_holder(operator, Account("x", operator.msp_id, operator.subject, "KYC"))
    with pytest.raises(ContractError) as exc:
        access.require_holder(seller, account)
    assert exc.value.code is ErrorCode.UNAUTHORIZED
