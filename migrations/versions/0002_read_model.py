"""Read model: projections of the event store that reports query.

Why: reports must be SQL over tables kept up to date by the projector, never a replay of the
whole log per request. The money and jobs facts form a bitemporal ledger (effective date,
recorded and superseded moments), so an as-of report is one query. FX rates are reference
data kept beside them. tests/integration/test_migrations.py checks that these tables match
``tracker.readmodel.tables``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from tracker.readmodel.database import Amount

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(36)


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_portfolios",
        sa.Column("portfolio_id", ID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("forum", sa.Text, nullable=False),
        sa.Column("established_on", sa.Date, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        schema=schema,
    )
    op.create_table(
        "rm_targets",
        sa.Column("portfolio_id", ID, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("investment", Amount, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("jobs", sa.Integer, nullable=False),
        sa.Column("projects", sa.Integer, nullable=False),
        sa.Column("source_title", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_table(
        "rm_projects",
        sa.Column("project_id", ID, primary_key=True),
        sa.Column("portfolio_id", ID, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("sector", sa.String(100), nullable=False),
        sa.Column("regions", sa.Text, nullable=False),
        sa.Column("countries", sa.Text, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("planned_investment", Amount, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("planned_jobs", sa.Integer, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False),
        sa.Column("announced_on", sa.Date, nullable=False),
        sa.Column("last_event_on", sa.Date, nullable=False),
        sa.Column("last_recorded_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("ix_rm_projects_portfolio_id", "rm_projects", ["portfolio_id"], schema=schema)
    op.create_table(
        "rm_plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("portfolio_id", ID, nullable=False),
        sa.Column("sector", sa.String(100), nullable=False),
        sa.Column("regions", sa.Text, nullable=False),
        sa.Column("countries", sa.Text, nullable=False),
        sa.Column("planned_investment", Amount, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("planned_jobs", sa.Integer, nullable=False),
        sa.Column("announced_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        sa.Column("superseded_at", sa.DateTime),
        sa.Column("superseded_position", sa.Integer),
        schema=schema,
    )
    op.create_index(
        "ix_rm_plans_portfolio", "rm_plans", ["portfolio_id", "recorded_at"], schema=schema
    )
    op.create_table(
        "rm_statuses",
        sa.Column("project_id", ID, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", ID, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "ix_rm_statuses_portfolio", "rm_statuses", ["portfolio_id", "recorded_at"], schema=schema
    )
    op.create_table(
        "rm_facts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("fact_version", sa.Integer, nullable=False),
        sa.Column("portfolio_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", Amount),
        sa.Column("currency", sa.String(3)),
        sa.Column("permanent", sa.Integer, nullable=False),
        sa.Column("temporary", sa.Integer, nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        sa.Column("superseded_at", sa.DateTime),
        sa.Column("superseded_position", sa.Integer),
        schema=schema,
    )
    op.create_index(
        "ix_rm_facts_portfolio",
        "rm_facts",
        ["portfolio_id", "kind", "effective_date"],
        schema=schema,
    )
    op.create_index(
        "ix_rm_facts_project", "rm_facts", ["project_id", "fact_version"], schema=schema
    )
    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("rate_date", sa.Date, primary_key=True),
        sa.Column("units_per_usd", Amount, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        schema=schema,
    )
    op.create_table(
        "rm_position",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        schema=schema,
    )


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    for table in (
        "rm_position",
        "fx_rates",
        "rm_facts",
        "rm_statuses",
        "rm_plans",
        "rm_projects",
        "rm_targets",
        "rm_portfolios",
    ):
        op.drop_table(table, schema=schema)
