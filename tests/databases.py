"""Migrated test databases, made fast: the migrations run once, each test gets a copy.

Running alembic's sixteen migrations for every test and every database cost a large share of
the suite's time (tens of statements with a commit and an advisory lock each, on PostgreSQL
serialised with every other process migrating the same server). So the migrations run once per
session, for real, and each test gets its own copy of the result:

* SQLite: the file migrated once is copied (every connection to it is closed by then, so the
  file holds the whole database).
* PostgreSQL: a template schema is migrated once while every statement alembic sends is
  recorded; a test's schema is made by sending those same statements, with the template's
  schema name replaced by the test's, in one transaction. The migrations' decisions (which
  tables exist, which rows to move) were taken on an empty schema, as they would be again.
  The advisory lock that serialises concurrent migrators is left out: each schema is private.

tests/integration/test_migrations.py still migrates empty databases through the real chain,
and checks that such a copy describes exactly like a migrated database.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from tracker.eventstore.migrate import upgrade
from tracker.settings import Settings

#: A test of what only PostgreSQL does (a reader holding a lock, say): the database fixtures
#: (tests/conftest.py) on PostgreSQL alone, rather than a SQLite run that could only skip.
ON_POSTGRES_ONLY = pytest.mark.parametrize(
    "blank_settings", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def migrated_sqlite_template(directory: Path) -> Path:
    """Migrate a new SQLite file in ``directory`` to head; return its path."""
    template = Settings(database_url=f"sqlite:///{directory}/tracker.db")
    upgrade(template)
    path = template.sqlite_path
    leftovers = [p.name for p in directory.iterdir() if p != path]
    assert not leftovers, f"the migrated file is not the whole database: {leftovers}"
    return path


def copy_sqlite(template: Path, target: Path) -> None:
    """Make ``target`` a copy of the migrated ``template`` file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)


@dataclass(frozen=True)
class MigrationScript:
    """What alembic sent to migrate the ``template`` schema, as one SQL script."""

    template: str
    script: str

    def apply(self, url: str, schema: str) -> None:
        """Make ``schema`` (created if missing) a fully migrated copy of the template."""
        with psycopg.connect(url) as conn:  # one transaction, committed on leaving
            conn.execute(self.script.replace(self.template, schema).encode())


def record_migration(url: str) -> MigrationScript:
    """Migrate a new schema with alembic, recording every statement; then drop that schema."""
    template = f"tpl_{uuid.uuid4().hex[:12]}"
    sent: list[tuple[str, Any, bool]] = []

    def record(
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        sent.append((statement, parameters, executemany))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        upgrade(Settings(database_url=url, db_schema=template))
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    try:
        with psycopg.connect(url) as conn:
            cursor = psycopg.ClientCursor(conn)  # binds parameters as literals, on this side
            parts = [
                cursor.mogrify(statement, one)
                for statement, parameters, executemany in sent
                if "pg_advisory" not in statement and not only_reads(statement)
                for one in (parameters if executemany else [parameters])
            ]
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{template}" CASCADE')
    assert any(template in part for part in parts), "no statement named the template schema"
    return MigrationScript(template, ";\n".join(parts))


#: A statement that reads and nothing else: alembic's and SQLAlchemy's reflection of the
#: catalog, and the data migrations' reads of what were empty tables. Their answers were used
#: when the template was migrated; replayed, they were a third of the script's statements and
#: some 15 % of its time, for every PostgreSQL test. Anything that could write (SELECT INTO, a
#: sequence, a setting, a lock) is kept.
_READS_ONLY = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_COULD_WRITE = re.compile(
    r"\b(INTO|nextval|setval|set_config|pg_advisory\w*|FOR\s+(UPDATE|SHARE))\b", re.IGNORECASE
)


def only_reads(statement: str) -> bool:
    return bool(_READS_ONLY.match(statement)) and not _COULD_WRITE.search(statement)


@contextmanager
def migrated_postgres(url: str, migration: MigrationScript, prefix: str) -> Iterator[str]:
    """A new, fully migrated schema named ``prefix`` + random hex; dropped afterwards."""
    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    migration.apply(url, schema)
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
