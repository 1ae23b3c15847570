"""One settings object, read from the environment (``TRACKER_*`` variables)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///./var/tracker.db"
_Number = TypeVar("_Number", int, float)


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    #: PostgreSQL schema that holds every table (ignored on SQLite).
    db_schema: str = "public"
    #: Take a snapshot of an aggregate every N events.
    snapshot_interval: int = 50
    #: Connections per process in the PostgreSQL pool.
    pool_size: int = 8
    #: Seconds to wait for a database lock or connection before answering 503.
    db_timeout: int = 5
    host: str = "127.0.0.1"
    port: int = 8000
    #: Run the read-model projector inside the API process (else: ``tracker projector``).
    projector_in_process: bool = True
    #: Anyone may read; ``False`` requires a reader key for every read.
    public_reads: bool = True
    #: Requests per minute per client address and per API key (0: no limit).
    rate_limit_per_address: int = 3000
    rate_limit_per_key: int = 1200
    #: Seconds a verified API key is trusted without asking the database again (so a key
    #: revoked elsewhere may still work that long; 0: ask on every request).
    key_cache_seconds: float = 5.0
    #: Seconds the oldest event not yet applied to the read model may wait before ``/ready``
    #: answers 503 (the projector is stuck or far behind).
    ready_max_lag: float = 30.0
    #: Reports computed at once per process; more wait (at most 5 s, then 503).
    report_workers: int = 2
    #: Addresses or networks of the reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed (none: the headers are ignored and the client is the
    #: connection's peer).
    trusted_proxies: tuple[str, ...] = ()
    #: Seconds a client may take from connecting (or from the first byte of a request on a
    #: kept-alive connection) until its request headers are complete; then it is disconnected.
    header_timeout: float = 10.0
    #: Seconds an idle kept-alive connection stays open between requests.
    keep_alive_timeout: int = 5
    #: Connections plus requests in flight per process above which new requests get 503
    #: (0: no limit).
    max_connections: int = 0
    #: Imports (``POST /api/v1/imports``) one process runs at once; one more is answered 503
    #: with ``Retry-After``.
    max_concurrent_imports: int = 2

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        try:
            return cls(
                database_url=env.get("TRACKER_DATABASE_URL", DEFAULT_DATABASE_URL),
                db_schema=env.get("TRACKER_DB_SCHEMA", "public"),
                snapshot_interval=int(env.get("TRACKER_SNAPSHOT_INTERVAL", "50")),
                pool_size=int(env.get("TRACKER_DB_POOL_SIZE", "8")),
                db_timeout=int(env.get("TRACKER_DB_TIMEOUT", "5")),
                host=env.get("TRACKER_HOST", "127.0.0.1"),
                port=int(env.get("TRACKER_PORT", "8000")),
                projector_in_process=_projector_mode(env.get("TRACKER_PROJECTOR", "inprocess")),
                public_reads=_flag("TRACKER_PUBLIC_READS", env.get("TRACKER_PUBLIC_READS", "true")),
                rate_limit_per_address=int(env.get("TRACKER_RATE_LIMIT_PER_ADDRESS", "3000")),
                rate_limit_per_key=int(env.get("TRACKER_RATE_LIMIT_PER_KEY", "1200")),
                key_cache_seconds=float(env.get("TRACKER_KEY_CACHE_SECONDS", "5")),
                ready_max_lag=float(env.get("TRACKER_READY_MAX_LAG", "30")),
                report_workers=int(env.get("TRACKER_REPORT_WORKERS", "2")),
                trusted_proxies=_networks(env.get("TRACKER_TRUSTED_PROXIES", "")),
                header_timeout=_positive(
                    "TRACKER_HEADER_TIMEOUT", float(env.get("TRACKER_HEADER_TIMEOUT", "10"))
                ),
                keep_alive_timeout=_positive(
                    "TRACKER_KEEP_ALIVE_TIMEOUT", int(env.get("TRACKER_KEEP_ALIVE_TIMEOUT", "5"))
                ),
                max_connections=int(env.get("TRACKER_MAX_CONNECTIONS", "0")),
                max_concurrent_imports=_positive(
                    "TRACKER_MAX_CONCURRENT_IMPORTS",
                    _whole(
                        "TRACKER_MAX_CONCURRENT_IMPORTS",
                        env.get("TRACKER_MAX_CONCURRENT_IMPORTS", "2"),
                    ),
                ),
            )
        except ValueError as error:
            raise SettingsError(f"invalid TRACKER_* setting: {error}") from error

    @property
    def url(self) -> URL:
        try:
            return make_url(self.database_url)
        except ArgumentError as error:
            raise SettingsError(f"TRACKER_DATABASE_URL is not a database URL: {error}") from error

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @property
    def sqlite_path(self) -> Path:
        database = self.url.database
        if self.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
            raise SettingsError(
                "TRACKER_DATABASE_URL must be sqlite:///PATH (a file) or postgresql://…"
            )
        return Path(database)

    def sqlalchemy_url(self) -> URL:
        """The URL for alembic and SQLAlchemy (psycopg 3 driver on PostgreSQL)."""
        if self.is_postgres:
            return self.url.set(drivername="postgresql+psycopg")
        return self.url.set(database=str(self.sqlite_path))

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's configuration. Tables come from alembic, never from the library."""
        env = {"CREATE_TABLE": "false"}
        if self.is_postgres:
            url = self.url
            env.update(
                # The library's own, held to db_timeout while the database is down.
                PERSISTENCE_MODULE="tracker.eventstore.recorders:TrackerPostgresFactory",
                POSTGRES_DBNAME=url.database or "postgres",
                POSTGRES_HOST=url.host or "127.0.0.1",
                POSTGRES_PORT=str(url.port or 5432),
                POSTGRES_USER=url.username or "postgres",
                POSTGRES_PASSWORD=url.password or "",
                POSTGRES_SCHEMA=self.db_schema,
                POSTGRES_POOL_SIZE=str(self.pool_size),
                POSTGRES_MAX_OVERFLOW="0",
                POSTGRES_CONNECT_TIMEOUT=str(self.db_timeout),
                POSTGRES_LOCK_TIMEOUT=str(self.db_timeout),
                POSTGRES_PRE_PING="y",
            )
        else:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            env.update(
                # The library's, writing idempotency receipts with the events.
                PERSISTENCE_MODULE="tracker.eventstore.recorders:TrackerSQLiteFactory",
                SQLITE_DBNAME=str(self.sqlite_path),
                SQLITE_LOCK_TIMEOUT=str(self.db_timeout),
            )
        return env


def _projector_mode(value: str) -> bool:
    if value not in ("inprocess", "external"):
        raise ValueError(f"TRACKER_PROJECTOR must be 'inprocess' or 'external', not {value!r}")
    return value == "inprocess"


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return lowered in ("true", "1", "yes")


def _networks(value: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDR networks (``10.0.0.0/8``, ``::1``)."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"TRACKER_TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from None
        found.append(item)
    return tuple(found)


def _positive(name: str, value: _Number) -> _Number:
    if value <= 0:
        raise ValueError(f"{name} must be more than 0, not {value}")
    return value


def _whole(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
