"""The core's tests run on both databases: SQLite (a file) and PostgreSQL (a cluster of the session's own)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.money import Currencies
from core.service import CoreService
from core.settings import DEFAULT_CURRENCIES
from core.store import Store
from tests.postgres import running_postgres


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with running_postgres() as url:
        yield url


def _postgres_database(server_url: str) -> str:
    """A fresh database on the session's cluster (one per test: tests never see each other's rows)."""
    name = f"core_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'core' / 'core.sqlite'}"
    return _postgres_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(database_url)
    yield s
    s.close()


class Clock:
    """A settable clock: reports and bookings carry its time."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class Wakes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def currencies() -> Currencies:
    return Currencies(DEFAULT_CURRENCIES)


@pytest.fixture
def service(store: Store, currencies: Currencies) -> CoreService:
    return CoreService(store, currencies, bic="TKDPUS33XXX", clock=Clock(), notify=Wakes())
