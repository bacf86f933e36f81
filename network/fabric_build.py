"""Fabric's binaries, built with `go` from the Go module proxy into a cache outside the work tree.

The build happens once per Fabric version; later calls return the cached directory at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from network.topology import FabricRelease


class FabricBuildError(RuntimeError):
    """The binaries could not be built; the message says what is missing."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("DEPOSITS_FABRIC_CACHE", Path(base) / "tokenized-deposits" / "fabric"))


def release_dir(release: FabricRelease) -> Path:
    return cache_root() / release.version


def _go_mod(release: FabricRelease) -> str:
    lines = ["module fabricbuild", "", "go 1.20", "", f"require {release.module} {release.version}", ""]
    lines += [f"replace {old} => {new}" for old, new in sorted(release.replace.items())]
    return "\n".join(lines) + "\n"


def _tools_go(release: FabricRelease) -> str:
    imports = "\n".join(f'\t_ "{release.module}/cmd/{b}"' for b in release.binaries)
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports}\n)\n"


def _run(cmd: list[str], cwd: Path, what: str, release: FabricRelease) -> None:
    """Run a go command, streaming its output as progress; raise FabricBuildError on failure."""
    env = {**os.environ, "GOFLAGS": "-mod=mod"}
    print(f"[fabric] {what}: {' '.join(cmd)}", file=sys.stderr, flush=True)
    tail: list[str] = []
    with subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(f"[fabric]   {line.rstrip()}", file=sys.stderr, flush=True)
            tail = [*tail[-20:], line]
    if proc.returncode != 0:
        out = "".join(tail)
        hint = ""
        if any(s in out for s in ("proxy", "dial tcp", "403", "not available", "lookup")):
            hint = (
                f" The Go module proxy ({os.environ.get('GOPROXY') or 'see `go env GOPROXY`'}) did not serve "
                f"{release.module}@{release.version} or one of its dependencies."
            )
        raise FabricBuildError(f"{what} failed (exit {proc.returncode}).{hint} Output above.")


def ensure_binaries(release: FabricRelease) -> Path:
    """Return the directory holding Fabric's binaries, building them first if they are not cached.

    Raises FabricBuildError when `go` is missing or the build (or module download) fails.
    """
    out = release_dir(release)
    out.mkdir(parents=True, exist_ok=True)
    # Two suites (or a suite and a demo) started together on a fresh machine share this cache: one builds,
    # the other waits for it instead of deleting its half-built output.
    with open(out / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_built(release, out)


def _ensure_built(release: FabricRelease, out: Path) -> Path:
    bindir = out / "bin"
    if all((bindir / b).is_file() for b in release.binaries) and (out / "sampleconfig").is_dir():
        return bindir
    go = shutil.which("go")
    if go is None:
        raise FabricBuildError("`go` is not on PATH: install Go >= 1.20 to build Fabric's binaries")
    work = out / "build"
    work.mkdir(parents=True, exist_ok=True)
    (work / "go.mod").write_text(_go_mod(release))
    (work / "tools.go").write_text(_tools_go(release))
    print(
        f"[fabric] building {', '.join(release.binaries)} at {release.version} into {bindir} "
        "(once; a few minutes on 2 cores)",
        file=sys.stderr,
        flush=True,
    )
    _run([go, "mod", "download", release.module], work, "downloading Fabric's module", release)
    _run([go, "mod", "tidy"], work, "resolving Fabric's dependencies", release)
    tmp = out / "bin.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pkgs = [f"{release.module}/cmd/{b}" for b in release.binaries]
    _run([go, "build", "-v", "-o", str(tmp) + "/", *pkgs], work, "compiling", release)
    src = subprocess.run(
        [go, "list", "-m", "-f", "{{.Dir}}", release.module],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "GOFLAGS": "-mod=mod"},
        check=True,
    ).stdout.strip()
    shutil.rmtree(out / "sampleconfig", ignore_errors=True)
    shutil.copytree(Path(src) / "sampleconfig", out / "sampleconfig")
    for p in (out / "sampleconfig").rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)  # the module cache is read-only
    shutil.rmtree(bindir, ignore_errors=True)
    tmp.rename(bindir)
    return bindir


def sampleconfig_dir(release: FabricRelease) -> Path:
    return release_dir(release) / "sampleconfig"
