"""Sourced statements about a whole portfolio, compared with the tracked figures.

Why: officials state figures for the portfolio as a whole ("11 projects worth USD 144 M
completed", "76 documents worth over USD 352 M signed") that no project-level event carries.
They are ``Portfolio.StatementRecorded`` events; this table is their projection, one row per
statement, shown beside the figures the tracker holds for the same measure and day.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from tracker.readmodel.database import Amount

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rm_statements",
        sa.Column("portfolio_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("measure", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("count", sa.Integer),
        sa.Column("amount", Amount),
        sa.Column("currency", sa.String(3)),
        sa.Column("jobs", sa.Integer),
        sa.Column("source_title", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=context.config.attributes.get("schema"),
    )


def downgrade() -> None:
    op.drop_table("rm_statements", schema=context.config.attributes.get("schema"))
