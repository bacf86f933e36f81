"""The gateway's settings, validated once at start-up (environment `DEPOSITS_GATEWAY_*` or flags)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from network.topology import DEFAULT_TOPOLOGY


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOSITS_GATEWAY_")

    org: str
    data_dir: Path
    topology: Path = DEFAULT_TOPOLOGY
    host: str = "127.0.0.1"
    max_attempts: int = 6
