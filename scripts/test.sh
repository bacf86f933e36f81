#!/usr/bin/env bash
# Usage: scripts/test.sh [PYTEST_ARGS...]
# Sets up (scripts/setup.sh), runs the linters, then the whole suite: unit tests and end-to-end tests
# against a live Fabric network that the suite starts in a temporary data directory and stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/postgres-setup.sh  # the reference core's tests run on PostgreSQL too
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/pytest -p no:cacheprovider -ra "$@"
