"""The demo portfolio: real restated targets, 74 illustrative projects, loaded once, and its
own illustrative rate set, which converts every demo amount."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from tracker.application import TrackerApplication
from tracker.demo import ILLUSTRATIVE, RATE_SET, load_demo
from tracker.readmodel import reports
from tracker.readmodel import tables as t
from tracker.readmodel.database import create_readmodel_engine
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery
from tracker.settings import Settings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_the_demo_adds_up_to_the_pledge_and_loads_once(settings: Settings) -> None:
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=2)
    try:
        first = load_demo(tracker, NOW)
        head = tracker.recorder.max_notification_id()
        second = load_demo(tracker, NOW)
        assert first.events_recorded > 500
        assert second.events_recorded == 0
        assert second.events_replayed == first.events_recorded
        assert tracker.recorder.max_notification_id() == head

        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            count, planned, jobs = conn.execute(
                select(
                    func.count(),
                    func.sum(t.projects.c.planned_jobs),
                    func.count().filter(t.projects.c.illustrative),
                )
            ).one()
            assert count == 74
            assert planned == 14_600
            assert jobs == 74
            amounts = conn.execute(
                select(t.projects.c.planned_investment, t.projects.c.currency, t.projects.c.title)
            ).all()
            assert sum(a for a, _, _ in amounts) == Decimal(3_400_000_000)
            assert {c for _, c, _ in amounts} == {"USD"}
            assert all(title.startswith(ILLUSTRATIVE) for _, _, title in amounts)
            restated = conn.execute(
                select(t.targets.c.projects).order_by(t.targets.c.effective_date)
            ).scalars()
            assert list(restated) == [42, 60, 69, 74]
            currencies = set(conn.execute(select(t.facts.c.currency).distinct()).scalars())
            assert {"USD", "KZT", "UZS"} <= currencies
            superseded = conn.execute(
                select(func.count()).where(t.facts.c.superseded_position.is_not(None))
            ).scalar_one()
            assert superseded > 0  # some corrections and retractions
            statuses = set(conn.execute(select(t.projects.c.status).distinct()).scalars())
            assert {"cancelled", "operational"} <= statuses

            report = reports.progress(conn, ReportQuery(first.portfolio_id))
        assert report.targets is not None
        assert (report.targets.projects, report.targets.jobs) == (74, 14_600)
        assert report.targets.investment == Decimal(3_400_000_000)
        # The demo brings its own rates: one illustrative set, which only it names, converts
        # every demo amount.
        assert [(s.name, s.illustrative) for s in report.rate_sets] == [(RATE_SET, True)]
        for total in (report.figures.pledged, report.figures.committed, report.figures.disbursed):
            assert total.unconverted == {}
        assert {rate.currency for rate in report.rates_used} == {"KZT", "UZS"}
        assert all(rate.illustrative for rate in report.rates_used)
        assert {rate.rate_set for rate in report.rates_used} == {RATE_SET}
    finally:
        engine.dispose()
        tracker.close()
