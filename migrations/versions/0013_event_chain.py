"""The hash chain over the event log, its signed checkpoints, and the last verification.

Why: whoever holds the database password could edit a stored event and nothing would notice.
``event_chain`` holds each event's link (tracker/eventstore/chain.py), written by the
recorders in the event's own transaction; ``chain_checkpoints`` holds the chain's head as
signed with the operator's Ed25519 key (the private key never enters the database);
``chain_verified`` remembers the last verification that found the chain whole, for the
metrics. An existing store gets its chain here, computed from its events in their global
order (snapshots are a cache and are left out).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import sqlalchemy as sa
from alembic import context, op

from tracker.eventstore.chain import GENESIS, StoredEntry, links_for

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Events chained per statement while the migration computes an existing store's links.
BATCH = 5000


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "event_chain",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("link", sa.LargeBinary, nullable=False),
        schema=schema,
    )
    op.create_table(
        "chain_checkpoints",
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False, unique=True),
        sa.Column("link", sa.LargeBinary, nullable=False),
        sa.Column("signed_at", sa.String(40), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
        schema=schema,
    )
    op.create_table(
        "chain_verified",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("events", sa.BigInteger, nullable=False),
        schema=schema,
    )
    _chain_existing_events(schema)


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_table("chain_verified", schema=schema)
    op.drop_table("chain_checkpoints", schema=schema)
    op.drop_table("event_chain", schema=schema)


def _chain_existing_events(schema: str | None) -> None:
    bind = op.get_bind()
    meta = sa.MetaData(schema=schema)
    postgres = bind.dialect.name == "postgresql"
    events = sa.Table("tracker_events" if postgres else "stored_events", meta, autoload_with=bind)
    chain = sa.Table("event_chain", meta, autoload_with=bind)
    position = events.c.notification_id if postgres else sa.literal_column("rowid")
    query = sa.select(
        position.label("position"),
        events.c.originator_id,
        events.c.originator_version,
        events.c.topic,
        events.c.state,
    ).order_by(position)
    previous, after = GENESIS, 0
    while True:
        rows = bind.execute(query.where(position > after).limit(BATCH)).all()
        if not rows:
            return
        links = links_for(
            previous,
            (
                StoredEntry(
                    row.position,
                    row.originator_id if postgres else UUID(row.originator_id),
                    row.originator_version,
                    row.topic,
                    bytes(row.state),
                )
                for row in rows
            ),
        )
        bind.execute(sa.insert(chain), [{"position": p, "link": link} for p, link in links])
        after, previous = links[-1]
