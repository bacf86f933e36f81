"""The reference core: a double-entry ledger standing in for the bank's core banking system.

It speaks ISO 20022 to the books connector (docs/books.md) and nothing else: `POST /iso20022` books
payouts (pacs.008) and conversions (pacs.009) and answers pacs.002; fundings and end-of-day statements go
out as camt.054 / camt.053 through a durable outbox. It never imports the connector (`books/`).
"""

from core.api import Components, create_app
from core.bootstrap import build
from core.errors import CoreError
from core.money import Currencies
from core.service import CoreService
from core.settings import CoreSettings
from core.store import Store

__all__ = ["Components", "CoreError", "CoreService", "CoreSettings", "Currencies", "Store", "build", "create_app"]
