"""Snapshots of projects that keep versions, not values, of what corrections did.

Why: a project's snapshot still held, for every corrected or retracted fact, the replaced
values (money, dates, names), so it grew to 182 KB at 10,000 events and loading it took 11x
a short project's time. The aggregate now keeps only integers per touched fact (the versions
of its corrections and of its retraction); a correction is handed those events by the
application. Snapshots of the old shape cannot be read as the new one (nor the other way
round), and they are only a cache of the events: both directions delete them, and they are
taken again at the next snapshot interval (docs/architecture.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _snapshots_table() -> str:
    """``schema."tracker_snapshots"`` on PostgreSQL, ``stored_snapshots`` on SQLite."""
    bind = op.get_bind()
    quote = bind.dialect.identifier_preparer.quote_identifier
    if bind.dialect.name != "postgresql":
        return quote("stored_snapshots")
    schema = context.config.attributes.get("schema")
    table = quote("tracker_snapshots")
    return f"{quote(schema)}.{table}" if schema else table


def upgrade() -> None:
    op.execute(f"DELETE FROM {_snapshots_table()}")


def downgrade() -> None:
    op.execute(f"DELETE FROM {_snapshots_table()}")
