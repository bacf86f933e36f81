"""Waiting on nodes: the operations endpoint's /healthz, and Prometheus gauges from /metrics."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request


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


def wait_healthy(name: str, port: int, timeout: float = 60.0) -> None:
    """Raise TimeoutError naming the node if /healthz is not OK within timeout."""
    deadline = time.monotonic() + timeout
    state = "down"
    while time.monotonic() < deadline:
        state = healthz(port)
        if state == "OK":
            return
        time.sleep(0.2)
    raise TimeoutError(f"{name} not healthy after {timeout:.0f}s (last: {state}); see its log")


def wait_port(name: str, port: int, timeout: float = 30.0) -> None:
    """Raise TimeoutError naming the service if nothing accepts connections on 127.0.0.1:port in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{name} not listening on 127.0.0.1:{port} after {timeout:.0f}s; see its log")


def wait_http(name: str, url: str, timeout: float = 30.0) -> None:
    """Raise TimeoutError naming the service unless url answers 200 within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1.0) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
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
