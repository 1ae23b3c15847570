"""Who publishes each portfolio to IATI: its organisation identifier, name, type, flow type.

Why: the IATI export built every activity identifier on a placeholder organisation id
(``TRACKER-…``) that no registration agency gave, and could not be changed later without
renaming every activity. The publisher is now a fact of the portfolio, a
``Portfolio.ReportingOrganisationSet`` event; this table is its projection, one row per
setting, so that a read known at a past moment names the publisher of then. No event
exists before this revision, so the table starts empty; the IATI export refuses a
portfolio until its publisher is set (docs/import-format.md, "IATI").

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rm_reporting_organisations",
        sa.Column("portfolio_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("organisation_type", sa.String(2), nullable=False),
        sa.Column("flow_type", sa.String(2), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=context.config.attributes.get("schema"),
    )


def downgrade() -> None:
    op.drop_table("rm_reporting_organisations", schema=context.config.attributes.get("schema"))
