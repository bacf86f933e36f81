"""The connector's settings, validated once at start-up (environment `DEPOSITS_BOOKS_*` or flags)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from network.topology import DEFAULT_TOPOLOGY


class BooksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOSITS_BOOKS_")

    data_dir: Path
    topology: Path = DEFAULT_TOPOLOGY
    # The org whose books these are (its treasury identity mints, its gateway accepts the core's messages).
    org: str = "BankOrg"
    # The org's peer, when not at its topology address (in a container: by the peer's container name).
    peer_address: str | None = None
    # The core's ISO 20022 endpoint (`POST {core_url}/iso20022`); unset: payouts wait for one.
    core_url: str | None = None
    # Seconds between passes over the pending fundings and payouts.
    poll_seconds: int = 1
    # Seconds one call to the core may take.
    core_timeout: int = 10
    # TESTS ONLY: SIGKILL the process at this step (`books.connector.STEPS`), to prove recovery from there.
    kill_at: str | None = None


def books_db(data_dir: Path) -> Path:
    """The store shared by the org's gateway and its connector."""
    return data_dir / "books" / "books.sqlite3"
