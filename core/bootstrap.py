"""Wiring: settings → store, service, outbox sender, app. The one place real adapters are built."""

from __future__ import annotations

from core.api import Components
from core.money import Currencies
from core.outbox import Deliverer
from core.service import CoreService
from core.settings import CoreSettings
from core.store import Store


def build(settings: CoreSettings) -> Components:
    store = Store(settings.resolved_database_url())
    key = settings.gateway_api_key.get_secret_value() if settings.gateway_api_key is not None else None
    deliverer = Deliverer(
        store,
        settings.gateway_url,
        key,
        retry_initial_ms=settings.retry_initial_ms,
        retry_max_ms=settings.retry_max_ms,
        timeout=settings.delivery_timeout,
    )
    service = CoreService(store, Currencies(settings.currencies), bic=settings.bic, notify=deliverer.wake)
    return Components(service, deliverer, settings.statement_interval)
