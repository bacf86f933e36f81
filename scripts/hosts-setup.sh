#!/usr/bin/env bash
# Usage: scripts/hosts-setup.sh
# Installs what `deposits network up --hosts netns` needs (README "The consortium across hosts"), if missing:
# iproute2 (`ip netns`, veth, bridge), iptables (the NAT rules publishing each host's ports on 127.0.0.1),
# procps (`sysctl`). Checks that a network namespace can be made. Needs root. Idempotent.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "hosts-setup: run as root (network namespaces and apt-get need it)" >&2; exit 1; }

missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
command -v sysctl >/dev/null || missing+=(procps)
if [ ${#missing[@]} -gt 0 ]; then
  echo "hosts-setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

probe="td-setup-probe-$$"
if ! ip netns add "$probe"; then
  echo "hosts-setup: \`ip netns add\` failed: this machine cannot make network namespaces" >&2
  exit 1
fi
ip netns del "$probe"
