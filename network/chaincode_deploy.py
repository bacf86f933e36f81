"""Chaincode-as-a-service on the channel: packages, install, approve by every org, commit, servers.

Each org gets its own ccaas package, whose connection.json points its peer at that org's own chaincode
server; package IDs differ per org, the definition (name, version, sequence, policy) is the same.
Packages are built byte-for-byte reproducibly, so a package ID never changes between runs.

The peer reaches its chaincode server over mutual TLS: the server presents a pair from the org's TLS CA
and accepts only clients of that CA. A package's connection.json says so (`tls_required`,
`client_auth_required`) and holds nothing secret; the peer's side (the CA it trusts, its client pair) is
added by our builder's `release` from the peer's environment (network.nodes.ccaas_tls_env).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from network.endpoints import NATIVE, Endpoints, chaincode_server_name
from network.fabric_cli import FabricCommandError, FabricTools
from network.layout import Layout
from network.pki import OrgCrypto
from network.runtime import Service
from network.topology import Org, Topology

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHAINCODE_SOURCES = PROJECT_ROOT / "chaincode"


def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    # mtime=0 in both the gzip header and the tar entries: same input, same bytes, same package ID.
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def _json(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Definition:
    version: str
    sequence: int


def source_digest() -> str:
    """A digest of the chaincode's Python sources: the definition's version changes when the code does."""
    h = hashlib.sha256()
    for path in sorted(CHAINCODE_SOURCES.rglob("*.py")):
        h.update(path.relative_to(CHAINCODE_SOURCES).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


class ChaincodeDeployer:
    def __init__(self, topology: Topology, layout: Layout, tools: FabricTools, endpoints: Endpoints = NATIVE) -> None:
        self.topology = topology
        self.endpoints = endpoints
        self.layout = layout
        self.tools = tools
        self.cc = topology.chaincode

    @property
    def label(self) -> str:
        return f"{self.cc.name}_{self.cc.version}"

    def package_bytes(self, org: Org) -> bytes:
        """org's ccaas package: connection.json points org's peer at org's own chaincode server."""
        server = self.endpoints.address(chaincode_server_name(org), org.chaincode_server_port)
        connection = {"address": server, "dial_timeout": "10s", "tls_required": True, "client_auth_required": True}
        code = _tar_gz({"connection.json": _json(connection)})
        return _tar_gz({"metadata.json": _json({"type": "ccaas", "label": self.label}), "code.tar.gz": code})

    def package_id(self, org: Org) -> str:
        return f"{self.label}:{hashlib.sha256(self.package_bytes(org)).hexdigest()}"

    def package(self, org: Org) -> tuple[Path, str]:
        """Write org's ccaas package; returns (path, package ID)."""
        pkg = self.package_bytes(org)
        path = self.layout.chaincode / f"{self.label}-{org.name}.tar.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pkg)
        return path, f"{self.label}:{hashlib.sha256(pkg).hexdigest()}"

    def server_service(self, org: Org) -> Service:
        package_id = self.package_id(org)
        crypto = OrgCrypto(self.layout.crypto, org)
        tls = crypto.chaincode_server_tls
        return Service(
            name=chaincode_server_name(org),
            argv=[sys.executable, "-m", "chaincode.server"],
            env={
                "CHAINCODE_ID": package_id,
                "CHAINCODE_SERVER_ADDRESS": self.endpoints.on(org).listen(org.chaincode_server_port),
                "CHAINCODE_TLS_CERT_FILE": str(tls.cert),
                "CHAINCODE_TLS_KEY_FILE": str(tls.key),
                # Only the org's own peer dials it; its TLS pair is from the org's TLS CA.
                "CHAINCODE_TLS_CLIENT_CA_FILE": str(crypto.tls_ca_cert),
                "DEPOSITS_MINT_APPROVAL_LIMIT": str(self.topology.chaincode.mint_approval_limit),
                "PYTHONPATH": str(PROJECT_ROOT),
                "PYTHONUNBUFFERED": "1",
            },
            ports=(org.chaincode_server_port,),
        )

    def install(self, org: Org) -> str:
        path, package_id = self.package(org)
        installed = json.loads(self.tools.peer(org, "lifecycle", "chaincode", "queryinstalled", "--output", "json"))
        if any(p["package_id"] == package_id for p in installed.get("installed_chaincodes", [])):
            return package_id
        self.tools.peer(org, "lifecycle", "chaincode", "install", str(path), timeout=120)
        return package_id

    def committed(self) -> Definition | None:
        org = self.topology.orgs[0]
        try:
            out = self.tools.peer(
                org,
                "lifecycle",
                "chaincode",
                "querycommitted",
                "-C",
                self.topology.channel,
                "-n",
                self.cc.name,
                "--output",
                "json",
            )
        except FabricCommandError as exc:
            if "404" in str(exc) or "not found" in str(exc):
                return None
            raise
        data = json.loads(out)
        return Definition(version=data["version"], sequence=int(data["sequence"]))

    def wanted_version(self) -> str:
        return f"{self.cc.version}+{source_digest()}"

    def deploy(self) -> Definition:
        """Install everywhere and approve + commit a new sequence unless the committed one is current."""
        package_ids = {org.name: self.install(org) for org in self.topology.orgs}
        current = self.committed()
        version = self.wanted_version()
        if current is not None and current.version == version:
            return current
        sequence = 1 if current is None else current.sequence + 1
        return self._approve_and_commit(package_ids, Definition(version, sequence), self.cc.endorsement_policy)

    def redefine(self, policy: str) -> Definition:
        """The committed definition's next sequence, same code, with `policy`: approved by every org, committed
        (a new member's org joining changes who must endorse). Raises FabricCommandError, also when nothing is
        committed yet."""
        current = self.committed()
        if current is None:
            raise FabricCommandError(f"no {self.cc.name} definition committed to redefine")
        package_ids = {org.name: self.install(org) for org in self.topology.orgs}
        return self._approve_and_commit(package_ids, Definition(current.version, current.sequence + 1), policy)

    def _definition_args(self, definition: Definition, policy: str) -> list[str]:
        return [
            "-C",
            self.topology.channel,
            "-n",
            self.cc.name,
            "--version",
            definition.version,
            "--sequence",
            str(definition.sequence),
            "--signature-policy",
            policy,
        ]

    def approve(self, org: Org, package_id: str, definition: Definition, policy: str) -> None:
        """org approves the definition (with package_id as its own code). Raises FabricCommandError."""
        self.tools.peer_retrying(
            org,
            *("lifecycle", "chaincode", "approveformyorg", "--package-id", package_id),
            *self._definition_args(definition, policy),
            *self.tools.orderer_tls_args(org),
        )

    def _approve_and_commit(self, package_ids: dict[str, str], definition: Definition, policy: str) -> Definition:
        for org in self.topology.orgs:
            self.approve(org, package_ids[org.name], definition, policy)
        peers: list[str] = []
        for org in self.topology.orgs:
            peers += [
                "--peerAddresses",
                org.peer.address,
                "--tlsRootCertFiles",
                str(OrgCrypto(self.layout.crypto, org).tls_ca_cert),
            ]
        committer = self.topology.orgs[0]
        self.tools.peer_retrying(
            committer,
            *("lifecycle", "chaincode", "commit", *self._definition_args(definition, policy)),
            *self.tools.orderer_tls_args(committer),
            *peers,
        )
        return definition
