"""Revision 0009 turns the old global rate table into rate-set events, keeping reports true.

Before it, every portfolio converted with every row of ``fx_rates``, the demo's illustrative
rows included. After it, a real portfolio converts with the official rows only, and an
illustrative portfolio with both, each rate traced to its set, source and actor.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from tracker.application import TrackerApplication
from tracker.domain.plan import Plan
from tracker.domain.values import Envelope, Money
from tracker.eventstore.migrate import upgrade
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery, progress
from tracker.settings import Settings

ENVELOPE = Envelope("desk", date(2024, 1, 2))


def _portfolio_with_kzt(app: TrackerApplication, *, illustrative: bool) -> object:
    portfolio = app.establish_portfolio(
        "P", "F", date(2024, 1, 2), ENVELOPE, illustrative=illustrative
    ).id
    plan = Plan(
        title="Plant",
        sector="metallurgy",
        regions=("KZ-61",),
        countries=(),
        parties=(),
        planned_investment=Money(Decimal(5_000_000), "KZT"),
        planned_jobs=1,
        planned_start=None,
        planned_end=None,
    )
    app.announce_project(portfolio, plan, ENVELOPE)
    return portfolio


def test_the_old_rate_table_becomes_rate_set_events(blank_settings: Settings) -> None:
    upgrade(blank_settings, "0008")
    app = TrackerApplication(blank_settings)
    app.store.chained = False  # as the code before revision 0013 wrote
    try:
        real = _portfolio_with_kzt(app, illustrative=False)
        demo = _portfolio_with_kzt(app, illustrative=True)
    finally:
        app.close()
    engine = create_readmodel_engine(blank_settings, pool_size=1)
    schema = blank_settings.db_schema if blank_settings.is_postgres else None
    fx_rates = sa.Table("fx_rates", sa.MetaData(schema=schema), autoload_with=engine)
    recorded = datetime(2024, 1, 3)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(fx_rates),
            [
                {
                    "currency": "KZT",
                    "rate_date": date(2024, 1, 1),
                    "units_per_usd": "500",
                    "source": "NBK",
                    "illustrative": False,
                    "recorded_at": recorded,
                },
                {
                    "currency": "KZT",
                    "rate_date": date(2024, 1, 2),
                    "units_per_usd": "250",
                    "source": "Illustrative demo rate",
                    "illustrative": True,
                    "recorded_at": recorded,
                },
            ],
        )
    engine.dispose()

    upgrade(blank_settings)

    app = TrackerApplication(blank_settings)
    engine = create_readmodel_engine(blank_settings, pool_size=1)
    try:
        Projector(app, engine).catch_up()
        with engine.connect() as conn:
            real_report = progress(conn, ReportQuery(real))  # type: ignore[arg-type]
            demo_report = progress(conn, ReportQuery(demo))  # type: ignore[arg-type]
        # The real portfolio: the official rate only (5,000,000 KZT / 500).
        assert real_report.figures.pledged.amount == Decimal(10_000)
        assert [(r.rate_set, r.source_title) for r in real_report.rates_used] == [
            ("Rates kept before rate sets", "NBK")
        ]
        # The illustrative one: the official set first, then the illustrative (newer date).
        assert demo_report.figures.pledged.amount == Decimal(10_000)
        assert [s.name for s in demo_report.rate_sets] == [
            "Rates kept before rate sets",
            "Illustrative (demo)",
        ]
        official = app.rate_set(app.portfolio(real).rate_sets[0])  # type: ignore[arg-type]
        assert official.rates == {"KZT 2024-01-01": Decimal(500)}
        history = app.recorded_events(official.id)
        assert {e.event.actor for e in history} == {"migration 0009"}
        assert not sa.inspect(engine).has_table("fx_rates", schema=schema)
    finally:
        engine.dispose()
        app.close()
