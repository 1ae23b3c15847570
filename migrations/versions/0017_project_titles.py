"""Projects' titles in the readers' languages: one row per ``Project.TitleTranslated``.

Why: data stays as entered, but a project may carry its title in several languages (en, ru,
kk, uz), shown in the reader's language when one is given. The title known at a moment is
the latest row recorded by then (tracker/readmodel/titles.py). No such event exists before
this revision, so the table starts empty.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_project_titles",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", sa.String(36), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "ix_rm_project_titles_portfolio",
        "rm_project_titles",
        ["portfolio_id", "language"],
        schema=schema,
    )


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_project_titles_portfolio", "rm_project_titles", schema=schema)
    op.drop_table("rm_project_titles", schema=schema)
