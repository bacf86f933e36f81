"""Local images for the compose runtime, each tagged by a hash of everything that goes into it.

    tokenized-deposits/base:<hash>    Debian bookworm (debootstrap --variant=minbase) + python3, venv, CA certs
    tokenized-deposits/fabric:<hash>  base + the pinned Fabric build's `peer` and `orderer` + sampleconfig
    tokenized-deposits/python:<hash>  base + a venv with the project's pinned dependencies (wheels built on
                                      the host, installed offline); the project's source is mounted at run time

An image whose tag exists is never rebuilt, so a second `up` costs nothing; a changed input (a new Fabric
version, a changed dependency pin) gives a new tag. With registry access the official
hyperledger/fabric-peer and fabric-orderer images can stand in for the Fabric image (README).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from network.compose._engine import engine_errors
from network.compose._errors import ImageBuildError

REPOSITORY = "tokenized-deposits"
DISTRIBUTION = "tokenized-deposits"

BASE_RECIPE: dict[str, Any] = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": ["python3", "python3-venv", "ca-certificates"],
}

FABRIC_DOCKERFILE = """FROM {base}
COPY bin/ /usr/local/bin/
COPY sampleconfig/ /etc/hyperledger/fabric/
ENV FABRIC_CFG_PATH=/etc/hyperledger/fabric
"""

# Wheels are built by the host's Python 3.11; the image's Debian python3 must be the same minor version.
PYTHON_DOCKERFILE = """FROM {base}
COPY wheels/ /tmp/wheels/
RUN python3 -c 'import sys; assert sys.version_info[:2] == ({major}, {minor}), sys.version' \\
 && python3 -m venv /opt/venv \\
 && /opt/venv/bin/pip install --no-index --no-cache-dir --disable-pip-version-check \\
      --find-links /tmp/wheels -r /tmp/wheels/requirements.txt \\
 && rm -rf /tmp/wheels
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
"""


def _say(msg: str) -> None:
    print(f"[images] {msg}", file=sys.stderr, flush=True)


@dataclass(frozen=True, slots=True)
class Images:
    """The image each kind of service runs."""

    orderer: str
    peer: str
    python: str


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def _files_digest(root: Path, files: Iterable[Path]) -> bytes:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.digest()


def runtime_requirements() -> list[str]:
    """The project's pinned runtime dependencies (no extras), as installed metadata states them."""
    reqs = importlib.metadata.requires(DISTRIBUTION) or []
    return sorted(r.strip() for r in reqs if "extra ==" not in r)


