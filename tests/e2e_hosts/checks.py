"""What the hosts suite checks of an org's host, for the founders (test_hosts) and for an org that joined
later (test_second_bank): its processes in its own namespace, its own keys only on its own disk, and paths
into its own directory only."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from network import hosts
from network.netns import NetnsRuntime
from network.network import Network
from network.topology import Org


def netns_of(pid: int) -> str:
    """The network namespace pid runs in (`net:[inode]`)."""
    return os.readlink(f"/proc/{pid}/ns/net")


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


_PEM_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----")


def _fingerprints(path: Path) -> set[bytes]:
    """The public keys of every PEM private key in the file (a key file, or JSON that embeds one)."""
    out = set()
    for block in _PEM_KEY.findall(path.read_bytes().replace(b"\\n", b"\n")):
        key = serialization.load_pem_private_key(block, None)
        out.add(
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    return out


def own_keys_only(network: Network, org: Org) -> set[bytes]:
    """Assert that org's directory holds private keys it made and no other, and that its copies of the others
    are public only; returns its keys' public halves (to compare with the other orgs')."""
    own = hosts.org_layout(network.layout, org).root
    made = {fp for p in hosts.private_keys(own / "crypto" / org.name) for fp in _fingerprints(p)}
    assert made, f"{org.name} holds no key at all"
    # Every private key anywhere in its directory (node ledgers, the gateway's state...) is one it made.
    for path in hosts.private_keys(own):
        assert _fingerprints(path) <= made, f"{org.name} holds another's key in {path.relative_to(own)}"
    # What it has of the others is public: their MSP and TLS certificates, nothing to sign with.
    for other in network.topology.orgs:
        if other.name != org.name:
            public = own / "crypto" / other.name
            assert (public / "msp" / "cacerts" / "ca.pem").is_file(), f"{org.name} lacks {other.name}'s MSP"
            assert (public / "tlsca" / "ca.pem").is_file(), f"{org.name} lacks {other.name}'s TLS CA"
            assert not hosts.private_keys(public)
    return made


def sees_only_its_own_directory(network: Network, runtime: NetnsRuntime, name: str) -> None:
    """Assert that service `name` was given paths in its org's own directory only (read from its environment)."""
    host = runtime.plan.host_of(name)
    pid = network.runtime.pid(name)
    assert host is not None and pid is not None, f"{name} is not running on an org's host"
    own_dir = str(hosts.org_layout(network.layout, host.org).root)
    for key, value in environ_of(pid).items():
        for part in value.replace(",", " ").replace("[", " ").replace("]", " ").split():
            if part.startswith(str(network.layout.root)):
                assert part == own_dir or part.startswith(own_dir + "/"), f"{name}: {key}={part}"
