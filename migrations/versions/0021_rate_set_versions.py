"""The position of the last event that changed each rate set's rates
(``rm_rate_sets.rates_position``).

Why: a set of daily official rates holds thousands of rates, and every report read and sorted
all of them (issue 17: the progress report cost 1.5–1.9× as much with daily rates as with
monthly ones). A process now keeps each set's rates in force until an event changes them,
and knows they changed when this column names another position (tracker/readmodel/fx.py).
Each existing set gets the last position among its rates' rows, opened or closed, as the
projector would have written it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    # SQLite would append the column to the table's stored text; a rebuild swaps in a copy
    # only if its text is the live table's (tracker/readmodel/swap.py): the table is made
    # again, as the read model's tables say, instead.
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "rm_rate_sets", schema=schema, recreate="always" if sqlite else "never"
    ) as batch:
        batch.add_column(
            sa.Column("rates_position", sa.Integer, nullable=False, server_default="0")
        )
    rate_sets = sa.table(
        "rm_rate_sets",
        sa.column("rate_set_id"),
        sa.column("rates_position"),
        schema=schema,
    )
    rates = sa.table(
        "rm_rates",
        sa.column("rate_set_id"),
        sa.column("recorded_position"),
        sa.column("superseded_position"),
        schema=schema,
    )
    for position in (rates.c.recorded_position, rates.c.superseded_position):
        last = (
            sa.select(sa.func.max(position))
            .where(rates.c.rate_set_id == rate_sets.c.rate_set_id)
            .scalar_subquery()
        )
        op.execute(
            sa.update(rate_sets)
            .where(last > rate_sets.c.rates_position)
            .values(rates_position=last)
        )


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    with op.batch_alter_table("rm_rate_sets", schema=schema) as batch:
        batch.drop_column("rates_position")
