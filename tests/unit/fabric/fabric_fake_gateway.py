"""A fake Fabric Gateway service: a real gRPC servicer that checks what a client sends.

It verifies every signature against the client's certificate (and that S is low), checks the
transaction id derivation, prepares envelopes the way the peer does, and answers commit statuses,
evaluations and chaincode events from a tiny in-memory ledger. Faults are injected per call.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_event_pb2, chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from google.rpc import status_pb2

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

MSP_ID = "BankMSP"
CHANNEL = "deposits"
CHAINCODE = "deposits"


@dataclass(frozen=True)
class KeyPair:
    key: ec.EllipticCurvePrivateKey
    cert_pem: bytes

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def make_key_pair(common_name: str, *, issuer: KeyPair | None = None, sans: list[str] | None = None) -> KeyPair:
    """A P-256 key and its certificate, self-signed or issued by `issuer`."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name = x509.load_pem_x509_certificate(issuer.cert_pem).subject if issuer else subject
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if sans:
        names: list[x509.GeneralName] = []
        for san in sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(san)))
            except ValueError:
                names.append(x509.DNSName(san))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return KeyPair(key, certificate.public_bytes(serialization.Encoding.PEM))


@dataclass(frozen=True)
class Fault:
    code: grpc.StatusCode
    message: str
    details: Sequence[tuple[str, str, str]] = ()  # (address, msp_id, message)


@dataclass
class Invocation:
    """What the fake decoded from one signed proposal."""

    transaction_id: str
    channel_id: str
    chaincode_name: str
    args: list[bytes]
    endorsing_organizations: list[str]


@dataclass
class FakeLedger:
    """Blocks of chaincode events: block number → [(tx id, chaincode, event name, payload)]."""

    blocks: dict[int, list[tuple[str, str, str, bytes]]] = field(default_factory=dict)

    @property
    def height(self) -> int:
        return max(self.blocks, default=-1) + 1


def verify_signature(cert_pem: bytes, message: bytes, signature: bytes) -> None:
    """Fabric's check: valid ECDSA P-256/SHA-256 signature by the certificate's key, with low S."""
    public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    _, s = decode_dss_signature(signature)
    if s > P256_ORDER >> 1:
        raise AssertionError("signature S is not low")
    public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))


