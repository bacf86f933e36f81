#!/usr/bin/env bash
# Usage: scripts/demo.sh [--data-dir DIR]
# Sets up (scripts/setup.sh), brings the network up (orderers, peers, channel, chaincode, gateways) and
# runs the demo. The network keeps running afterwards: `.venv/bin/deposits network down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/deposits "$@" network up
.venv/bin/deposits "$@" demo
