"""The reference core's settings, validated once at start-up (environment `DEPOSITS_CORE_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The bank's own currency table (minor digits): the core's, not the chain's registry.
DEFAULT_CURRENCIES = {"USD": 2, "EUR": 2, "GBP": 2, "CNH": 2, "HKD": 2, "JPY": 0}


class CoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOSITS_CORE_")

    # The network's data directory; the core keeps its files under `<data_dir>/core/`.
    data_dir: Path
    # SQLAlchemy URL of the ledger database; unset: SQLite at `<data_dir>/core/core.sqlite` (WAL).
    # `postgresql://user@host:port/db` is accepted as is (psycopg 3 is the driver).
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 7090
    # The bank's BIC: a pacs.008 whose creditor agent is this bank (or names none) is a book transfer.
    bic: str = "TKDPUS33XXX"
    currencies: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_CURRENCIES))
    # Where outbound messages go: `{gateway_url}/v1/books/inbound`, as the `core` identity (Bearer key).
    # Unset URL: messages wait in the outbox (visible in /admin/outbox) until one is configured.
    gateway_url: str | None = None
    gateway_api_key: SecretStr | None = None
    # Retry backoff of the outbox, in milliseconds: first wait, doubling up to the cap.
    retry_initial_ms: int = 200
    retry_max_ms: int = 30_000
    # One delivery attempt's HTTP timeout, seconds.
    delivery_timeout: int = 10
    # Seconds between automatic end-of-day statements (camt.053); 0: only on `close-day`.
    statement_interval: int = 0

    @field_validator("currencies")
    @classmethod
    def _digits(cls, value: dict[str, int]) -> dict[str, int]:
        for code, digits in value.items():
            if len(code) != 3 or not code.isalpha() or not code.isupper() or not 0 <= digits <= 5:
                raise ValueError(f"currency {code!r}: a 3-letter upper-case code with 0..5 minor digits")
        return value

    @property
    def core_dir(self) -> Path:
        return self.data_dir / "core"

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL, with psycopg 3 named as the PostgreSQL driver."""
        if self.database_url is None:
            return f"sqlite:///{self.core_dir / 'core.sqlite'}"
        for prefix in ("postgresql://", "postgres://"):
            if self.database_url.startswith(prefix):
                return "postgresql+psycopg://" + self.database_url[len(prefix) :]
        return self.database_url
