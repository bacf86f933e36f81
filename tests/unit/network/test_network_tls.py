"""Mutual TLS, as the network derives it: the PKI's TLS pairs, each node's and CLI's TLS settings, the
chaincode package's connection.json and what our ccaas builder's `release` makes of it."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from network import pki
from network.chaincode_deploy import ChaincodeDeployer
from network.endpoints import CONTAINERS, chaincode_server_name
from network.fabric_cli import FabricTools
from network.layout import Layout
from network.nodes import BUILDER_DIR, admin_cli_env, ccaas_tls_env, orderer_env, peer_env
from network.topology import load_topology

TOPOLOGY = load_topology()
BANK = TOPOLOGY.org("BankOrg")


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    layout = Layout(tmp_path_factory.mktemp("data"))
    pki.generate(layout.crypto, TOPOLOGY)
    return layout


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def usages(c: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def sans(c: x509.Certificate) -> list[str]:
    names = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(n.value) for n in names]


def assert_pair_from(pair: pki.TlsPair, tls_ca: Path) -> x509.Certificate:
    """pair's certificate is issued by the org's TLS CA, its key is its own and private, ca.crt is that CA."""
    issued, ca = cert(pair.cert), cert(tls_ca)
    issued.verify_directly_issued_by(ca)
    key = serialization.load_pem_private_key(pair.key.read_bytes(), None)
    assert key.public_key() == issued.public_key()
    assert pair.key.stat().st_mode & 0o077 == 0
    assert pair.ca.read_bytes() == tls_ca.read_bytes()
    return issued


def test_every_identity_has_a_client_pair_from_its_orgs_tls_ca(layout: Layout) -> None:
    for org in TOPOLOGY.orgs:
        crypto = pki.OrgCrypto(layout.crypto, org)
        for name in ["admin", *(i.name for i in org.identities)]:
            pair = crypto.user_tls(name)
            assert (pair.cert.name, pair.key.name) == ("client.crt", "client.key")
            issued = assert_pair_from(pair, crypto.tls_ca_cert)
            assert usages(issued) == [ExtendedKeyUsageOID.CLIENT_AUTH]  # good for nothing but a client
            with pytest.raises(x509.ExtensionNotFound):
                issued.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_servers_have_pairs_naming_them_for_both_runtimes(layout: Layout) -> None:
    for org in TOPOLOGY.orgs:
        crypto = pki.OrgCrypto(layout.crypto, org)
        servers = [
            (crypto.node_tls(org.orderer.id), org.orderer.id),
            (crypto.node_tls(org.peer.id), org.peer.id),
            (crypto.chaincode_server_tls, chaincode_server_name(org)),
        ]
        for pair, name in servers:
            issued = assert_pair_from(pair, crypto.tls_ca_cert)
            assert sans(issued) == [name, "localhost", "127.0.0.1"]
            # Nodes dial each other (gossip, Raft, deliver, the chaincode link) with the same pair.
            assert usages(issued) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


def test_an_older_data_directory_gets_the_missing_pairs_and_keeps_its_identities(tmp_path: Path) -> None:
    pki.generate(tmp_path, TOPOLOGY)
    crypto = pki.OrgCrypto(tmp_path, BANK)
    signcert = crypto.user_msp("issuer") / "signcerts" / "cert.pem"
    before, peer_tls = signcert.read_bytes(), crypto.node_tls(BANK.peer.id).cert.read_bytes()
    for path in (crypto.user_tls("issuer").cert, crypto.user_tls("issuer").key, crypto.chaincode_server_tls.cert):
        path.unlink()
    pki.generate(tmp_path, TOPOLOGY)
    assert crypto.user_tls("issuer").cert.exists() and crypto.chaincode_server_tls.cert.exists()
    assert signcert.read_bytes() == before
    assert crypto.node_tls(BANK.peer.id).cert.read_bytes() == peer_tls


def every_tls_ca(layout: Layout) -> list[str]:
    return [str(pki.OrgCrypto(layout.crypto, o).tls_ca_cert) for o in TOPOLOGY.orgs]


def test_peers_require_a_client_certificate_from_a_channel_org_and_present_their_own(layout: Layout) -> None:
    env = peer_env(layout, TOPOLOGY, BANK, layout.root)
    tls = pki.OrgCrypto(layout.crypto, BANK).node_tls(BANK.peer.id)
    assert env["CORE_PEER_TLS_CLIENTAUTHREQUIRED"] == "true"
    assert env["CORE_PEER_TLS_CLIENTROOTCAS_FILES"].split() == every_tls_ca(layout)
    assert (env["CORE_PEER_TLS_CLIENTCERT_FILE"], env["CORE_PEER_TLS_CLIENTKEY_FILE"]) == (str(tls.cert), str(tls.key))


def test_orderers_require_a_client_certificate_from_a_channel_org(layout: Layout) -> None:
    env = orderer_env(layout, TOPOLOGY, BANK, layout.root)
    assert env["ORDERER_GENERAL_TLS_CLIENTAUTHREQUIRED"] == "true"
    assert env["ORDERER_GENERAL_TLS_CLIENTROOTCAS"] == "[" + ",".join(every_tls_ca(layout)) + "]"
    # Channel participation stays the org's own: only its own TLS CA's clients.
    assert env["ORDERER_ADMIN_TLS_CLIENTROOTCAS"] == str(pki.OrgCrypto(layout.crypto, BANK).tls_ca_cert)


def test_a_tls_ca_path_with_whitespace_is_refused_not_split(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "my data")
    with pytest.raises(ValueError, match="whitespace"):
        peer_env(layout, TOPOLOGY, BANK, tmp_path)


def test_the_admin_clis_present_the_admins_client_pair(layout: Layout) -> None:
    admin = pki.OrgCrypto(layout.crypto, BANK).admin_tls()
    env = admin_cli_env(layout, BANK, layout.root)
    assert env["CORE_PEER_TLS_CLIENTAUTHREQUIRED"] == "true"
    assert (env["CORE_PEER_TLS_CLIENTCERT_FILE"], env["CORE_PEER_TLS_CLIENTKEY_FILE"]) == (
        str(admin.cert),
        str(admin.key),
    )
    auditor = TOPOLOGY.org("AuditorOrg")
    args = FabricTools(layout.root, layout.root, layout, TOPOLOGY).orderer_tls_args(BANK, auditor)
    assert args == [
        *("-o", auditor.orderer.address, "--tls", "--cafile", str(pki.OrgCrypto(layout.crypto, auditor).tls_ca_cert)),
        *("--clientauth", "--certfile", str(admin.cert), "--keyfile", str(admin.key)),
    ]


def connection_json(package: bytes) -> dict[str, object]:
    def member(tar_gz: bytes, name: str) -> bytes:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(tar_gz))) as tar:
            extracted = tar.extractfile(name)
            assert extracted is not None
            return extracted.read()

    return dict(json.loads(member(member(package, "code.tar.gz"), "connection.json")))


def test_the_package_asks_for_mutual_tls_and_holds_nothing_secret(layout: Layout) -> None:
    deployer = ChaincodeDeployer(TOPOLOGY, layout, FabricTools(layout.root, layout.root, layout, TOPOLOGY))
    package = deployer.package_bytes(BANK)
    assert connection_json(package) == {
        "address": f"127.0.0.1:{BANK.chaincode_server_port}",
        "dial_timeout": "10s",
        "tls_required": True,
        "client_auth_required": True,
    }
    assert b"PRIVATE KEY" not in gzip.decompress(package)
    crypto = pki.OrgCrypto(layout.crypto, BANK)
    env = deployer.server_service(BANK).env
    assert (env["CHAINCODE_TLS_CERT_FILE"], env["CHAINCODE_TLS_KEY_FILE"]) == (
        str(crypto.chaincode_server_tls.cert),
        str(crypto.chaincode_server_tls.key),
    )
    assert env["CHAINCODE_TLS_CLIENT_CA_FILE"] == str(crypto.tls_ca_cert)
    contained = ChaincodeDeployer(TOPOLOGY, layout, deployer.tools, CONTAINERS)
    assert connection_json(contained.package_bytes(BANK))["address"] == f"{chaincode_server_name(BANK)}:7060"


def release(build: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = [str(BUILDER_DIR / "bin" / "release"), str(build), str(out)]
    return subprocess.run(argv, env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True)


def test_release_adds_the_peers_side_of_the_link_from_the_peers_environment(layout: Layout, tmp_path: Path) -> None:
    deployer = ChaincodeDeployer(TOPOLOGY, layout, FabricTools(layout.root, layout.root, layout, TOPOLOGY))
    build = tmp_path / "build"
    build.mkdir()
    package = connection_json(deployer.package_bytes(BANK))
    (build / "connection.json").write_text(json.dumps(package, sort_keys=True, separators=(",", ":")))
    peer = peer_env(layout, TOPOLOGY, BANK, layout.root)
    ccaas = ccaas_tls_env(layout, BANK)
    builders = json.loads(peer["CORE_CHAINCODE_EXTERNALBUILDERS"])
    assert builders == [{"name": "ccaas", "path": str(BUILDER_DIR), "propagateEnvironment": sorted(ccaas)}]
    assert {k: peer[k] for k in ccaas} == ccaas

    done = release(build, tmp_path / "release", ccaas)
    assert done.returncode == 0, done.stderr
    released = tmp_path / "release" / "chaincode" / "server" / "connection.json"
    assert released.stat().st_mode & 0o077 == 0
    info = json.loads(released.read_text())
    tls = pki.OrgCrypto(layout.crypto, BANK).node_tls(BANK.peer.id)
    # The field names Fabric's peer reads (core/container/externalbuilder ChaincodeServerUserData).
    assert info == {
        **package,
        "root_cert": pki.OrgCrypto(layout.crypto, BANK).tls_ca_cert.read_text(),
        "client_cert": tls.cert.read_text(),
        "client_key": tls.key.read_text(),
    }

    missing = release(build, tmp_path / "again", {})
    assert missing.returncode != 0 and "CCAAS_ROOT_CERT_FILE" in missing.stderr
