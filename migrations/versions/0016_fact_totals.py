"""The current facts summed per portfolio, layer, kind, currency and value date.

Why: every portfolio report summed every ledger row of the portfolio; at a million events
that took 0.4–1.0 s (docs/BENCHMARKS.md). The projector now keeps these sums beside the
ledger, in the same transaction (tracker/readmodel/fact_totals.py), and the unfiltered
reports read them. This revision creates the table and sums the ledger's current rows into
it, exactly (in Python: SQLite keeps amounts as decimal text).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from tracker.readmodel.database import Amount

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    totals = op.create_table(
        "rm_fact_totals",
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
    facts = sa.table(
        "rm_facts",
        *(
            sa.column(name)
            for name in (
                "project_id",
                "portfolio_id",
                "kind",
                "currency",
                "permanent",
                "temporary",
                "superseded_at",
            )
        ),
        sa.column("amount", Amount),
        sa.column("effective_date", sa.Date),
        schema=schema,
    )
    projects = sa.table(
        "rm_projects",
        sa.column("project_id"),
        sa.column("illustrative", sa.Boolean),
        schema=schema,
    )
    current = (
        sa.select(
            facts.c.portfolio_id,
            projects.c.illustrative,
            facts.c.kind,
            facts.c.currency,
            facts.c.effective_date,
            facts.c.amount,
            facts.c.permanent,
            facts.c.temporary,
        )
        .join(projects, projects.c.project_id == facts.c.project_id)
        .where(facts.c.superseded_at.is_(None))
    )
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in op.get_bind().execute(current):
        key = (
            row.portfolio_id,
            bool(row.illustrative),
            row.kind,
            row.currency or "",
            row.effective_date,
        )
        entry = sums.setdefault(key, [None, 0, 0, 0])
        if row.amount is not None:
            entry[0] = (entry[0] or Decimal(0)) + Decimal(row.amount)
        entry[1] += int(row.permanent or 0)
        entry[2] += int(row.temporary or 0)
        entry[3] += 1
    columns = ("portfolio_id", "illustrative", "kind", "currency", "effective_date")
    op.bulk_insert(
        totals,
        [
            {
                **dict(zip(columns, key, strict=True)),
                "amount": amount,
                "permanent": permanent,
                "temporary": temporary,
                "count": count,
            }
            for key, (amount, permanent, temporary, count) in sums.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("rm_fact_totals", schema=context.config.attributes.get("schema"))
