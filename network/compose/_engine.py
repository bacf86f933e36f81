"""The Docker engine (through the `docker` SDK) and the compose CLI, with their errors mapped in one place."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container

from network.compose._errors import ComposeCommandError, DockerUnavailableError

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
# How long a removal the engine has already begun (after `compose down` returned) may take to finish.
REMOVAL_WAIT_S = 60.0


@contextlib.contextmanager
def engine_errors(doing: str) -> Iterator[None]:
    """Translate the SDK's connection failures into DockerUnavailableError (the one place that does)."""
    try:
        yield
    except docker.errors.NotFound:
        raise
    except (docker.errors.DockerException, requests.exceptions.ConnectionError) as exc:
        if isinstance(exc, docker.errors.APIError) and exc.response is not None and exc.status_code != 503:
            raise
        raise DockerUnavailableError(f"no Docker engine answered while {doing}: {exc}") from exc


def _probe_unix_socket() -> None:
    """Fail fast (and without leaking the SDK's socket) when the engine's unix socket does not answer."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if not host.startswith("unix://"):
        return
    path = host.removeprefix("unix://")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        try:
            s.connect(path)
        except OSError as exc:
            raise DockerUnavailableError(f"no Docker engine listens on {path}: {exc.strerror or exc}") from exc


def connect() -> docker.DockerClient:
    """A client for the local engine. Raises DockerUnavailableError if none answers."""
    _probe_unix_socket()
    with engine_errors("connecting"):
        client = docker.from_env(version="auto", timeout=120)
    try:
        with engine_errors("connecting"):
            client.ping()
    except DockerUnavailableError:
        client.close()
        raise
    return client


def compose_cli() -> list[str]:
    """The compose command: docker-compose (Debian's), or the `docker compose` plugin.

    Raises DockerUnavailableError if neither is installed.
    """
    exe = shutil.which("docker-compose")
    if exe:
        return [exe]
    docker_cli = shutil.which("docker")
    if docker_cli:
        probe = subprocess.run([docker_cli, "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return [docker_cli, "compose"]
    raise DockerUnavailableError("neither `docker-compose` nor the `docker compose` plugin is installed")


class Engine:
    """One compose project on the local engine: its file, its containers."""

    def __init__(self, project: str, compose_file: Path, env: Mapping[str, str]) -> None:
        self.project = project
        self.compose_file = compose_file
        self.env = dict(env)
        self._client: docker.DockerClient | None = None

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = connect()
        return self._client

    def compose(self, *args: str, timeout: float = 300) -> str:
        """Run `docker-compose -p PROJECT -f FILE ARGS`. Raises ComposeCommandError with its output."""
        argv = [*compose_cli(), "--project-name", self.project, "--file", str(self.compose_file), *args]
        env = {**os.environ, **self.env}
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            out = (proc.stderr + proc.stdout).strip()[-3000:]
            raise ComposeCommandError(f"`{' '.join(argv[len(compose_cli()) :])}` failed:\n{out}")
        return proc.stdout

    def containers(self) -> list[Container]:
        """Every container of the project, running or not."""
        with engine_errors("listing containers"):
            return list(self.client.containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={self.project}"}))

    def container(self, service: str) -> Container | None:
        with engine_errors("looking up a container"):
            found = self.client.containers.list(
                all=True, filters={"label": [f"{PROJECT_LABEL}={self.project}", f"{SERVICE_LABEL}={service}"]}
            )
        return found[0] if found else None

    def remove_leftovers(self) -> None:
        """Remove every container and network carrying the project's label (after `compose down`)."""
        remove_project(self.client, self.project)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _already_going(exc: docker.errors.APIError) -> bool:
    """404 (gone) or 409 (the engine is already removing it): either way, nothing for us to do but wait."""
    return exc.status_code == 404 or (exc.status_code == 409 and "already in progress" in str(exc.explanation))


def remove_project(client: docker.DockerClient, project: str, *, wait_s: float = REMOVAL_WAIT_S) -> None:
    """Force-remove every container of PROJECT, wait until the engine lists none, then remove its networks.

    `compose down` can return while the engine is still removing a container; a second removal of it is
    a 409, not a failure, so it is tolerated and waited for instead.
    """
    label: dict[str, str | list[str] | bool] = {"label": f"{PROJECT_LABEL}={project}"}
    deadline = time.monotonic() + wait_s
    with engine_errors("removing containers"):
        while containers := client.containers.list(all=True, filters=label):
            for c in containers:
                try:
                    c.remove(force=True)
                except docker.errors.APIError as exc:
                    if not _already_going(exc):
                        raise
            if time.monotonic() > deadline:
                names = ", ".join(c.name or c.id or "?" for c in containers)
                raise ComposeCommandError(f"containers of project {project} still there after {wait_s:.0f} s: {names}")
            time.sleep(0.5)
        for net in client.networks.list(filters=label):
            with contextlib.suppress(docker.errors.NotFound):
                net.remove()
