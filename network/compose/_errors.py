"""The compose runtime's errors.

ComposeError                 anything the compose runtime could not do
├── DockerUnavailableError   no Docker engine answers (or the compose CLI is missing): how to get one
├── ImageBuildError          an image could not be built (debootstrap, wheels, docker build)
└── ComposeCommandError      a docker-compose command failed; carries its output
"""

from __future__ import annotations

import os

INSTALL_HELP = """The compose runtime needs a running Docker engine and docker-compose. On Debian, as root:
    scripts/docker-setup.sh
which does:
    apt-get install -y docker.io docker-compose debootstrap
    echo '{"storage-driver": "vfs", "exec-opts": ["native.cgroupdriver=cgroupfs"], "default-ulimits": {}}' \\
        > /etc/docker/daemon.json     # without these, containers fail to start in sandboxes like CI's
    dockerd > /var/log/dockerd.log 2>&1 &    # or `systemctl start docker` where systemd runs
Or use the native runtime (the default): `deposits network up`."""


class ComposeError(RuntimeError):
    """The compose runtime could not do what was asked."""


class DockerUnavailableError(ComposeError):
    """No Docker engine answers, or the compose CLI is missing. The message says how to install and start it."""

    def __init__(self, problem: str) -> None:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        super().__init__(f"{problem} (engine: {where}).\n{INSTALL_HELP}")


class ImageBuildError(ComposeError):
    """An image could not be built."""


class ComposeCommandError(ComposeError):
    """A docker-compose command failed."""
