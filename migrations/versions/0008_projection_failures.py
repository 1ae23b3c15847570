"""Keep the events the projector set aside, so that one event can never stop the read model.

Why: an event the read model could not store (a title holding NUL, which PostgreSQL text
cannot hold) made the projector fail on every retry, and no later event of any portfolio
reached the reports. The projector now sets such an event aside here, with the reason, and
goes on; readiness, metrics and `tracker projections status` report it (docs/operations.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rm_failures",
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("originator_id", sa.String(36), nullable=False),
        sa.Column("originator_version", sa.Integer, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
        schema=context.config.attributes.get("schema"),
    )


def downgrade() -> None:
    op.drop_table("rm_failures", schema=context.config.attributes.get("schema"))
