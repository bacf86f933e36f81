#!/usr/bin/env bash
# Usage: scripts/setup.sh
# Creates .venv, installs the project with its pinned dependencies, and builds Fabric's binaries with
# `go` from the Go module proxy into ~/.cache/tokenized-deposits (once; later runs reuse the cache).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || { echo "setup: $python not found (Python 3.11 is required)" >&2; exit 1; }
command -v go >/dev/null || { echo "setup: go not found (Go >= 1.20 builds Fabric's binaries)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/deposits fabric build >/dev/null
