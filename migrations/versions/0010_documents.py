"""The register of signed documents (issue 14): ``rm_documents`` and ``rm_document_versions``.

Why: agreements and memoranda signed at a forum ("76 documents, > USD 352 M") are
``Document`` aggregates, counted apart from projects. The read model keeps each document's
current row for listing and one row per version (its terms and status after each event,
from that event's effective date, as recorded then), so the register's count and sum as of
a day as known at a moment are SQL. The tables start empty: no document event existed
before this revision (the projector fills them from the log on a rebuild).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from tracker.readmodel.database import Amount

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_documents",
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("portfolio_id", sa.String(36), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("forum", sa.Text),
        sa.Column("parties", sa.Text, nullable=False),
        sa.Column("value_amount", Amount),
        sa.Column("currency", sa.String(3)),
        sa.Column("value_date", sa.Date),
        sa.Column("projects", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source_title", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("last_event_on", sa.Date, nullable=False),
        sa.Column("last_recorded_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("ix_rm_documents_portfolio_id", "rm_documents", ["portfolio_id"], schema=schema)
    op.create_table(
        "rm_document_versions",
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", sa.String(36), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("signed_on", sa.Date, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parties", sa.Text, nullable=False),
        sa.Column("value_amount", Amount),
        sa.Column("currency", sa.String(3)),
        sa.Column("value_date", sa.Date),
        sa.Column("projects", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "ix_rm_document_versions_portfolio",
        "rm_document_versions",
        ["portfolio_id", "recorded_at"],
        schema=schema,
    )


def downgrade() -> None:
    """Drop the tables; the documents' events stay in the log."""
    schema = context.config.attributes.get("schema")
    op.drop_index("ix_rm_document_versions_portfolio", "rm_document_versions", schema=schema)
    op.drop_table("rm_document_versions", schema=schema)
    op.drop_index("ix_rm_documents_portfolio_id", "rm_documents", schema=schema)
    op.drop_table("rm_documents", schema=schema)
