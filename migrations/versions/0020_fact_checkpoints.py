"""Checkpoints of the ledger's sums (``rm_fact_checkpoints``, ``rm_fact_checkpoint_sums``),
and an index to look a project's status at a moment up (``ix_rm_statuses_lookup``).

Why: a report as known at a past moment took off, from the current sums, every ledger row
changed since that moment: half a million rows for a moment half-way through a million
events (issue 17: 4–6 s on SQLite). The projector now keeps, every 20,000 positions, the sums
as known at that point (tracker/readmodel/fact_checkpoints.py); a report reads the nearest
checkpoint and the ledger rows changed between. The tables start empty, which is correct (a
report then starts from the current sums, as before); the projector adds checkpoints as
events arrive, and a rebuild (``tracker projections rebuild``) counts them for the whole log.

A report as of a day ranked every status of the portfolio to find each project's; it now looks
each project's up in an index holding every column it reads.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from tracker.readmodel.database import Amount

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_fact_checkpoints",
        sa.Column("ends_at", sa.DateTime, primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_table(
        "rm_fact_checkpoint_sums",
        sa.Column("ends_at", sa.DateTime, primary_key=True),
        sa.Column("portfolio_id", sa.String(36), primary_key=True),
        sa.Column("illustrative", sa.Boolean, primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("effective_date", sa.Date, primary_key=True),
        sa.Column("amount", Amount),
        sa.Column("permanent", sa.Integer, nullable=False),
        sa.Column("temporary", sa.Integer, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        schema=schema,
    )

    op.create_index(
        "ix_rm_statuses_lookup",
        "rm_statuses",
        ["project_id", "effective_date", "version", "recorded_at", "status"],
        schema=schema,
    )


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_statuses_lookup", table_name="rm_statuses", schema=schema)
    op.drop_table("rm_fact_checkpoint_sums", schema=schema)
    op.drop_table("rm_fact_checkpoints", schema=schema)