class FakeGateway(gateway_pb2_grpc.GatewayServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self.result: Callable[[Invocation], bytes] = lambda inv: b"result of " + inv.args[0]
        self.commit_code = transaction_pb2.VALID
        self.commit_delay = 0.0
        self.block_number = 7
        self.ledger = FakeLedger()
        self.endorsed: list[Invocation] = []
        self.evaluated: list[Invocation] = []
        self.submitted: list[bytes] = []  # serialized envelopes, as received
        self.commit_status_requests: list[Any] = []
        self.event_requests: list[Any] = []
        self.signature_failures: list[str] = []
        self._lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------------------

    def _check(self, method: str, context: Any, cert_pem: bytes, message: bytes, signature: bytes) -> None:
        try:
            verify_signature(cert_pem, message, signature)
        except (InvalidSignature, AssertionError, ValueError) as exc:
            with self._lock:
                self.signature_failures.append(f"{method}: {exc!r}")
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"{method}: bad signature")
        fault = self.faults.get(method)
        if fault is not None:
            self._abort(context, fault)

    @staticmethod
    def _abort(context: Any, fault: Fault) -> None:
        status = status_pb2.Status(code=fault.code.value[0], message=fault.message)
        for address, msp_id, message in fault.details:
            status.details.add().Pack(gateway_pb2.ErrorDetail(address=address, msp_id=msp_id, message=message))
        context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        context.abort(fault.code, fault.message)

    def _decode_proposal(self, context: Any, request: Any, method: str) -> tuple[Invocation, Any, Any]:
        signed = request.proposed_transaction
        proposal = proposal_pb2.Proposal.FromString(signed.proposal_bytes)
        header = common_pb2.Header.FromString(proposal.header)
        channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
        signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
        creator = identities_pb2.SerializedIdentity.FromString(signature_header.creator)
        self._check(method, context, creator.id_bytes, signed.proposal_bytes, signed.signature)

        expected_tx_id = hashlib.sha256(signature_header.nonce + signature_header.creator).hexdigest()
        assert channel_header.tx_id == expected_tx_id == request.transaction_id
        assert channel_header.type == common_pb2.ENDORSER_TRANSACTION
        assert channel_header.channel_id == request.channel_id
        extension = proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension)
        payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
        spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
        assert spec.chaincode_id.name == extension.chaincode_id.name
        organizations = (
            request.endorsing_organizations
            if hasattr(request, "endorsing_organizations")
            else request.target_organizations
        )
        invocation = Invocation(
            transaction_id=request.transaction_id,
            channel_id=request.channel_id,
            chaincode_name=spec.chaincode_id.name,
            args=list(spec.input.args),
            endorsing_organizations=list(organizations),
        )
        return invocation, header, proposal

    # -- Gateway service ---------------------------------------------------------------------------

    def Endorse(self, request: Any, context: Any) -> Any:
        invocation, header, proposal = self._decode_proposal(context, request, "Endorse")
        with self._lock:
            self.endorsed.append(invocation)
        chaincode_action = proposal_pb2.ChaincodeAction(
            response=proposal_response_pb2.Response(status=200, payload=self.result(invocation)),
            chaincode_id=chaincode_pb2.ChaincodeID(name=invocation.chaincode_name),
        )
        response_payload = proposal_response_pb2.ProposalResponsePayload(
            proposal_hash=hashlib.sha256(proposal.SerializeToString()).digest(),
            extension=chaincode_action.SerializeToString(),
        )
        action_payload = transaction_pb2.ChaincodeActionPayload(
            chaincode_proposal_payload=proposal.payload,
            action=transaction_pb2.ChaincodeEndorsedAction(
                proposal_response_payload=response_payload.SerializeToString()
            ),
        )
        transaction = transaction_pb2.Transaction(
            actions=[
                transaction_pb2.TransactionAction(
                    header=header.signature_header, payload=action_payload.SerializeToString()
                )
            ]
        )
        payload = common_pb2.Payload(header=header, data=transaction.SerializeToString())
        envelope = common_pb2.Envelope(payload=payload.SerializeToString())
        return gateway_pb2.EndorseResponse(prepared_transaction=envelope)

    def Submit(self, request: Any, context: Any) -> Any:
        envelope = request.prepared_transaction
        payload = common_pb2.Payload.FromString(envelope.payload)
        signature_header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
        creator = identities_pb2.SerializedIdentity.FromString(signature_header.creator)
        self._check("Submit", context, creator.id_bytes, envelope.payload, envelope.signature)
        with self._lock:
            self.submitted.append(envelope.SerializeToString())
        return gateway_pb2.SubmitResponse()

    def CommitStatus(self, request: Any, context: Any) -> Any:
        inner = gateway_pb2.CommitStatusRequest.FromString(request.request)
        creator = identities_pb2.SerializedIdentity.FromString(inner.identity)
        self._check("CommitStatus", context, creator.id_bytes, request.request, request.signature)
        with self._lock:
            self.commit_status_requests.append(inner)
        time.sleep(self.commit_delay)
        return gateway_pb2.CommitStatusResponse(result=self.commit_code, block_number=self.block_number)

    def Evaluate(self, request: Any, context: Any) -> Any:
        invocation, _, _ = self._decode_proposal(context, request, "Evaluate")
        with self._lock:
            self.evaluated.append(invocation)
        return gateway_pb2.EvaluateResponse(
            result=proposal_response_pb2.Response(status=200, payload=self.result(invocation))
        )

    def ChaincodeEvents(self, request: Any, context: Any) -> Iterator[Any]:
        inner = gateway_pb2.ChaincodeEventsRequest.FromString(request.request)
        creator = identities_pb2.SerializedIdentity.FromString(inner.identity)
        self._check("ChaincodeEvents", context, creator.id_bytes, request.request, request.signature)
        with self._lock:
            self.event_requests.append(inner)
        position = inner.start_position.WhichOneof("Type")
        if position == "specified":
            start = inner.start_position.specified.number
        elif position in ("next_commit", None):
            start = self.ledger.height
        else:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"invalid start position type: {position}")
        skipping = bool(inner.after_transaction_id)
        for number in sorted(n for n in self.ledger.blocks if n >= start):
            events = []
            for tx_id, chaincode, name, payload in self.ledger.blocks[number]:
                if skipping and number == start:
                    skipping = tx_id != inner.after_transaction_id
                    continue
                if chaincode == inner.chaincode_id:
                    events.append(
                        chaincode_event_pb2.ChaincodeEvent(
                            chaincode_id=chaincode, tx_id=tx_id, event_name=name, payload=payload
                        )
                    )
            if events:
                yield gateway_pb2.ChaincodeEventsResponse(events=events, block_number=number)
        fault = self.faults.get("ChaincodeEvents.after")
        if fault is not None:
            self._abort(context, fault)
        while context.is_active():  # a live stream: wait for blocks that never come, until cancelled
            time.sleep(0.01)


class FakeGatewayServer:
    """The fake on a real gRPC server at 127.0.0.1, on a free port."""

    def __init__(self, fake: FakeGateway, credentials: Any | None = None) -> None:
        self.fake = fake
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
        gateway_pb2_grpc.add_GatewayServicer_to_server(fake, self.server)
        if credentials is None:
            self.port = self.server.add_insecure_port("127.0.0.1:0")
        else:
            self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(grace=None).wait()
