"""The ledger's report index also holds each row's project and events, for ``changes``.

Why: "what changed" between two days, as known now, reads every ledger row effective between
them (over a month of a 1,000,000-event portfolio, ~26,000 rows), with its project and the
positions of the events that recorded and closed it. The report index (0007) found the rows
by kind, currency and value date, but each was then read from the table for those three
columns: ~14,000 table pages on PostgreSQL, a lookup per row on SQLite, about a quarter of
the computation. With them at the end of the index the rows are read from the index alone;
the reports read the same leading columns as before, and a report narrowed by filters,
which groups the ledger per project, no longer reads the table either. It replaces the old
index, so the projector still maintains as many indexes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The columns of 0007's index: what the reports read, in their group order.
REPORTS = [
    "portfolio_id",
    "kind",
    "currency",
    "effective_date",
    "superseded_at",
    "recorded_at",
    "amount",
    "permanent",
    "temporary",
]
#: What ``changes`` reads besides: the row's project and the events behind it.
CHANGES = ["project_id", "recorded_position", "superseded_position"]


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_facts_report", "rm_facts", schema=schema)
    op.create_index("ix_rm_facts_report", "rm_facts", REPORTS + CHANGES, schema=schema)


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_facts_report", "rm_facts", schema=schema)
    op.create_index("ix_rm_facts_report", "rm_facts", REPORTS, schema=schema)
