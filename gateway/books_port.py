"""The books port: what the bank's gateway needs from its books connector's store (`books.BooksStore`
implements it; the gateway's entry point wires it for the org that keeps books, and no other)."""

from __future__ import annotations

from typing import Any, Protocol


class BooksPort(Protocol):
    def accept(self, xml: bytes) -> dict[str, Any]:
        """Durably accept a camt.054/camt.053: `{message_id, kind, entries}`; a replayed MsgId answers the first
        answer. Raises gateway.errors.InvalidMessage."""
        ...

    def exceptions(self) -> list[dict[str, Any]]:
        """The repair queue: fundings parked with their reason."""
        ...

    def statements(self) -> list[dict[str, Any]]:
        """The camt.053 statements kept, oldest first."""
        ...

    def report(self) -> dict[str, Any] | None:
        """The connector's latest reconciliation report (None: it has made none yet)."""
        ...
