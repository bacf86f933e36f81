#!/usr/bin/env bash
# Usage: scripts/setup.sh
# Creates .venv, installs the project with its pinned dependencies, and builds Fabric's binaries with
# `go` from the Go module proxy into ~/.cache/tokenized-deposits (once; later runs reuse the cache), and
# installs Debian's chromium for the console's browser tests when it is missing (as root, with apt).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || { echo "setup: $python not found (Python 3.11 is required)" >&2; exit 1; }
command -v go >/dev/null || { echo "setup: go not found (Go >= 1.20 builds Fabric's binaries)" >&2; exit 1; }
# The console's browser tests (tests/e2e/test_console.py) drive Debian's Chromium; as root, install it.
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "setup: chromium not found; install Debian's chromium package as root (apt-get install chromium)" >&2
    exit 1
  fi
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/deposits fabric build >/dev/null
