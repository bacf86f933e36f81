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


def wait_healthy(name: str, port: int, timeout: float = 60.0) -> None:
    """Raise TimeoutError naming the node if /healthz is not OK within timeout."""
    last = ["down"]

    def ok() -> bool:
        last[0] = healthz(port)
        return last[0] == "OK"

    if not poll(ok, timeout, 0.2):
        raise TimeoutError(f"{name} not healthy after {timeout:.0f}s (last: {last[0]}); see its log")


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True
    except OSError:
        return False


def wait_port(name: str, port: int, timeout: float = 30.0) -> None:
    """Raise TimeoutError naming the service if nothing accepts connections on 127.0.0.1:port in time."""
    if not poll(lambda: _accepts(port), timeout):
        raise TimeoutError(f"{name} not listening on 127.0.0.1:{port} after {timeout:.0f}s; see its log")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def wait_http(name: str, url: str, timeout: float = 30.0) -> None:
    """Raise TimeoutError naming the service unless url answers 200 within timeout."""
    if not poll(lambda: _answers(url), timeout):
        raise TimeoutError(f"{name} did not answer {url} within {timeout:.0f}s; see its log")


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
