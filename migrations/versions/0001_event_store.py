"""Event store: the eventsourcing library's tables, owned by alembic.

Why: the application runs with the library's ``CREATE_TABLE=false`` so that the schema
changes only through reviewed, versioned migrations (and a running process never issues
DDL). This revision therefore has to create, as static DDL, exactly what eventsourcing
9.5.6 would create for our application named "Tracker" with snapshotting enabled, plus
the tracking table its tracking/process recorder creates (single-row tracking, the
default), which the read-model projector needs:

* SQLite (``eventsourcing/sqlite.py``): ``stored_events`` is a rowid table and the rowid
  is the notification id; ``stored_snapshots`` and ``tracking`` are WITHOUT ROWID. The
  names are fixed: the SQLite factory does not prefix them with the application name.
* PostgreSQL (``eventsourcing/postgres.py``), in the configured schema: the factory
  prefixes every name with the lowercased application name, so ``tracker_events`` (with a
  bigserial ``notification_id`` and the unique index
  ``tracker_events_notification_id_idx``), ``tracker_snapshots`` and ``tracker_tracking``
  (the recorder class default ``notification_tracking`` is only used by a factory whose
  environment has no name), all with the library's autovacuum storage options, and the
  composite type ``stored_event_uuid`` that its INSERT statements cast to. The library's
  PL/pgSQL function ``es_insert_events_uuid`` is deliberately not created: it is only
  called with ``POSTGRES_ENABLE_DB_FUNCTIONS``, which stays off, and its body embeds the
  configured lock timeout.
* The library's tracking recorder also writes a ``('__migration__', 1)`` row when it
  creates the single-row tracking table; without that row a later run with
  ``CREATE_TABLE=true`` would take the table for a legacy multi-row one and rebuild it,
  so this revision writes the row too.

The statements are the library's own (``IF NOT EXISTS`` included), so a database whose
tables the library created before alembic took over is adopted unchanged.
tests/integration/test_migrations.py checks that the result equals what the library
creates.

Revision ID: 0001
Revises:
Create Date: 2025-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op
from sqlalchemy import text

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The library's autovacuum settings for every PostgreSQL table it creates.
PG_STORAGE = (
    "WITH ("
    "autovacuum_enabled = true, "
    "autovacuum_vacuum_threshold = 100000000, "
    "autovacuum_vacuum_scale_factor = 0.5, "
    "autovacuum_analyze_threshold = 1000, "
    "autovacuum_analyze_scale_factor = 0.01"
    ")"
)
MIGRATION_TRACKING_ROW = "('__migration__', 1)"


def _pg_schema() -> str:
    """The configured schema, quoted like the library's ``psycopg.sql.Identifier``."""
    schema = context.config.attributes.get("schema")
    if not schema:
        raise RuntimeError('migrations/env.py did not set config.attributes["schema"]')
    return str(op.get_bind().dialect.identifier_preparer.quote_identifier(schema))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres(_pg_schema())
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _downgrade_postgres(_pg_schema())
    else:
        _downgrade_sqlite()


def _upgrade_sqlite() -> None:
    # SQLiteApplicationRecorder: a rowid table, the rowid is the notification id.
    op.execute(
        "CREATE TABLE IF NOT EXISTS stored_events ("
        "originator_id TEXT, "
        "originator_version INTEGER, "
        "topic TEXT, "
        "state BLOB, "
        "PRIMARY KEY (originator_id, originator_version))"
    )
    # SQLiteAggregateRecorder for the "snapshots" purpose.
    op.execute(
        "CREATE TABLE IF NOT EXISTS stored_snapshots ("
        "originator_id TEXT, "
        "originator_version INTEGER, "
        "topic TEXT, "
        "state BLOB, "
        "PRIMARY KEY (originator_id, originator_version)) "
        "WITHOUT ROWID"
    )
    # SQLiteTrackingRecorder, single-row tracking.
    op.execute(
        "CREATE TABLE IF NOT EXISTS tracking ("
        "application_name TEXT, "
        "notification_id INTEGER, "
        "PRIMARY KEY (application_name)) "
        "WITHOUT ROWID"
    )
    op.execute(
        "INSERT OR IGNORE INTO tracking (application_name, notification_id) "
        f"VALUES {MIGRATION_TRACKING_ROW}"
    )


def _downgrade_sqlite() -> None:
    op.execute("DROP TABLE IF EXISTS tracking")
    op.execute("DROP TABLE IF EXISTS stored_snapshots")
    op.execute("DROP TABLE IF EXISTS stored_events")


def _upgrade_postgres(schema: str) -> None:
    # PostgresApplicationRecorder.
    op.execute(
        f'CREATE TABLE IF NOT EXISTS {schema}."tracker_events" ('
        "originator_id uuid NOT NULL, "
        "originator_version bigint NOT NULL, "
        "topic text, "
        "state bytea, "
        "notification_id bigserial, "
        "PRIMARY KEY (originator_id, originator_version)) "
        f"{PG_STORAGE}"
    )
    op.execute(
        'CREATE UNIQUE INDEX IF NOT EXISTS "tracker_events_notification_id_idx" '
        f'ON {schema}."tracker_events" (notification_id ASC)'
    )
    # PostgresAggregateRecorder for the "snapshots" purpose.
    op.execute(
        f'CREATE TABLE IF NOT EXISTS {schema}."tracker_snapshots" ('
        "originator_id uuid NOT NULL, "
        "originator_version bigint NOT NULL, "
        "topic text, "
        "state bytea, "
        "PRIMARY KEY (originator_id, originator_version)) "
        f"{PG_STORAGE}"
    )
    # The composite type both recorders cast their INSERT parameters to. PostgreSQL has
    # no CREATE TYPE IF NOT EXISTS; the library ignores DuplicateObject instead.
    exists = op.get_bind().execute(
        text("SELECT to_regtype(:name) IS NOT NULL"), {"name": f'{schema}."stored_event_uuid"'}
    )
    if not exists.scalar_one():
        op.execute(
            f'CREATE TYPE {schema}."stored_event_uuid" AS ('
            "originator_id uuid, "
            "originator_version bigint, "
            "topic text, "
            "state bytea)"
        )
    # PostgresTrackingRecorder / PostgresProcessRecorder, single-row tracking.
    op.execute(
        f'CREATE TABLE IF NOT EXISTS {schema}."tracker_tracking" ('
        "application_name text, "
        "notification_id bigint, "
        "PRIMARY KEY (application_name)) "
        f"{PG_STORAGE}"
    )
    op.execute(
        f'INSERT INTO {schema}."tracker_tracking" (application_name, notification_id) '
        f"VALUES {MIGRATION_TRACKING_ROW} ON CONFLICT (application_name) DO NOTHING"
    )


def _downgrade_postgres(schema: str) -> None:
    op.execute(f'DROP TABLE IF EXISTS {schema}."tracker_tracking"')
    op.execute(f'DROP TABLE IF EXISTS {schema}."tracker_snapshots"')
    op.execute(f'DROP TABLE IF EXISTS {schema}."tracker_events"')
    # Not created here, but present where the library made the tables before alembic
    # adopted them; it depends on the type.
    op.execute(
        f'DROP FUNCTION IF EXISTS {schema}."es_insert_events_uuid"({schema}."stored_event_uuid"[])'
    )
    op.execute(f'DROP TYPE IF EXISTS {schema}."stored_event_uuid"')
