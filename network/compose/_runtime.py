"""ComposeRuntime: every service of the network as a container in one compose project.

The project is named after the data directory, so two data directories never share containers; the
compose file and its .env live in `<data>/compose/`. Starting and stopping go through the compose CLI (as
an operator would); state, pids and logs come from the engine through the docker SDK.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from network.compose._compose_file import IMAGE_VARIABLES, USER_VARIABLE, ComposeInputs, render
from network.compose._engine import SERVICE_LABEL, Engine, compose_cli, connect, engine_errors
from network.compose._images import ImageBuilder, Images
from network.layout import Layout
from network.runtime import Service, check_free_ports


def _say(msg: str) -> None:
    print(f"[compose] {msg}", file=sys.stderr, flush=True)


def project_name(layout: Layout) -> str:
    """`deposits` + a digest of the data directory's path: letters and digits only, as compose wants."""
    return "deposits" + hashlib.sha256(str(layout.root.resolve()).encode()).hexdigest()[:10]


def image_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tokenized-deposits" / "images"


class ComposeRuntime:
    kind = "compose"

    def __init__(self, layout: Layout, *, bindir: Path, sampleconfig: Path, read_only: Sequence[Path]) -> None:
        self.layout = layout
        self.bindir = bindir
        self.sampleconfig = sampleconfig
        self.read_only = tuple(read_only)
        self.project = project_name(layout)
        self.engine = Engine(self.project, self.compose_file, self._env_file_values())

    @property
    def compose_file(self) -> Path:
        return self.layout.compose / "docker-compose.yaml"

    @property
    def env_file(self) -> Path:
        return self.layout.compose / ".env"

    def _env_file_values(self) -> dict[str, str]:
        try:
            lines = self.env_file.read_text().splitlines()
        except OSError:
            return {}
        return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))

    def inputs(self) -> ComposeInputs:
        return ComposeInputs(data_dir=self.layout.root.resolve(), read_only=self.read_only)

    def prepare(self, services: Sequence[Service]) -> None:
        """Check the engine and the compose CLI, build (or find) the images, write the compose file and .env.

        Raises DockerUnavailableError, ImageBuildError.
        """
        compose_cli()
        self.write(services, self.images())

    def images(self) -> Images:
        """The local images, except where DEPOSITS_{ORDERER,PEER,PYTHON}_IMAGE in the environment names one
        (e.g. the official hyperledger/fabric-orderer and fabric-peer images): those are used as they are."""
        chosen = {kind: os.environ.get(var) for kind, var in IMAGE_VARIABLES.items()}
        client = connect()
        try:
            builder = ImageBuilder(client, image_cache())
            base = builder.base() if not all(chosen.values()) else ""
            if not (chosen["orderer"] and chosen["peer"]):
                fabric = builder.fabric(base, self.bindir, self.sampleconfig)
                chosen = {k: v or (fabric if k != "python" else None) for k, v in chosen.items()}
            python = chosen["python"] or builder.python(base)
        finally:
            client.close()
        return Images(orderer=str(chosen["orderer"]), peer=str(chosen["peer"]), python=python)

    def write(self, services: Sequence[Service], images: Images) -> None:
        self.layout.compose.mkdir(parents=True, exist_ok=True)
        self.compose_file.write_text(render(services, self.inputs()))
        values = {
            IMAGE_VARIABLES["orderer"]: images.orderer,
            IMAGE_VARIABLES["peer"]: images.peer,
            IMAGE_VARIABLES["python"]: images.python,
            USER_VARIABLE: f"{os.getuid()}:{os.getgid()}",
        }
        self.env_file.write_text(
            "# Written by `deposits network up --runtime compose`: the images and the user of docker-compose.yaml.\n"
            + "".join(f"{k}={v}\n" for k, v in values.items())
        )
        self.engine.env = values

    def check_ports(self, services: Sequence[Service]) -> None:
        check_free_ports(services, self.running)

    def start(self, svc: Service) -> int | None:
        """`docker-compose up -d --no-deps svc` unless its container runs. Raises ComposeCommandError."""
        if self.running(svc.name):
            return self.pid(svc.name)
        self.engine.compose("up", "--detach", "--no-deps", svc.name)
        return self.pid(svc.name)

    def stop(self, name: str) -> bool:
        if not self.running(name):
            return False
        self.engine.compose("stop", "--timeout", "15", name)
        return True

    def _state(self, name: str) -> dict[str, object]:
        c = self.engine.container(name) if self.compose_file.exists() else None
        if c is None:
            return {}
        state = c.attrs.get("State") or {}
        return dict(state)

    def running(self, name: str) -> bool:
        return self._state(name).get("Running") is True

    def pid(self, name: str) -> int | None:
        state = self._state(name)
        pid = state.get("Pid")
        return pid if state.get("Running") is True and isinstance(pid, int) and pid > 0 else None

    def names(self) -> list[str]:
        if not self.compose_file.exists():
            return []
        return sorted({str(c.labels.get(SERVICE_LABEL)) for c in self.engine.containers()})

    def logs(self, name: str, lines: int) -> str | None:
        c = self.engine.container(name) if self.compose_file.exists() else None
        if c is None:
            return None
        with engine_errors("reading logs"):
            raw: bytes = c.logs(tail=lines)
        return raw.decode(errors="replace").rstrip("\n")

    def teardown(self) -> None:
        """`docker-compose down`: remove the containers and the compose network (data stays on the host)."""
        if not self.compose_file.exists():
            return
        if self.engine.containers():
            _say(f"removing the containers and network of compose project {self.project}")
            self.engine.compose("down", "--remove-orphans", "--timeout", "15")
        self.engine.remove_leftovers()
