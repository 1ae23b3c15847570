"""Exchange rates become events of named rate sets; each portfolio names the sets it uses.

Why: the global ``fx_rates`` table was replaced in place, with no actor and no history, and
converted every portfolio's figures alike, the demo's illustrative rates included. Rates are
now ``RateSet`` events (published, corrected, withdrawn), projected into ``rm_rate_sets``
and ``rm_rates``; a portfolio's choice of sets is a ``Portfolio.RateSetsChosen`` event,
projected into ``rm_rate_choices``.

This revision turns the table into events, recorded by the actor "migration 0009": its
official rows into the rate set "Rates kept before rate sets", its illustrative rows into
"Illustrative (demo)". Every portfolio then names the first set (so its reports convert as
before); only an illustrative portfolio also names the illustrative set. A real portfolio
that converted with illustrative rates before no longer does: an admin may name that set
explicitly (``PUT /api/v1/portfolios/{id}/rate-sets``). The projector applies the new
events like any other. The downgrade drops the new tables and brings back an empty
``fx_rates``; the events stay in the log.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import context, op
from eventsourcing.persistence import StoredEvent

from tracker.domain.base import envelope_fields
from tracker.domain.portfolio import Portfolio
from tracker.domain.rate_set import PublishedRate, RateSet
from tracker.domain.values import Envelope, Source
from tracker.eventstore.encoding import MsgspecMapper
from tracker.readmodel.database import Amount

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "migration 0009"
OFFICIAL_SET = "Rates kept before rate sets"
ILLUSTRATIVE_SET = "Illustrative (demo)"


def upgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.create_table(
        "rm_rate_sets",
        sa.Column("rate_set_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("illustrative", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        schema=schema,
    )
    op.create_table(
        "rm_rates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rate_set_id", sa.String(36), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate_date", sa.Date, nullable=False),
        sa.Column("units_per_usd", Amount, nullable=False),
        sa.Column("source_title", sa.Text),
        sa.Column("source_url", sa.Text),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        sa.Column("superseded_at", sa.DateTime),
        sa.Column("superseded_position", sa.Integer),
        schema=schema,
    )
    op.create_index(
        "ix_rm_rates_set",
        "rm_rates",
        ["rate_set_id", "currency", "rate_date", "superseded_position"],
        schema=schema,
    )
    op.create_table(
        "rm_rate_choices",
        sa.Column("portfolio_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("rate_sets", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_position", sa.Integer, nullable=False),
        schema=schema,
    )
    _rates_into_events(schema)
    op.drop_table("fx_rates", schema=schema)


def downgrade() -> None:
    schema = context.config.attributes.get("schema")
    op.drop_table("rm_rate_choices", schema=schema)
    op.drop_index("ix_rm_rates_set", "rm_rates", schema=schema)
    op.drop_table("rm_rates", schema=schema)
    op.drop_table("rm_rate_sets", schema=schema)
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


def _rates_into_events(schema: str | None) -> None:
    bind = op.get_bind()
    meta = sa.MetaData(schema=schema)
    fx_rates = sa.Table("fx_rates", meta, autoload_with=bind)
    rows = list(bind.execute(sa.select(fx_rates).order_by("currency", "rate_date")))
    postgres = bind.dialect.name == "postgresql"
    events = sa.Table("tracker_events" if postgres else "stored_events", meta, autoload_with=bind)
    today = datetime.now(UTC).date()
    envelope = Envelope(ACTOR, today)
    sets: dict[bool, RateSet] = {}
    for illustrative in (False, True):
        chosen = [r for r in rows if bool(r.illustrative) is illustrative]
        if not chosen:
            continue
        rate_set = RateSet.establish(
            ILLUSTRATIVE_SET if illustrative else OFFICIAL_SET,
            envelope,
            illustrative=illustrative,
        )
        # One publication per source, so each rate keeps the source it was put with.
        for source in sorted({r.source for r in chosen}):
            rate_set.publish(
                [
                    PublishedRate(r.currency, r.rate_date, Decimal(str(r.units_per_usd)))
                    for r in chosen
                    if r.source == source
                ],
                Envelope(ACTOR, today, Source(source)),
            )
        sets[illustrative] = rate_set
    if not sets:
        return
    new_events: list[Any] = [e for s in sets.values() for e in s.collect_events()]
    for portfolio_id, version, illustrative in _portfolios(bind, events):
        names = [s.id for flag, s in sorted(sets.items()) if not flag or illustrative]
        if names:
            new_events.append(_chosen(portfolio_id, version, names, envelope))
    mapper = MsgspecMapper()
    bind.execute(
        sa.insert(events),
        [_row(mapper.to_stored_event(event), postgres) for event in new_events],
    )


def _portfolios(bind: Any, events: sa.Table) -> list[tuple[UUID, int, bool]]:
    """Each portfolio's id, latest version and whether it is illustrative."""
    mapper = MsgspecMapper()
    found = []
    established = bind.execute(
        sa.select(events).where(events.c.topic == Portfolio.Established.TOPIC)
    )
    for row in list(established):
        event: Any = mapper.to_domain_event(_stored(row))
        latest = bind.execute(
            sa.select(sa.func.max(events.c.originator_version)).where(
                events.c.originator_id == row.originator_id
            )
        ).scalar_one()
        found.append((UUID(str(event.originator_id)), int(latest), bool(event.illustrative)))
    return found


def _chosen(portfolio_id: UUID, version: int, sets: list[UUID], envelope: Envelope) -> Any:
    fields = envelope_fields(envelope)
    fields["timestamp"] = Portfolio.RateSetsChosen.create_timestamp()
    return Portfolio.RateSetsChosen(  # type: ignore[call-arg]
        originator_id=portfolio_id,
        originator_version=version + 1,
        rate_sets=tuple(sets),
        **fields,
    )


def _stored(row: Any) -> Any:
    return StoredEvent(
        originator_id=row.originator_id,
        originator_version=row.originator_version,
        topic=row.topic,
        state=bytes(row.state),
    )


def _row(stored: Any, postgres: bool) -> dict[str, Any]:
    originator_id = stored.originator_id
    return {
        "originator_id": originator_id if postgres else originator_id.hex,
        "originator_version": stored.originator_version,
        "topic": stored.topic,
        "state": stored.state,
    }
