"""Indicators with targets and observations (issue 14).

Why: a portfolio follows figures beyond its projects (mutual trade turnover against a USD 10 B
goal, additional exports), each a series of observations per period with restated targets.
They are ``Indicator`` events, projected into ``rm_indicators``, ``rm_observations``
(bitemporal: a correction closes a row and opens one) and ``rm_indicator_targets``. The
log holds no indicator events before this revision, so the new tables start empty; the
downgrade drops them (any indicator events stay in the log).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from tracker.readmodel.database import Amount

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = 36


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_indicators",
        sa.Column("indicator_id", sa.String(ID), primary_key=True),
        sa.Column("portfolio_id", sa.String(ID), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("unit", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("ix_rm_indicators_portfolio", "rm_indicators", ["portfolio_id"], schema=schema)
    op.create_table(
        "rm_observations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator_id", sa.String(ID), nullable=False),
        sa.Column("portfolio_id", sa.String(ID), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("period_kind", sa.String(16), nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("observed_version", sa.Integer, nullable=False),
        sa.Column("correction_reason", sa.Text),
        sa.Column("source_title", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        sa.Column("superseded_at", sa.DateTime),
        sa.Column("superseded_position", sa.Integer),
        schema=schema,
    )
    op.create_index(
        "ix_rm_observations_indicator",
        "rm_observations",
        ["indicator_id", "period_start", "period_end", "superseded_position"],
        schema=schema,
    )
    op.create_index(
        "ix_rm_observations_portfolio",
        "rm_observations",
        ["portfolio_id", "recorded_at"],
        schema=schema,
    )
    op.create_table(
        "rm_indicator_targets",
        sa.Column("indicator_id", sa.String(ID), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", sa.String(ID), nullable=False),
        sa.Column("amount", Amount, nullable=False),
        sa.Column("currency", sa.String(3)),
        sa.Column("target_date", sa.Date, nullable=False),
        sa.Column("per", sa.String(16)),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("source_title", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "ix_rm_indicator_targets_portfolio",
        "rm_indicator_targets",
        ["portfolio_id", "recorded_at"],
        schema=schema,
    )


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_indicator_targets_portfolio", "rm_indicator_targets", schema=schema)
    op.drop_table("rm_indicator_targets", schema=schema)
    op.drop_index("ix_rm_observations_portfolio", "rm_observations", schema=schema)
    op.drop_index("ix_rm_observations_indicator", "rm_observations", schema=schema)
    op.drop_table("rm_observations", schema=schema)
    op.drop_index("ix_rm_indicators_portfolio", "rm_indicators", schema=schema)
    op.drop_table("rm_indicators", schema=schema)
