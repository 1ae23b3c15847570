"""Alembic environment for the tracker.

Alembic owns every table, including the eventsourcing library's event store: the
application runs with the library's ``CREATE_TABLE=false``.

Configuration comes from a :class:`tracker.settings.Settings`, either the one passed in
``config.attributes["settings"]`` (see :mod:`tracker.eventstore.migrate`) or ``Settings.from_env()``
(the ``TRACKER_*`` variables, e.g. for the ``alembic`` command line). A caller may also
pass an open SQLAlchemy connection in ``config.attributes["connection"]``; the migrations
then run in that connection's transaction and the caller commits.

On PostgreSQL every object lives in ``settings.db_schema``: it is created if missing, the
``alembic_version`` table is kept there, and migration scripts read the schema name from
``context.config.attributes["schema"]`` (``None`` on SQLite).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.pool import NullPool

from tracker.settings import Settings

#: Serialises concurrent migrators on PostgreSQL (``pg_advisory_xact_lock`` key).
MIGRATION_LOCK_KEY = 7_164_032_418_820_531_009

config = context.config

if config.config_file_name is not None and "settings" not in config.attributes:
    # Only when run from the alembic command line: an application calling
    # tracker.eventstore.migrate keeps its own logging configuration.
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _settings() -> Settings:
    settings = config.attributes.get("settings")
    if settings is None:
        settings = Settings.from_env()
        config.attributes["settings"] = settings
    if not isinstance(settings, Settings):
        raise TypeError(
            f'config.attributes["settings"] must be a tracker Settings, not {type(settings)!r}'
        )
    return settings


def _prepare(connection: Connection, settings: Settings) -> str | None:
    """Lock out other migrators and make sure the schema exists; return its name."""
    if connection.dialect.name != "postgresql":
        return None
    schema = settings.db_schema
    quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
    return schema


def _run(connection: Connection, settings: Settings) -> None:
    schema = _prepare(connection, settings)
    config.attributes["schema"] = schema
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table_schema=schema,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    raise RuntimeError(
        "offline mode (alembic --sql) is not supported: the migrations need a live "
        "connection; run them online (alembic upgrade head, or tracker.eventstore.migrate.upgrade)"
    )


def run_migrations_online() -> None:
    settings = _settings()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, settings)
        return
    if not settings.is_postgres:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.sqlalchemy_url(), poolclass=NullPool)
    try:
        # One transaction for the schema, the lock and every migration.
        with engine.begin() as own_connection:
            _run(own_connection, settings)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