def debian_mirror() -> str:
    """The Debian mirror apt is configured with (debootstrap fetches from the same place)."""
    sources = [Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")]
    for src in sources:
        try:
            text = src.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("URIs:"):
                return line.split()[1]
            if line.startswith("deb ") and "security" not in line:
                parts = [p for p in line.split()[1:] if not p.startswith("[")]
                if parts:
                    return parts[0]
    return "http://deb.debian.org/debian"


class ImageBuilder:
    """Builds (or finds) the three images. Raises ImageBuildError or DockerUnavailableError."""

    def __init__(self, client: docker.DockerClient, cache: Path) -> None:
        self.client = client
        self.cache = cache

    def _exists(self, tag: str) -> bool:
        with engine_errors("looking up an image"):
            try:
                self.client.images.get(tag)
            except docker.errors.ImageNotFound:
                return False
            return True

    def _build(self, context: Path, tag: str) -> None:
        _say(f"building {tag}")
        with engine_errors("building an image"):
            stream = self.client.api.build(path=str(context), tag=tag, rm=True, forcerm=True, pull=False, decode=True)
            tail: list[str] = []
            for chunk in stream:
                if "error" in chunk:
                    raise ImageBuildError(f"building {tag} failed: {chunk['error']}\n{''.join(tail[-20:])}")
                line = str(chunk.get("stream", ""))
                if line.strip():
                    tail.append(line)
                    if line.startswith("Step "):
                        _say(f"  {line.strip()}")

    def base(self) -> str:
        tag = f"{REPOSITORY}/base:{_digest(json.dumps(BASE_RECIPE, sort_keys=True).encode())}"
        if self._exists(tag):
            return tag
        debootstrap = shutil.which("debootstrap")
        if debootstrap is None:
            raise ImageBuildError("debootstrap is not installed (apt-get install debootstrap; scripts/docker-setup.sh)")
        if os.geteuid() != 0:
            raise ImageBuildError("building the base image runs debootstrap, which needs root")
        self.cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache, prefix="rootfs-") as tmp:
            rootfs, tarball = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
            mirror = debian_mirror()
            _say(f"debootstrap {BASE_RECIPE['suite']} from {mirror} (once; about a minute)")
            argv = [
                debootstrap,
                f"--variant={BASE_RECIPE['variant']}",
                "--include=" + ",".join(BASE_RECIPE["include"]),
                BASE_RECIPE["suite"],
                str(rootfs),
                mirror,
            ]
            proc = subprocess.run(argv, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise ImageBuildError(f"debootstrap failed:\n{(proc.stderr + proc.stdout)[-3000:]}")
            # No apt lists or caches in the image: they are large and go stale.
            for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
                for p in (rootfs / junk).glob("*"):
                    if p.is_file():
                        p.unlink()
            subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], check=True)
            repo, _, version = tag.partition(":")
            with engine_errors("importing the base image"):
                self.client.api.import_image_from_file(str(tarball), repository=repo, tag=version)
        _say(f"imported {tag}")
        return tag

    def fabric(self, base: str, bindir: Path, sampleconfig: Path) -> str:
        binaries = [bindir / "peer", bindir / "orderer"]
        samples = [p for p in sampleconfig.rglob("*") if p.is_file()]
        dockerfile = FABRIC_DOCKERFILE.format(base=base)
        tag = f"{REPOSITORY}/fabric:" + _digest(
            dockerfile.encode(), _files_digest(bindir, binaries), _files_digest(sampleconfig, samples)
        )
        if self._exists(tag):
            return tag
        with tempfile.TemporaryDirectory(prefix="fabric-image-") as tmp:
            ctx = Path(tmp)
            (ctx / "bin").mkdir()
            for b in binaries:
                shutil.copy2(b, ctx / "bin" / b.name)
            shutil.copytree(sampleconfig, ctx / "sampleconfig")
            (ctx / "Dockerfile").write_text(dockerfile)
            self._build(ctx, tag)
        return tag

    def python(self, base: str) -> str:
        major, minor = sys.version_info[:2]
        reqs = "\n".join(runtime_requirements()) + "\n"
        dockerfile = PYTHON_DOCKERFILE.format(base=base, major=major, minor=minor)
        key = _digest(dockerfile.encode(), reqs.encode())
        tag = f"{REPOSITORY}/python:{key}"
        if self._exists(tag):
            return tag
        wheels = self.cache / "wheels" / key
        if not (wheels / "requirements.txt").exists():
            _say(f"building wheels for {len(reqs.split())} pinned dependencies into {wheels}")
            partial = wheels.with_name(key + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            (partial / "requirements.txt").write_text(reqs)
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                 "--wheel-dir", str(partial), "-r", str(partial / "requirements.txt")],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                raise ImageBuildError(f"pip wheel failed:\n{(proc.stderr + proc.stdout)[-3000:]}")
            shutil.rmtree(wheels, ignore_errors=True)
            partial.rename(wheels)
        with tempfile.TemporaryDirectory(prefix="python-image-") as tmp:
            ctx = Path(tmp)
            shutil.copytree(wheels, ctx / "wheels")
            (ctx / "Dockerfile").write_text(dockerfile)
            self._build(ctx, tag)
        return tag

    def all(self, bindir: Path, sampleconfig: Path) -> Images:
        base = self.base()
        fabric = self.fabric(base, bindir, sampleconfig)
        return Images(orderer=fabric, peer=fabric, python=self.python(base))
