"""Where things live under the data directory. One place, so every module agrees."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(os.environ.get("DEPOSITS_DATA_DIR", Path(base) / "tokenized-deposits"))


@dataclass(frozen=True, slots=True)
class Layout:
    root: Path

    @property
    def crypto(self) -> Path:
        return self.root / "crypto"

    @property
    def channel(self) -> Path:
        return self.root / "channel"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def chaincode(self) -> Path:
        return self.root / "chaincode"

    @property
    def gateways(self) -> Path:
        return self.root / "gateways"

    @property
    def compose(self) -> Path:
        """The generated docker-compose.yaml and its .env (compose runtime only)."""
        return self.root / "compose"

    @property
    def runtime_file(self) -> Path:
        """Which runtime this data directory's network runs on, for down/status/logs."""
        return self.root / "runtime.json"

    @property
    def ports_file(self) -> Path:
        """The port base this data directory's network was made on (network.ports)."""
        return self.root / "ports.json"

    @property
    def joined_file(self) -> Path:
        """The orgs that joined this data directory's channel after `up`, in order (network.joined)."""
        return self.root / "joined.json"

    def node(self, node_id: str) -> Path:
        return self.root / "nodes" / node_id

    def log(self, service: str) -> Path:
        return self.logs / f"{service}.log"

    def pid(self, service: str) -> Path:
        return self.pids / f"{service}.pid"
