"""Running Fabric's own command-line tools (`peer`, `osnadmin`) as an org's admin."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from network.layout import Layout
from network.nodes import admin_cli_env, orderer_cli_args
from network.pki import OrgCrypto
from network.topology import Org, Topology


class FabricCommandError(RuntimeError):
    """A Fabric CLI command failed; the message carries the command and its output."""


@dataclass(frozen=True, slots=True)
class FabricTools:
    bindir: Path
    cfg: Path
    layout: Layout
    topology: Topology

    def _run(self, argv: list[str], env: dict[str, str], timeout: float = 60) -> str:
        full_env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR")}
        full_env.update(env)
        try:
            proc = subprocess.run(argv, env=full_env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            # A node that never answers (a host cut off drops packets): a failed command, not a crash.
            what = f"{Path(argv[0]).name} {' '.join(argv[1:3])}"
            raise FabricCommandError(f"{what}: no answer in {timeout:.0f}s") from exc
        if proc.returncode != 0:
            raise FabricCommandError(
                f"{' '.join(Path(a).name if i == 0 else a for i, a in enumerate(argv))} failed: "
                f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
            )
        return proc.stdout

    def peer(self, org: Org, *args: str, timeout: float = 60) -> str:
        """Run `peer ARGS` as org's admin against org's peer."""
        return self._run([str(self.bindir / "peer"), *args], admin_cli_env(self.layout, org, self.cfg), timeout)

    def peer_retrying(self, org: Org, *args: str, within: float = 60.0, delay: float = 0.5) -> str:
        """`peer` for calls that fail briefly while Raft elects a leader or gossip settles; retried until
        `within` seconds have passed, then the last error is raised."""
        deadline = time.monotonic() + within
        while True:
            try:
                return self.peer(org, *args)
            except FabricCommandError:
                if time.monotonic() + delay >= deadline:
                    raise
                time.sleep(delay)

    def orderer_tls_args(self, client: Org, orderer: Org | None = None) -> list[str]:
        """`-o ADDRESS` and the mutual TLS flags for `peer` acting as client's admin against orderer's
        orderer (default: the first org's)."""
        return orderer_cli_args(self.layout, client, orderer or self.topology.orgs[0])

    def osnadmin(self, org: Org, *args: str) -> tuple[int, Any]:
        """Run `osnadmin channel ARGS` against org's orderer; returns (HTTP status, JSON body or None)."""
        crypto = OrgCrypto(self.layout.crypto, org)
        tls = crypto.admin_tls()
        out = self._run(
            [
                str(self.bindir / "osnadmin"),
                "channel",
                *args,
                "-o",
                f"127.0.0.1:{org.orderer.admin_port}",
                "--ca-file",
                str(crypto.tls_ca_cert),
                "--client-cert",
                str(tls.cert),
                "--client-key",
                str(tls.key),
            ],
            {},
        )
        status_line, _, body = out.partition("\n")
        status = int(status_line.split(":", 1)[1]) if status_line.startswith("Status:") else 0
        body = body.strip()
        return status, (json.loads(body) if body.startswith("{") else None)
