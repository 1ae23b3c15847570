"""What readers need (issue 15): find the ledger rows recorded or closed in a window.

Why: "what changed between two moments" (``tracker.readmodel.changes``) and the list of the
events recorded between them (``tracker.readmodel.activity``) read only the ledger rows
recorded, corrected or retracted between the two ``known_at``. The report index leads with
kind, currency and value date, so finding those rows read the portfolio's whole ledger; an
index per moment (recorded, closed) finds them in the window alone. Plans, statuses and the
other tables already have a (portfolio, recorded_at) index or are small.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import context, op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_rm_facts_recorded": ["portfolio_id", "recorded_at"],
    "ix_rm_facts_superseded": ["portfolio_id", "superseded_at"],
}


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    for name, columns in INDEXES.items():
        op.create_index(name, "rm_facts", columns, schema=schema)


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    for name in INDEXES:
        op.drop_index(name, "rm_facts", schema=schema)
