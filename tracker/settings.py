"""One settings object, read from the environment (``TRACKER_*`` variables)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///./var/tracker.db"
_Number = TypeVar("_Number", int, float)


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def setting(
    variable: str,
    default: Any,
    read: Callable[[str, str], Any] | None = None,
    *,
    secret: bool = False,
) -> Any:
    """A field of :class:`Settings`: its environment variable, its default (written here
    once) and how its text is read (``read(variable, text)``; by default as the field's
    type). A ``secret`` is left out of the settings' repr."""
    return field(default=default, repr=not secret, metadata={"variable": variable, "read": read})


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return lowered in ("true", "1", "yes")


def _projector_mode(name: str, value: str) -> bool:
    if value not in ("inprocess", "external"):
        raise ValueError(f"{name} must be 'inprocess' or 'external', not {value!r}")
    return value == "inprocess"


def _networks(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or CIDR networks (``10.0.0.0/8``, ``::1``)."""
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not an IP address or network") from None
        found.append(item)
    return tuple(found)


def _whole(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _positive(read: Callable[[str, str], _Number]) -> Callable[[str, str], _Number]:
    def positive(name: str, value: str) -> _Number:
        number = read(name, value)
        if number <= 0:
            raise ValueError(f"{name} must be more than 0, not {number}")
        return number

    return positive


def _choice(*choices: str) -> Callable[[str, str], str]:
    def one_of(name: str, value: str) -> str:
        chosen = value.strip().lower()
        if chosen not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return chosen

    return one_of


def _text(name: str, value: str) -> str:
    return value


def _words(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated values, blanks dropped."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


_READERS: dict[Any, Callable[[str, str], Any]] = {
    "str": _text,
    "int": _whole,
    "float": lambda name, value: float(value),
    "bool": _flag,
}


@dataclass(frozen=True)
class Settings:
    """Every setting of the tracker, each with its variable and default written once."""

    database_url: str = setting("TRACKER_DATABASE_URL", DEFAULT_DATABASE_URL)
    #: PostgreSQL schema that holds every table (ignored on SQLite).
    db_schema: str = setting("TRACKER_DB_SCHEMA", "public")
    #: Take a snapshot of an aggregate every N events.
    snapshot_interval: int = setting("TRACKER_SNAPSHOT_INTERVAL", 50)
    #: Connections per process in the PostgreSQL pool.
    pool_size: int = setting("TRACKER_DB_POOL_SIZE", 8)
    #: Seconds to wait for a database lock or connection before answering 503.
    db_timeout: int = setting("TRACKER_DB_TIMEOUT", 5)
    host: str = setting("TRACKER_HOST", "127.0.0.1")
    port: int = setting("TRACKER_PORT", 8000)
    #: Run the read-model projector inside the API process (else: ``tracker projector``).
    projector_in_process: bool = setting("TRACKER_PROJECTOR", True, _projector_mode)
    #: Anyone may read; ``False`` requires a reader key for every read.
    public_reads: bool = setting("TRACKER_PUBLIC_READS", True)
    #: Requests per minute per client address and per API key (0: no limit).
    rate_limit_per_address: int = setting("TRACKER_RATE_LIMIT_PER_ADDRESS", 3000)
    rate_limit_per_key: int = setting("TRACKER_RATE_LIMIT_PER_KEY", 1200)
    #: Seconds a verified API key is trusted without asking the database again (so a key
    #: revoked elsewhere may still work that long; 0: ask on every request).
    key_cache_seconds: float = setting("TRACKER_KEY_CACHE_SECONDS", 5.0)
    #: Seconds the oldest event not yet applied to the read model may wait before ``/ready``
    #: answers 503 (the projector is stuck or far behind).
    ready_max_lag: float = setting("TRACKER_READY_MAX_LAG", 30.0)
    #: Reports computed at once per process; more wait (at most 5 s, then 503).
    report_workers: int = setting("TRACKER_REPORT_WORKERS", 2)
    #: Addresses or networks of the reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed (none: the headers are ignored and the client is the
    #: connection's peer).
    trusted_proxies: tuple[str, ...] = setting("TRACKER_TRUSTED_PROXIES", (), _networks)
    #: Seconds a client may take from connecting (or from the first byte of a request on a
    #: kept-alive connection) until its request headers are complete; then it is disconnected.
    header_timeout: float = setting(
        "TRACKER_HEADER_TIMEOUT", 10.0, _positive(lambda name, value: float(value))
    )
    #: Seconds an idle kept-alive connection stays open between requests.
    keep_alive_timeout: int = setting("TRACKER_KEEP_ALIVE_TIMEOUT", 5, _positive(_whole))
    #: Connections plus requests in flight per process above which new requests get 503
    #: (0: no limit).
    max_connections: int = setting("TRACKER_MAX_CONNECTIONS", 0)
    #: Imports (``POST /api/v1/imports``) one process runs at once; one more is answered 503
    #: with ``Retry-After``.
    max_concurrent_imports: int = setting("TRACKER_MAX_CONCURRENT_IMPORTS", 2, _positive(_whole))
    #: ``json`` (one object per line), ``text``, or ``auto`` (text on a terminal, JSON
    #: otherwise): see tracker/logs.py.
    log_format: str = setting("TRACKER_LOG_FORMAT", "auto", _choice("auto", "json", "text"))
    log_level: str = setting(
        "TRACKER_LOG_LEVEL", "info", _choice("debug", "info", "warning", "error")
    )
    #: One access-log line per request.
    access_log: bool = setting("TRACKER_ACCESS_LOG", True)
    #: Where several workers share their Prometheus counters (empty: a fresh temporary folder).
    metrics_dir: str = setting("TRACKER_METRICS_DIR", "")
    #: The Ed25519 key that signs the hash chain's checkpoints: a PEM file (PKCS #8), or the
    #: raw 32-byte key in base64 (docs/integrity.md). Never stored in the database.
    signing_key_file: str = setting("TRACKER_SIGNING_KEY_FILE", "")
    signing_key: str = setting("TRACKER_SIGNING_KEY", "", secret=True)
    #: Public keys (base64) of earlier signing keys whose checkpoints are still trusted.
    trusted_keys: tuple[str, ...] = setting("TRACKER_TRUSTED_KEYS", (), _words)
    #: Seconds between two checkpoints signed by the API process (0: only on demand).
    checkpoint_interval: float = setting("TRACKER_CHECKPOINT_INTERVAL", 3600.0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        try:
            for item in fields(cls):
                variable = item.metadata["variable"]
                if variable in env:
                    read = item.metadata["read"] or _READERS[item.type]
                    values[item.name] = read(variable, env[variable])
        except ValueError as error:
            raise SettingsError(f"invalid TRACKER_* setting: {error}") from error
        return cls(**values)

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
                PERSISTENCE_MODULE="tracker.eventstore.postgres_recorder:TrackerPostgresFactory",
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
                PERSISTENCE_MODULE="tracker.eventstore.sqlite_recorder:TrackerSQLiteFactory",
                SQLITE_DBNAME=str(self.sqlite_path),
                SQLITE_LOCK_TIMEOUT=str(self.db_timeout),
            )
        return env
