"""Native runtime: each service is a detached OS process with a log file and a pid file.

A pid file records the pid and the process's start time, so a recycled pid is never mistaken for our
process (and never signalled).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from network.layout import Layout
from network.runtime import PortInUseError, Service, check_free_ports

__all__ = ["NativeRuntime", "PortInUseError", "Service"]

# Every child this process started, by (data root, service), held for the life of the process rather than
# of the runtime object: a node outlives the object that started it, and a Popen collected before its child
# was reaped warns (ResourceWarning). Exited children are polled and dropped by `_reap`.
_CHILDREN: dict[tuple[Path, str], subprocess.Popen[bytes]] = {}


def _reap() -> None:
    for key, proc in list(_CHILDREN.items()):
        if proc.poll() is not None:
            del _CHILDREN[key]


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) counted after the parenthesised command name, which may contain spaces.
    return stat.rsplit(")", 1)[1].split()[19]


class NativeRuntime:
    kind = "native"

    def __init__(self, layout: Layout) -> None:
        self.layout = layout

    def pid(self, name: str) -> int | None:
        """The pid of our running process for name, or None."""
        path = self.layout.pid(name)
        try:
            pid_s, started = path.read_text().split()
            pid = int(pid_s)
        except (OSError, ValueError):
            return None
        _reap()  # our own child named by the pid file has exited: reaped here, then read as gone below
        if _start_time(pid) != started or _is_zombie(pid):
            return None  # recycled pid, or killed and not yet reaped (PID 1 in a container may never reap it)
        return pid

    def running(self, name: str) -> bool:
        return self.pid(name) is not None

    def prepare(self, services: Sequence[Service]) -> None:
        """Nothing to prepare: the binaries and the interpreter are already on this host."""

    def check_ports(self, services: Sequence[Service]) -> None:
        """Raise PortInUseError naming the service and port if any port of a not-running service is taken."""
        check_free_ports(services, self.running)

    def start(self, svc: Service) -> int:
        """Start svc detached unless it already runs; returns its pid."""
        existing = self.pid(svc.name)
        if existing is not None:
            return existing
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        self.layout.pids.mkdir(parents=True, exist_ok=True)
        env = {k: os.environ[k] for k in svc.inherit_env if k in os.environ}
        env.update(svc.env)
        with open(self.layout.log(svc.name), "ab") as log:
            proc = subprocess.Popen(
                svc.argv,
                env=env,
                cwd=svc.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = None
        for _ in range(100):
            started = _start_time(proc.pid)
            if started is not None:
                break
            time.sleep(0.01)
        self.layout.pid(svc.name).write_text(f"{proc.pid} {started}\n")
        _reap()  # an earlier run of this service that died
        _CHILDREN[(self.layout.root, svc.name)] = proc
        return proc.pid

    def stop(self, name: str, timeout: float = 15.0) -> bool:
        """Stop our process for name (SIGTERM, then SIGKILL after timeout). True if one was running."""
        pid = self.pid(name)
        self.layout.pid(name).unlink(missing_ok=True)
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + timeout
        while not (_start_time(pid) is None or _is_zombie(pid)):
            if time.monotonic() >= deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        child = _CHILDREN.pop((self.layout.root, name), None)
        if child is not None:
            child.wait(5)
        return True

    def names(self) -> list[str]:
        """Every service with a pid file (running or not)."""
        if not self.layout.pids.is_dir():
            return []
        return sorted(p.stem for p in self.layout.pids.glob("*.pid"))

    def logs(self, name: str, lines: int) -> str | None:
        log = self.layout.log(name)
        if not log.exists():
            return None
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def teardown(self) -> None:
        """Nothing beyond the processes, which `stop` has ended."""


def _is_zombie(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child (started in this process)
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
