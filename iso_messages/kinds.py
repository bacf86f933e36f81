"""The message kinds this project exchanges, each bound to one pyiso20022 module."""

from __future__ import annotations

import importlib
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    CAMT_053 = "camt.053.001.08"  # bank-to-customer statement (end of day)
    CAMT_054 = "camt.054.001.08"  # bank-to-customer debit/credit notification (fundings)
    PACS_002 = "pacs.002.001.10"  # payment status report (the answer to a pacs.008/009)
    PACS_008 = "pacs.008.001.08"  # customer credit transfer (redemption payouts)
    PACS_009 = "pacs.009.001.08"  # financial institution credit transfer (FX bookings)

    @property
    def namespace(self) -> str:
        return f"urn:iso:std:iso:20022:tech:xsd:{self.value}"

    @property
    def root(self) -> str:
        """The name of the one element inside `Document` (its message), e.g. `FIToFICstmrCdtTrf`."""
        return _ROOTS[self]


_ROOTS = {
    Kind.CAMT_053: "BkToCstmrStmt",
    Kind.CAMT_054: "BkToCstmrDbtCdtNtfctn",
    Kind.PACS_002: "FIToFIPmtStsRpt",
    Kind.PACS_008: "FIToFICstmrCdtTrf",
    Kind.PACS_009: "FICdtTrf",
}

_BY_NAMESPACE = {k.namespace: k for k in Kind}


def kind_for_namespace(namespace: str) -> Kind | None:
    return _BY_NAMESPACE.get(namespace)


def document_class(kind: Kind) -> type[Any]:
    """The pyiso20022 `Document` dataclass of `kind` (imported on first use: each module is large)."""
    area, number, variant, version = kind.value.split(".")
    module = importlib.import_module(f"pyiso20022.{area}.{area}_{number}_{variant}_{version}")
    cls: type[Any] = module.Document
    return cls
