"""Schema migrations: alembic owns every table, the event store's included.

The alembic scripts live in ``migrations/`` next to the ``tracker`` package, so these
functions work from any working directory. Connection errors are not swallowed.

alembic is imported when a function needs it: with the templates and highlighting it brings
(mako, pygments) it is a seventh of the time every ``tracker`` command and server takes to
start, and only ``tracker migrate`` and the checks that a database is migrated use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.pool import NullPool

from tracker.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = REPO_ROOT / "migrations"
ALEMBIC_INI = REPO_ROOT / "alembic.ini"


class MigrationError(RuntimeError):
    """The migration scripts are missing or inconsistent."""


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (in one transaction where the database allows)."""
    from alembic import command

    if not settings.is_postgres:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with _engine(settings) as engine, engine.begin() as connection:
        command.upgrade(_config(settings, connection), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (``"base"``: drop every table)."""
    from alembic import command

    with _engine(settings) as engine, engine.begin() as connection:
        command.downgrade(_config(settings, connection), revision)


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, ``None`` before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with _engine(settings) as engine, engine.connect() as connection:
        schema = settings.db_schema if connection.dialect.name == "postgresql" else None
        context = MigrationContext.configure(connection, opts={"version_table_schema": schema})
        return context.get_current_revision()


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise MigrationError(f"there are no migration scripts in {MIGRATIONS_DIR}")
    return head


def is_at_head(settings: Settings) -> bool:
    """Whether the database is fully migrated (connection errors propagate)."""
    return current_revision(settings) == head_revision()


def _config(settings: Settings | None = None, connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    # Options go through ConfigParser interpolation: escape any "%" in the path.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if settings is not None:
        config.attributes["settings"] = settings
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    connect_args: dict[str, Any] = (
        {"connect_timeout": settings.db_timeout}
        if settings.is_postgres
        else {"timeout": settings.db_timeout}
    )
    engine = create_engine(settings.sqlalchemy_url(), poolclass=NullPool, connect_args=connect_args)
    try:
        yield engine
    finally:
        engine.dispose()
