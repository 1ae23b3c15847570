"""The sums per value date that the projector keeps (rm_fact_totals) always equal the
ledger's current rows summed: as projected batch by batch, after a rebuild, and as migration
0016 computes them for a store that had none. (The reports read from them are compared
with a plain fold of the events in test_reports_match_the_oracle and
tests/http/test_views_match_the_oracle.)"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from tracker.application import TrackerApplication
from tracker.demo import load_demo
from tracker.eventstore.migrate import downgrade, upgrade
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.rebuild import rebuild
from tracker.settings import Settings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def ledger_sums(engine: Engine) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    facts, projects = t.facts.c, t.projects.c
    sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [None, 0, 0, 0])
    query = (
        select(t.facts, projects.illustrative)
        .join(t.projects, projects.project_id == facts.project_id)
        .where(facts.superseded_at.is_(None))
    )
    with engine.connect() as conn:
        for row in conn.execute(query):
            key = (row.portfolio_id, row.illustrative, row.kind, row.currency or "")
            entry = sums[(*key, row.effective_date)]
            if row.amount is not None:
                entry[0] = (entry[0] or Decimal(0)) + row.amount
            entry[1] += row.permanent
            entry[2] += row.temporary
            entry[3] += 1
    return {key: tuple(value) for key, value in sums.items()}


def kept_sums(engine: Engine) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.fact_totals))
        return {
            (r.portfolio_id, r.illustrative, r.kind, r.currency, r.effective_date): (
                r.amount,
                r.permanent,
                r.temporary,
                r.count,
            )
            for r in rows
        }


def test_the_sums_equal_the_ledger_projected_rebuilt_and_migrated(settings: Settings) -> None:
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=2)
    try:
        load_demo(tracker, NOW)
        projector = Projector(tracker, engine)
        projector.catch_up()
        expected = ledger_sums(engine)
        assert len(expected) > 100
        # The demo corrects and retracts facts: a sum whose facts all went is no row.
        assert kept_sums(engine) == expected

        rebuild(projector)
        assert kept_sums(engine) == expected

        engine.dispose()
        downgrade(settings, "0015")
        upgrade(settings)
        assert kept_sums(engine) == expected
    finally:
        engine.dispose()
        tracker.close()
