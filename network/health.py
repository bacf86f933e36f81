"""Waiting on nodes: the operations endpoint's /healthz, and Prometheus gauges from /metrics."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable


def healthz(port: int, timeout: float = 2.0) -> str:
    """'OK', a failed-check summary, or 'down' when nothing answers on 127.0.0.1:port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as r:
            return str(json.loads(r.read()).get("status", "unknown"))
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
            return "unhealthy: " + ", ".join(c.get("component", "?") for c in body.get("failed_checks", []))
        except ValueError:
            return f"unhealthy: HTTP {exc.code}"
    except (OSError, ValueError):
        return "down"


def poll(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Call check until it returns True or timeout has passed; whether it ever did."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


class NodeStartError(RuntimeError):
    """A service did not become ready: it exited, or did not answer in time. The message names the service,
    says what to do, and ends with the tail of its log."""


def is_healthy(port: int) -> bool:
    """Whether the node's operations endpoint answers /healthz with OK."""
    return healthz(port) == "OK"


def accepts(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True
    except OSError:
        return False


def answers(url: str) -> bool:
    """Whether url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=1.0) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def wait_ready(
    name: str,
    what: str,
    ready: Callable[[], bool],
    alive: Callable[[], bool],
    log_tail: Callable[[], str | None],
    timeout: float = 60.0,
) -> None:
    """Wait until ready() holds. Raise NodeStartError as soon as alive() says the process is gone (no point
    waiting out the timeout for a node that crashed at start), or when timeout passes."""
    deadline = time.monotonic() + timeout
    while not ready():
        if not alive():
            problem = f"{name} exited before {what}"
        elif time.monotonic() >= deadline:
            problem = f"{name} not {what} after {timeout:.0f}s"
        else:
            time.sleep(0.2)
            continue
        tail = (log_tail() or "(no log)").strip().splitlines()[-12:]
        raise NodeStartError(
            f"{problem}; fix what its log says and run `deposits network up` again "
            f"(full log: `deposits network logs {name}`). Its log ends:\n" + "\n".join(f"    {line}" for line in tail)
        )


def metric(port: int, name: str, labels: dict[str, str] | None = None) -> str | None:
    """The textual value of a Prometheus sample on the node's /metrics, or None if absent or unreachable."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2.0) as r:
            text: str = r.read().decode()
    except OSError:
        return None
    want = labels or {}
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if head != name and not head.startswith(name + "{"):
            continue
        got = {}
        if "{" in head:
            for part in head[head.index("{") + 1 : -1].split(","):
                k, _, v = part.partition("=")
                got[k] = v.strip('"')
        if all(got.get(k) == v for k, v in want.items()):
            return value
    return None
