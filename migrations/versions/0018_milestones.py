"""The milestones reached, by the moment each was recorded: ``rm_milestones``.

Why: "what changed between two moments" and the "last 30 days" list find the events recorded
in a window through the read model's rows, each of which keeps the moment and position of
the event that recorded it (tracker/readmodel/activity.py). A milestone changes no figure and
left no such row, so milestones were never listed (issue 15). The projector now keeps one row
per milestone reached. The table starts empty: the milestones recorded before this revision
are listed once the read model is rebuilt (``tracker projections rebuild``), as 0010 did for
documents; until then they are missing from those lists (no figure depends on them).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_milestones",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", sa.String(36), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "ix_rm_milestones_portfolio",
        "rm_milestones",
        ["portfolio_id", "recorded_at"],
        schema=schema,
    )


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_milestones_portfolio", table_name="rm_milestones", schema=schema)
    op.drop_table("rm_milestones", schema=schema)
