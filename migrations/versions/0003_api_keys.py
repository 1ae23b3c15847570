"""API keys: only hashes of the secrets are kept.

Why: every write needs a recorder or admin key, and the key's name becomes the actor of the
events it records. ``tracker.readmodel.key_rows.api_keys`` mirrors this table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("portfolio_id", sa.String(36)),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        schema=context.config.attributes.get("schema"),
    )


def downgrade() -> None:
    op.drop_table("api_keys", schema=context.config.attributes.get("schema"))
