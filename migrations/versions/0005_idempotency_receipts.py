"""Idempotency receipts, and snapshots of the bounded aggregate state.

Why: a project's snapshot held every fact, every event's kind and every idempotency key, so
loading a project grew with its history (2 MB and 78-114x slower at 10,000 events). The
aggregates now keep only what their rules need, and the memory of idempotent commands moves
to this table, written by the event store's recorder in the events' own transaction
(``tracker.eventstore.receipts.receipts_table`` mirrors it; tests/integration/test_migrations.py
compares them).

- The receipts of events recorded before this revision are read from the events themselves
  (their JSON carries ``idempotency_key`` and ``command_digest``), so a retried request or
  a re-imported file is still recognised.
- Snapshots of the old shape cannot be read as the new one (nor the other way round), and
  they are only a cache of the events: both directions delete them, and they are taken
  again at the next snapshot interval (docs/architecture.md, "Decisions that cannot be
  changed later").

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "idempotency_receipts"


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _quoted(name: str) -> str:
    """``schema."name"`` on PostgreSQL, the bare name on SQLite."""
    quote = op.get_bind().dialect.identifier_preparer.quote_identifier
    schema = context.config.attributes.get("schema")
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("aggregate_id", sa.Uuid, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("digest", sa.Text),
        sa.Column("version", sa.BigInteger, nullable=False),
        schema=context.config.attributes.get("schema"),
    )
    if _is_postgres():
        events = _quoted("tracker_events")
        # msgspec JSON, never compressed or encrypted (no cipher is configured).
        op.execute(
            f"INSERT INTO {_quoted(TABLE)} (aggregate_id, key, digest, version) "
            "SELECT originator_id, doc->>'idempotency_key', doc->>'command_digest', "
            "originator_version FROM ("
            "SELECT originator_id, originator_version, notification_id, "
            "convert_from(state, 'UTF8')::jsonb AS doc "
            f"FROM {events} WHERE get_byte(state, 0) = 123) AS e "
            "WHERE doc->>'idempotency_key' IS NOT NULL "
            "ORDER BY notification_id ON CONFLICT DO NOTHING"
        )
        op.execute(f"DELETE FROM {_quoted('tracker_snapshots')}")
    else:
        op.execute(
            f"INSERT OR IGNORE INTO {TABLE} (aggregate_id, key, digest, version) "
            "SELECT originator_id, json_extract(doc, '$.idempotency_key'), "
            "json_extract(doc, '$.command_digest'), originator_version FROM ("
            "SELECT rowid, originator_id, originator_version, CAST(state AS TEXT) AS doc "
            "FROM stored_events) "
            "WHERE json_valid(doc) AND json_extract(doc, '$.idempotency_key') IS NOT NULL "
            "ORDER BY rowid"
        )
        op.execute("DELETE FROM stored_snapshots")


def downgrade() -> None:
    op.drop_table(TABLE, schema=context.config.attributes.get("schema"))
    snapshots = "tracker_snapshots" if _is_postgres() else "stored_snapshots"
    op.execute(f"DELETE FROM {_quoted(snapshots)}")
