"""Transfers through an HTTP gateway, sent by the Go load client in bench/loadgen (built once with `go`)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.scenarios import Load

LOADGEN_SRC = Path(__file__).with_name("loadgen")


def loadgen() -> Path:
    """The built load client, beside the Fabric cache, named for its source's hash: worktrees with different
    versions of the client share the cache without running each other's build."""
    src = LOADGEN_SRC / "main.go"
    digest = hashlib.sha256(src.read_bytes() + (LOADGEN_SRC / "go.mod").read_bytes()).hexdigest()[:12]
    out = Path.home() / ".cache" / "tokenized-deposits" / f"loadgen-{digest}"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        building = out.with_name(f"{out.name}.{os.getpid()}")
        subprocess.run(["go", "build", "-o", str(building), "."], cwd=LOADGEN_SRC, check=True)
        building.replace(out)  # atomic: a concurrent build of the same source writes the same binary
    return out


def run_loadgen(url: str, key: str, load: Load) -> dict[str, Any]:
    """One client per payer (transfers, or payouts when the load has lines), as the identity whose API key is
    `key`. Returns the load client's JSON
    (committed, committed_per_s, p50_s, p95_s, outcomes, per_payer, per_payee)."""
    binary = loadgen()
    with tempfile.TemporaryDirectory() as tmp:
        payers_file, payees_file = Path(tmp, "payers.json"), Path(tmp, "payees.json")
        payers_file.write_text(json.dumps(load.payers))
        payees_file.write_text(json.dumps(load.payees))
        done = subprocess.run(
            [
                str(binary),
                f"-url={url}",
                f"-key={key}",
                f"-payers={payers_file}",
                f"-payees={payees_file}",
                f"-clients={len(load.payers)}",
                f"-seconds={load.seconds}",
                f"-count={load.count}",
                f"-currency={load.currency}",
                f"-amount={load.amount}",
                f"-payout-lines={load.payout_lines}",
                f"-rate={load.rate}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    result: dict[str, Any] = json.loads(done.stdout)
    return result
