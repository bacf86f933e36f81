#!/usr/bin/env bash
# Usage: scripts/postgres-setup.sh
# Installs Debian's PostgreSQL server (the `postgresql` package) if no server is under /usr/lib/postgresql,
# for the reference core's tests on PostgreSQL. The tests start their own cluster (tests/postgres.py) on
# 127.0.0.1 with a temporary data directory; nothing here starts a server. Needs root to install. Idempotent.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "postgres-setup: no PostgreSQL server; run as root to install it (apt-get)" >&2; exit 1; }
echo "postgres-setup: installing postgresql" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || { echo "postgres-setup: initdb not found after install" >&2; exit 1; }
