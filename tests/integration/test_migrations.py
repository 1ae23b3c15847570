"""Alembic owns the event store: the migrated schema must equal what the library creates."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.utils import Environment, EnvType

from tests.databases import MigrationScript, copy_sqlite
from tracker.application import TrackerApplication
from tracker.domain.base import CommandRecord
from tracker.eventstore.migrate import (
    current_revision,
    downgrade,
    head_revision,
    is_at_head,
    upgrade,
)
from tracker.settings import Settings

#: Created by the library even with POSTGRES_ENABLE_DB_FUNCTIONS off, but only ever called
#: with it on; the migration leaves it out on purpose.
LIBRARY_ONLY_FUNCTIONS = {"es_insert_events_uuid"}


class LibraryCreatedTracker(TrackerApplication):
    """The application as the library would run it on its own: it creates its tables."""

    name = "Tracker"

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        environment = super().construct_env(name, env)
        environment["CREATE_TABLE"] = "true"
        return environment


def create_tables_with_library(settings: Settings) -> None:
    app = LibraryCreatedTracker(settings)
    try:
        assert app.snapshots is not None, "snapshotting must be enabled"
        app.factory.tracking_recorder()  # what the read-model projector will use
    finally:
        app.close()


@pytest.fixture
def library_settings(blank_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """A second empty database of the same kind (another file, or another schema)."""
    if not blank_settings.is_postgres:
        yield replace(blank_settings, database_url=f"sqlite:///{tmp_path}/library.db")
        return
    schema = f"lib_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(blank_settings.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield replace(blank_settings, db_schema=schema)
    with psycopg.connect(blank_settings.database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


#: The revision that creates the library's tables; later ones add the product's own.
EVENT_STORE_REVISION = "0001"

# Schema descriptions: everything except alembic's own version table.


def describe(settings: Settings) -> dict[str, Any]:
    return describe_postgres(settings) if settings.is_postgres else describe_sqlite(settings)


def describe_sqlite(settings: Settings) -> dict[str, Any]:
    with closing(sqlite3.connect(settings.sqlite_path)) as conn:
        objects = [
            (kind, name, table, " ".join(sql.split()) if sql else None)
            for kind, name, table, sql in conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE tbl_name != 'alembic_version' ORDER BY type, name"
            )
        ]
        tables = [name for kind, name, _, _ in objects if kind == "table"]
        columns = {
            table: conn.execute(f'PRAGMA table_xinfo("{table}")').fetchall() for table in tables
        }
        tracking = (
            conn.execute("SELECT * FROM tracking ORDER BY 1").fetchall()
            if "tracking" in tables
            else None
        )
    return {"objects": objects, "columns": columns, "tracking": tracking}


def describe_postgres(settings: Settings) -> dict[str, Any]:
    schema = settings.db_schema

    def normalize(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(f'"{schema}".', "<schema>.").replace(f"{schema}.", "<schema>.")
        return value

    def rows(query: str) -> list[tuple[Any, ...]]:
        result = conn.execute(query, {"schema": schema}).fetchall()
        return [tuple(normalize(value) for value in row) for row in result]

    not_alembic = "NOT IN ('alembic_version', 'alembic_version_pkc')"
    with psycopg.connect(settings.database_url) as conn:
        description: dict[str, Any] = {
            "relations": rows(
                "SELECT c.relname, c.relkind, c.relpersistence, c.reloptions "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                f"WHERE n.nspname = %(schema)s AND c.relname {not_alembic} "
                "ORDER BY c.relname"
            ),
            "columns": rows(
                "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), "
                "a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, "
                "pg_get_serial_sequence(format('%%I.%%I', n.nspname, c.relname), a.attname) "
                "FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                f"WHERE n.nspname = %(schema)s AND c.relkind = 'r' AND c.relname {not_alembic} "
                "AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY c.relname, a.attnum"
            ),
            "constraints": rows(
                "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) "
                "FROM pg_constraint k "
                "JOIN pg_class c ON c.oid = k.conrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                f"WHERE n.nspname = %(schema)s AND c.relname {not_alembic} "
                "ORDER BY c.relname, k.conname"
            ),
            "indexes": rows(
                "SELECT tablename, indexname, indexdef FROM pg_indexes "
                f"WHERE schemaname = %(schema)s AND tablename {not_alembic} "
                "ORDER BY tablename, indexname"
            ),
            "sequences": rows(
                "SELECT sequencename, data_type::text, start_value, min_value, max_value, "
                "increment_by, cycle, cache_size FROM pg_sequences "
                "WHERE schemaname = %(schema)s ORDER BY sequencename"
            ),
            "composite_types": rows(
                "SELECT t.typname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) "
                "FROM pg_type t "
                "JOIN pg_namespace n ON n.oid = t.typnamespace "
                "JOIN pg_class c ON c.oid = t.typrelid "
                "JOIN pg_attribute a ON a.attrelid = c.oid "
                "WHERE n.nspname = %(schema)s AND t.typtype = 'c' AND c.relkind = 'c' "
                "AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY t.typname, a.attnum"
            ),
            "functions": {
                name
                for (name,) in rows(
                    "SELECT p.proname FROM pg_proc p "
                    "JOIN pg_namespace n ON n.oid = p.pronamespace "
                    "WHERE n.nspname = %(schema)s"
                )
            },
        }
        tables = {name for name, kind, *_ in description["relations"] if kind == "r"}
        description["tracking"] = (
            conn.execute(f'SELECT * FROM "{schema}".tracker_tracking ORDER BY 1').fetchall()
            if "tracker_tracking" in tables
            else None
        )
    return description


def without_library_only_functions(description: dict[str, Any]) -> dict[str, Any]:
    if "functions" not in description:
        return description
    return {**description, "functions": description["functions"] - LIBRARY_ONLY_FUNCTIONS}


# Tests


def test_upgrade_reaches_head(blank_settings: Settings) -> None:
    assert current_revision(blank_settings) is None
    assert not is_at_head(blank_settings)

    upgrade(blank_settings)

    assert current_revision(blank_settings) == head_revision()
    assert is_at_head(blank_settings)
    upgrade(blank_settings)  # a second upgrade is a no-op
    assert is_at_head(blank_settings)


def test_migrated_schema_equals_the_schema_the_library_creates(
    blank_settings: Settings, library_settings: Settings
) -> None:
    upgrade(blank_settings, EVENT_STORE_REVISION)
    create_tables_with_library(library_settings)

    migrated = describe(blank_settings)
    created = describe(library_settings)

    assert migrated["tracking"] == [("__migration__", 1)]
    if blank_settings.is_postgres:
        assert {name for name, *_ in migrated["relations"]} == {
            "stored_event_uuid",  # the composite type's pg_class row
            "tracker_events",
            "tracker_events_notification_id_idx",
            "tracker_events_notification_id_seq",
            "tracker_events_pkey",
            "tracker_snapshots",
            "tracker_snapshots_pkey",
            "tracker_tracking",
            "tracker_tracking_pkey",
        }
        assert {name for name, *_ in migrated["composite_types"]} == {"stored_event_uuid"}
        assert migrated["functions"] == set()
        assert created["functions"] == LIBRARY_ONLY_FUNCTIONS
    else:
        assert [name for kind, name, *_ in migrated["objects"] if kind == "table"] == [
            "stored_events",
            "stored_snapshots",
            "tracking",
        ]
    assert migrated == without_library_only_functions(created)


def test_the_comparison_notices_a_changed_column_type(
    blank_settings: Settings, library_settings: Settings
) -> None:
    upgrade(blank_settings, EVENT_STORE_REVISION)
    create_tables_with_library(library_settings)
    if blank_settings.is_postgres:
        with psycopg.connect(blank_settings.database_url, autocommit=True) as conn:
            conn.execute(
                f'ALTER TABLE "{blank_settings.db_schema}".tracker_snapshots '
                "ALTER COLUMN topic TYPE varchar"
            )
    else:
        with closing(sqlite3.connect(blank_settings.sqlite_path)) as db, db:
            db.execute("DROP TABLE stored_snapshots")
            db.execute(
                "CREATE TABLE stored_snapshots (originator_id TEXT, originator_version INTEGER, "
                "topic VARCHAR, state BLOB, PRIMARY KEY (originator_id, originator_version)) "
                "WITHOUT ROWID"
            )

    assert describe(blank_settings) != without_library_only_functions(describe(library_settings))


def test_upgrade_adopts_tables_the_library_created(library_settings: Settings) -> None:
    create_tables_with_library(library_settings)
    created = describe(library_settings)

    upgrade(library_settings, EVENT_STORE_REVISION)

    assert current_revision(library_settings) == EVENT_STORE_REVISION
    assert describe(library_settings) == created
    upgrade(library_settings)
    assert is_at_head(library_settings)
    downgrade(library_settings, "base")
    assert current_revision(library_settings) is None


def test_the_tests_copies_equal_a_migrated_database(
    request: pytest.FixtureRequest, blank_settings: Settings, library_settings: Settings
) -> None:
    """The ``settings`` fixture copies one migration per session (tests/databases.py): the
    copy must be what the migrations make, on each kind of database."""
    upgrade(blank_settings)
    if library_settings.is_postgres:
        script: MigrationScript = request.getfixturevalue("migration_script")
        script.apply(library_settings.database_url, library_settings.db_schema)
    else:
        copy_sqlite(request.getfixturevalue("migrated_sqlite"), library_settings.sqlite_path)

    assert current_revision(library_settings) == head_revision()
    assert describe(library_settings) == describe(blank_settings)


def test_the_application_writes_to_the_migrated_tables(blank_settings: Settings) -> None:
    upgrade(blank_settings)
    app = TrackerApplication(blank_settings)
    try:
        originator_id = uuid.uuid4()
        event = StoredEvent(originator_id, 1, "tracker:Probe", b"state")
        assert app.recorder.insert_events([event]) == [1]
        assert app.snapshots is not None
        app.snapshots.recorder.insert_events([event])
        assert [e.originator_version for e in app.snapshots.recorder.select_events(originator_id)]
        tracking = app.factory.tracking_recorder()
        tracking.insert_tracking(Tracking("Tracker", 1))
        assert tracking.max_tracking_id("Tracker") == 1
    finally:
        app.close()


def test_downgrade_to_base_removes_the_tables(blank_settings: Settings) -> None:
    upgrade(blank_settings)
    downgrade(blank_settings, "base")

    assert current_revision(blank_settings) is None
    description = describe(blank_settings)
    if blank_settings.is_postgres:
        assert description["relations"] == []
        assert description["composite_types"] == []
        assert description["functions"] == set()
    else:
        assert description["objects"] == []
    assert description["tracking"] is None


def test_the_product_tables_match_the_code_that_queries_them(blank_settings: Settings) -> None:
    """alembic's autogenerate comparison finds no difference between migrations and metadata."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import MetaData

    from tracker.eventstore.checkpoints import metadata as chain_metadata
    from tracker.eventstore.receipts import metadata as receipts_metadata
    from tracker.readmodel.database import create_readmodel_engine
    from tracker.readmodel.key_rows import metadata as keys_metadata
    from tracker.readmodel.tables import metadata as readmodel_metadata

    metadata = MetaData()
    for table in [
        *readmodel_metadata.tables.values(),
        *keys_metadata.tables.values(),
        *receipts_metadata.tables.values(),
        *chain_metadata.tables.values(),
    ]:
        table.to_metadata(metadata)

    upgrade(blank_settings)
    engine = create_readmodel_engine(blank_settings, pool_size=1)
    try:
        with engine.connect() as connection:
            schema = blank_settings.db_schema if blank_settings.is_postgres else None
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_schemas": False,
                    "compare_type": True,
                    "include_name": lambda name, kind, _: (
                        kind != "table" or name in metadata.tables
                    ),
                    "version_table_schema": schema,
                },
            )
            if schema:
                connection.exec_driver_sql(f'SET search_path TO "{schema}"')
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_receipts_are_read_from_the_events_recorded_before_them(
    blank_settings: Settings,
) -> None:
    """Revision 0005 finds the idempotency keys of earlier events and drops old snapshots."""
    upgrade(blank_settings, "0004")
    project_id = uuid.uuid4()
    keyed = b'{"idempotency_key":"import:row-7","command_digest":"abc","actor":"desk"}'
    unkeyed = b'{"idempotency_key":null,"command_digest":null,"actor":"desk"}'
    app = TrackerApplication(blank_settings)
    app.store.chained = False  # as the code before revision 0013 wrote
    try:
        app.recorder.insert_events(
            [
                StoredEvent(project_id, 1, "tracker:Project.Announced", unkeyed),
                StoredEvent(project_id, 2, "tracker:Project.InvestmentCommitted", keyed),
            ]
        )
        assert app.snapshots is not None
        app.snapshots.recorder.insert_events([StoredEvent(project_id, 2, "old", b"{}")])
    finally:
        app.close()

    upgrade(blank_settings)

    app = TrackerApplication(blank_settings)
    try:
        records = app.command_records(project_id, ["import:row-7", "import:row-8"])
        assert records == {"import:row-7": CommandRecord("abc", 2)}
        assert app.snapshots is not None
        assert list(app.snapshots.recorder.select_events(project_id)) == []
    finally:
        app.close()
