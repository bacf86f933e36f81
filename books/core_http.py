"""The core's ISO 20022 endpoint over HTTP (docs/books.md "Transport"); a bank's MQ or file gateway would
implement the same `CoreTransport`."""

from __future__ import annotations

import httpx

from books.connector import CoreRefused


class HttpCore:
    def __init__(self, url: str, timeout: int = 10) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)

    def send(self, xml: bytes) -> bytes:
        """Raises CoreRefused (4xx: the core cannot read it), OSError (unreachable, 5xx: try again later)."""
        try:
            response = self._http.post("/iso20022", content=xml, headers={"Content-Type": "application/xml"})
        except httpx.HTTPError as exc:
            raise OSError(f"core unreachable: {exc}") from exc
        if 400 <= response.status_code < 500:
            raise CoreRefused(f"{response.status_code} {response.text[:500]}")
        if response.status_code != 200:
            raise OSError(f"core answered {response.status_code}")
        return response.content

    def close(self) -> None:
        self._http.close()
