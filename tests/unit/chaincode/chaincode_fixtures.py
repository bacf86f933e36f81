"""Test doubles for the contract: dev identities with real certificates, and an in-memory ledger."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chaincode import domain
from chaincode.access import ATTRIBUTE_OID
from chaincode.contract import Err, InvokeResult, Ok, invoke
from chaincode.errors import parse_error
from chaincode.memory_stub import MemoryStub, WorldState
from chaincode.state import canonical_json, currency_state
from chaincode.stub import Creator, TxTimestamp
from network.topology import load_topology


def certificate(
    cn: str,
    *,
    domain: str = "example.com",
    extension_value: bytes | None = None,
    role: str | None = None,
) -> bytes:
    """A self-signed PEM certificate shaped like our dev CA's: C/O/OU/CN subject, optional role attribute."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, domain),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
    )
    if role is not None:
        extension_value = canonical_json({"attrs": {"role": role}})
    if extension_value is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(ATTRIBUTE_OID, extension_value), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Identity:
    name: str
    msp_id: str
    role: str | None
    creator: Creator
    subject: str


def make_identity(name: str, msp_id: str, role: str | None, domain: str = "example.com") -> Identity:
    pem = certificate(name, domain=domain, role=role)
    subject = x509.load_pem_x509_certificate(pem).subject.rfc4514_string()
    return Identity(name, msp_id, role, Creator(msp_id, pem), subject)


@functools.cache
def dev_identities() -> dict[str, Identity]:
    """The topology's dev users (issuer, compliance, operator, buyer-us, seller-cn, auditor), by name."""
    out: dict[str, Identity] = {}
    for org in load_topology().orgs:
        for ident in org.identities:
            out[ident.name] = make_identity(ident.name, org.msp_id, ident.role, org.domain)
    return out


def who(name: str) -> Identity:
    return dev_identities()[name]


WRITE_FUNCTIONS = (
    "open_account",
    "mint",
    "transfer",
    "redeem",
    "settle_redemption",
    "reject_redemption",
    "freeze",
    "unfreeze",
)


class Ledger:
    """A world state plus helpers that run one transaction each and commit it only when it succeeds."""

    def __init__(self) -> None:
        self.world = WorldState()
        # The registry `deposits network up` makes (USD, EUR here; FX tests register more).
        self.world.seed([currency_state(domain.Currency(code, 2)) for code in ("EUR", "USD")])
        self._tx = 0
        self._request = 0

    def next_tx_id(self) -> str:
        self._tx += 1
        return f"tx{self._tx:06d}"

    def request_id(self) -> str:
        self._request += 1
        return f"req-{self._request}"

    def stub(
        self,
        identity: Identity | str,
        function: str | bytes,
        args: dict[str, Any] | bytes,
        *,
        tx_id: str | None = None,
        timestamp: TxTimestamp | None = None,
    ) -> MemoryStub:
        raw_function = function.encode() if isinstance(function, str) else function
        raw_args = canonical_json(args) if isinstance(args, dict) else args
        return self.raw_stub(identity, [raw_function, raw_args], tx_id=tx_id, timestamp=timestamp)

    def raw_stub(
        self,
        identity: Identity | str,
        args: list[bytes],
        *,
        tx_id: str | None = None,
        timestamp: TxTimestamp | None = None,
    ) -> MemoryStub:
        """A stub with exactly these invocation args; tx ids and timestamps increase unless given."""
        ident = who(identity) if isinstance(identity, str) else identity
        generated = self.next_tx_id()
        return MemoryStub(
            self.world,
            creator=ident.creator,
            args=args,
            tx_id=tx_id or generated,
            timestamp=timestamp or TxTimestamp(1_800_000_000 + self._tx, 1000 * self._tx),
        )

    def run(self, stub: MemoryStub) -> InvokeResult:
        result = asyncio.run(invoke(stub))
        if isinstance(result, Ok):
            stub.commit()
        return result

    def call(self, identity: Identity | str, function: str, args: dict[str, Any] | bytes) -> InvokeResult:
        return self.run(self.stub(identity, function, args))

    def ok(self, identity: Identity | str, function: str, **args: Any) -> Any:
        result = self.call(identity, function, args)
        assert isinstance(result, Ok), result
        return json.loads(result.payload)

    def err(self, identity: Identity | str, function: str, args: dict[str, Any] | bytes) -> str:
        """Assert the call fails without changing the world; return its error code."""
        before = self.snapshot()
        result = self.call(identity, function, args)
        assert isinstance(result, Err), result
        assert self.snapshot() == before
        parsed = parse_error(result.message)
        assert parsed is not None, result.message
        return str(parsed[0])

    def snapshot(self) -> tuple[dict[str, bytes], int, int]:
        return dict(self.world.data), self.world.height, len(self.world.events)

    # one-liners for setting up scenarios

    def open(self, account_id: str, holder: str = "buyer-us") -> None:
        h = who(holder)
        self.ok(
            "issuer",
            "open_account",
            account_id=account_id,
            holder_msp=h.msp_id,
            holder_subject=h.subject,
            kyc_ref=f"KYC-{account_id}",
            request_id=self.request_id(),
        )

    def mint(self, account_id: str, amount: int, currency: str = "USD") -> Any:
        return self.ok(
            "issuer",
            "mint",
            account_id=account_id,
            currency=currency,
            amount=amount,
            reserve_ref=f"RES-{self.request_id()}",
            request_id=self.request_id(),
        )

    def transfer(self, holder: str, src: str, dst: str, amount: int, currency: str = "USD") -> Any:
        return self.ok(
            holder,
            "transfer",
            from_account=src,
            to_account=dst,
            currency=currency,
            amount=amount,
            reference="INV-1",
            request_id=self.request_id(),
        )

    def redeem(self, holder: str, account_id: str, amount: int, currency: str = "USD") -> str:
        result = self.ok(
            holder, "redeem", account_id=account_id, currency=currency, amount=amount, request_id=self.request_id()
        )
        return str(result["redemption_id"])

    def account(self, account_id: str) -> Any:
        return self.ok("auditor", "get_account", account_id=account_id)

    def balance(self, account_id: str, currency: str = "USD") -> int:
        return int(self.account(account_id)["balances"][currency])

    def supply(self) -> Any:
        return self.ok("auditor", "get_supply")


def standard_ledger() -> Ledger:
    """acme (buyer-us, 1000.00 USD + 500.00 EUR) and globex (seller-cn, 0)."""
    ledger = Ledger()
    ledger.open("acme", "buyer-us")
    ledger.open("globex", "seller-cn")
    ledger.mint("acme", 100_000, "USD")
    ledger.mint("acme", 50_000, "EUR")
    return ledger
