#!/usr/bin/env bash
# Usage: scripts/docker-setup.sh
# Installs Debian's Docker engine and docker-compose (plus debootstrap, for the base image) if missing,
# writes /etc/docker/daemon.json with the settings containers need on this kind of machine, and starts
# dockerd in the background unless an engine already answers. Needs root. Idempotent.
# dockerd's log: /var/log/dockerd.log.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "docker-setup: run as root (apt-get and dockerd need it)" >&2; exit 1; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "docker-setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# vfs: no overlay mounts inside this sandbox; cgroupfs: no systemd; empty default ulimits: the engine may
# not raise RLIMIT_NOFILE/NPROC here, and without this every container fails to start.
want='{"storage-driver": "vfs", "exec-opts": ["native.cgroupdriver=cgroupfs"], "default-ulimits": {}}'
mkdir -p /etc/docker
if [ ! -f /etc/docker/daemon.json ] || [ "$(cat /etc/docker/daemon.json)" != "$want" ]; then
  if docker info >/dev/null 2>&1; then
    echo "docker-setup: /etc/docker/daemon.json differs from the settings we need, but an engine is" \
      "already running; leaving both alone" >&2
  else
    echo "$want" > /etc/docker/daemon.json
  fi
fi

if docker info >/dev/null 2>&1; then
  echo "docker-setup: engine already running ($(docker version --format '{{.Server.Version}}'))" >&2
  exit 0
fi
echo "docker-setup: starting dockerd (log: /var/log/dockerd.log)" >&2
nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "docker-setup: engine ready ($(docker version --format '{{.Server.Version}}'))" >&2
    exit 0
  fi
  sleep 0.5
done
echo "docker-setup: dockerd did not answer within 30 s; see /var/log/dockerd.log" >&2
tail -n 20 /var/log/dockerd.log >&2 || true
exit 1
