"""The gateway's settings, validated once at start-up (environment `DEPOSITS_GATEWAY_*` or flags)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from network.topology import DEFAULT_TOPOLOGY


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEPOSITS_GATEWAY_")

    org: str
    data_dir: Path
    topology: Path = DEFAULT_TOPOLOGY
    host: str = "127.0.0.1"
    # The org's peer as this gateway dials it; unset means the topology's (127.0.0.1:port). In a container
    # the peer is another container, reached by its name: the compose runtime sets it.
    peer_address: str | None = None
    # The org's orderer as this gateway dials it (revocations are config updates sent there); unset: the
    # topology's.
    orderer_address: str | None = None
    max_attempts: int = 6
    # A write's whole time budget in seconds: past it, 504 COMMIT_STATUS_UNKNOWN (retry with the same key).
    commit_timeout: int = 30
    # One endorsement's deadline; an endorser that cannot be reached fails well before it (503).
    endorse_timeout: int = 10
    # Seconds to wait for a commit before sending the same envelope again (a dying orderer may have lost it).
    resubmit_interval: int = 3
    # Seconds an idempotency record is kept (24 h); past it the ledger's duplicate guard still holds.
    idempotency_retention: int = 86_400
    # The front door (gateway/api/front_door.py): caps per request and per key, and write admission.
    body_limit: int = 1 << 20
    # Seconds an idle client connection is kept open; longer than clients' own idle expiry (see __main__).
    keep_alive: int = 75
    body_timeout: int = 10
    rate_per_key: int = 100
    burst_per_key: int = 200
    streams_per_key: int = 100
    max_in_flight_writes: int = 32
    max_queued_writes: int = 512
    queue_timeout: int = 10
    # Chaincode events kept in memory for every stream to read (and to resume from without the peer).
    event_buffer: int = 10_000
    # AES-256 key (base64) sealing custodial members' private keys in the members database. Unset: the key in
    # `<data>/gateways/<Org>/member.key` (mode 0600), made at the first start.
    member_key: SecretStr | None = None
    # The web console (/console): mark its session cookie Secure (`__Host-console`) — set it whenever TLS
    # fronts the gateway (a proxy terminating TLS, for one). Sessions end after `console_idle` seconds idle.
    console_secure_cookies: bool = False
    console_idle: int = 900
    # Validity of a member's certificate, in days.
    member_validity_days: int = 365
