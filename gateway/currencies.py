"""The ledger's currency registry as the gateway uses it: codes and minor digits, to parse and format
decimal amounts at the API edge. Read from the chaincode (`get_currencies`), kept briefly, and read again
at once when a request names a code it does not know (a currency registered a moment ago)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from chaincode import domain, protocol
from chaincode.errors import ErrorCode
from gateway.directory import Caller
from gateway.errors import ChaincodeRejected
from gateway.ledger import Ledger

# How long a read of the registry is trusted (nanoseconds): registrations are rare.
TTL_NS = 30 * 1_000_000_000


class CurrencyRegistry:
    def __init__(self, ledger: Ledger, reader: Caller, clock: Callable[[], int] = time.monotonic_ns) -> None:
        self._ledger = ledger
        self._reader = reader
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[str, domain.Currency] = {}
        self._read_at: int | None = None

    def _refresh(self) -> None:
        raw = json.loads(self._ledger.evaluate(self._reader, protocol.Function.GET_CURRENCIES.value, [b"{}"]))
        self._known = {c["code"]: domain.Currency(c["code"], int(c["minor_digits"])) for c in raw}
        self._read_at = self._clock()

    def all(self) -> list[domain.Currency]:
        """Every registered currency, in code order. Raises LedgerUnavailable, ChaincodeRejected."""
        with self._lock:
            if self._read_at is None or self._clock() - self._read_at > TTL_NS:
                self._refresh()
            return [self._known[k] for k in sorted(self._known)]

    def get(self, code: str) -> domain.Currency:
        """The registered currency; for another bank's instrument (`EUR@EuroBankMSP`, as balances and events
        name it) its currency's digits under the instrument's code. Raises ChaincodeRejected(UNKNOWN_CURRENCY)
        as the contract would."""
        currency, _, _ = code.partition(domain.instruments.SEPARATOR)
        with self._lock:
            stale = self._read_at is None or self._clock() - self._read_at > TTL_NS
            if stale or currency not in self._known:
                self._refresh()
            found = self._known.get(currency)
        if found is None:
            raise ChaincodeRejected(ErrorCode.UNKNOWN_CURRENCY.value, f"currency {code!r} is not registered")
        return found if currency == code else domain.Currency(code, found.minor_digits)
